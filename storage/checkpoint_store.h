// Checkpoints: sealed versions of the tree, newest first.
#pragma once

#include <functional>
#include <vector>

#include "storage/database.h"
#include "storage/keyspace.h"
#include "storage/records.h"
#include "storage/tree_verify.h"

namespace basis::storage {

class CheckpointStore {
 public:
  // The checkpoints of the tree in `keyspace`.
  explicit CheckpointStore(Database* db, const Keyspace& keyspace = Keyspace()) : db_(db), keyspace_(keyspace) {}

  // Verifies that every node of `record.digest` is stored and hashes to its
  // label (over `parallelism` threads), sets node_count, then writes the
  // record synced. `progress`, when given, hears the nodes verified so far.
  Status create(CheckpointRecord* record, int parallelism, const std::function<void(uint64_t)>& progress = {});
  // Writes `record` synced without walking its tree: for a caller that has
  // verified every node written since a verified checkpoint (verify_nodes).
  Status write(const CheckpointRecord& record);
  Status read(uint64_t id, CheckpointRecord* out) const;
  // Newest (highest id) first.
  Status list(std::vector<CheckpointRecord>* out) const;
  Status remove(uint64_t id);

 private:
  Database* db_;
  Keyspace keyspace_;
};

}  // namespace basis::storage
