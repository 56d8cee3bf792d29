// Start-up recovery: the latest checkpoint whose tree resolves, then the
// operation log after it with its digests checked. A checkpoint that fails
// falls back to the one before, then to a replay of the whole log from the
// empty tree, and last to a rebuild from the notes. Nothing is repaired into
// another digest without the operator's confirmation.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "basis/reports.h"
#include "engine/progress.h"
#include "basis/config.h"
#include "storage/database.h"
#include "storage/node_store.h"
#include "basis/tree/batch_prover.h"

namespace basis::engine {

struct Recovered {
  RecoveryPath path = RecoveryPath::kEmpty;
  std::unique_ptr<storage::NodeStore> resolver;
  std::unique_ptr<tree::BatchProver> prover;
  uint64_t last_sequence = 0;
  uint64_t checkpoint_id = 0;  // 0: from the empty tree
  uint64_t replayed = 0;
  std::vector<std::string> fallbacks;  // why earlier candidates were refused
  uint64_t verified_nodes = 0;  // with recovery_validation = "full"
  // After a rebuild from notes: its digest, and whether the operator accepted
  // it though it differs from the log's (the log must then be rebased).
  tree::Digest rebuilt_digest{};
  bool rebase = false;
  double load_ms = 0;    // resolving the checkpoint (and verifying it, with "full")
  double replay_ms = 0;  // reading the log and the nodes it touches, replaying it
};

// `progress` hears the log's replay ("replaying log") and a rebuild from the
// notes ("reading notes", "inserting notes").
tree::Status recover(storage::Database* db, const config::Config& config, Recovered* out,
                     const ProgressFn& progress = {});

// The version after operation `sequence` (at most the log's last), built as
// recovery builds the current one: the newest checkpoint at or before it
// whose tree resolves, then the log up to it. Reads only.
tree::Status recover_version(storage::Database* db, const config::Config& config, uint64_t sequence,
                             Recovered* out);

// The tree of the whole log replayed from the empty tree, or of the notes
// (refused when its digest differs from the log's and the configuration
// does not accept it). Reads only.
tree::Status replay_whole_log(storage::Database* db, const config::Config& config, Recovered* out,
                              const ProgressFn& progress = {});
tree::Status rebuild_from_notes(storage::Database* db, const config::Config& config, Recovered* out,
                                const ProgressFn& progress = {});

}  // namespace basis::engine
