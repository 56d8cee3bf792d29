// Replaying the operation log onto a prover during recovery.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "engine/progress.h"
#include "storage/node_store.h"
#include "storage/oplog.h"
#include "basis/tree/batch_prover.h"

namespace basis::engine {

// The tree (and its resolver) a rollback record returns to: the version
// after `sequence`, built as recovery builds one.
struct RolledBackTree {
  std::unique_ptr<tree::BatchProver> prover;
  std::unique_ptr<storage::NodeStore> resolver;
};
using RollbackFn = std::function<tree::Status(uint64_t sequence, RolledBackTree* out)>;

struct ReplayOptions {
  uint64_t after = 0;  // replay the records after this sequence number
  uint64_t through = UINT64_MAX;  // and up to this one (at most the log's last)
  // Builds the version a rollback record returns to; without it, a rollback
  // record in the replayed range fails the replay.
  RollbackFn rollback;
  // When set, before each chunk of records the nodes on their keys' paths
  // from this root (the checkpoint's) are read ahead on `threads` threads.
  std::optional<tree::Label> prefetch_root;
  int threads = 1;
  // Hears "replaying log" with the records replayed of those to replay.
  ProgressFn progress;
};

struct ReplayProgress {
  uint64_t last_sequence = 0;  // of the last record applied
  uint64_t replayed = 0;
};

// Applies every record after `options.after` (through `options.through`) to
// `*prover`, in order, while a reader thread decodes the next chunk and
// checks each record's checksum, sequence number and digest chain. The
// tree's digest is compared with the log at the first record, every 1,000
// records, after each rollback and at the last one. Any mismatch is a
// kCorruption status naming the records. A rollback record replaces
// `*prover` and `*resolver` with the version it returns to.
tree::Status replay_log(const storage::Oplog& log, const ReplayOptions& options,
                        std::unique_ptr<tree::BatchProver>* prover, std::unique_ptr<storage::NodeStore>* resolver,
                        ReplayProgress* progress);

}  // namespace basis::engine
