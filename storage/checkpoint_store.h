// Checkpoints: sealed versions of the tree, newest first.
#pragma once

#include <vector>

#include "storage/database.h"
#include "storage/records.h"

namespace basis::storage {

class CheckpointStore {
 public:
  explicit CheckpointStore(Database* db) : db_(db) {}

  // Verifies that every node of `record.digest` is stored and hashes to its
  // label (over `parallelism` threads), sets node_count, then writes the
  // record synced.
  Status create(CheckpointRecord* record, int parallelism);
  Status read(uint64_t id, CheckpointRecord* out) const;
  // Newest (highest id) first.
  Status list(std::vector<CheckpointRecord>* out) const;
  Status remove(uint64_t id);

 private:
  Database* db_;
};

// Reads every node reachable from `digest`'s root straight from the nodes
// family, checks each against its label and counts them. Subtrees are
// checked on `parallelism` threads.
Status verify_tree(const Database& db, const Digest& digest, int parallelism, uint64_t* nodes);

}  // namespace basis::storage
