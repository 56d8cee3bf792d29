// Checkpoints: sealed versions of the tree, newest first.
#pragma once

#include <atomic>
#include <functional>

#include <span>
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
  // Writes `record` synced without walking its tree: for a caller that has
  // verified every node written since a verified checkpoint (verify_nodes).
  Status write(const CheckpointRecord& record);
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
// Stops between levels, with kBusy, once `*cancel` is set; `progress`, when
// given, hears the count of nodes checked after each level.
Status verify_tree(const Database& db, const Digest& digest, int parallelism, uint64_t* nodes,
                   const std::atomic<bool>* cancel = nullptr,
                   const std::function<void(uint64_t)>& progress = {});

// Checks that each node in `labels` is stored, hashes to its label, and that
// its children are stored. Together with a verified earlier checkpoint this
// verifies a new one whose new nodes are `labels`.
Status verify_nodes(const Database& db, std::span<const tree::Label> labels);

}  // namespace basis::storage
