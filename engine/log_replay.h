// Replaying the operation log onto a prover during recovery.
#pragma once

#include <cstdint>
#include <optional>

#include "engine/progress.h"
#include "storage/node_store.h"
#include "storage/oplog.h"
#include "basis/tree/batch_prover.h"

namespace basis::engine {

struct ReplayOptions {
  uint64_t after = 0;  // replay the records after this sequence number
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

// Applies every record after `options.after` to `prover`, in order, while a
// reader thread decodes the next chunk and checks each record's checksum,
// sequence number and digest chain. The tree's digest is compared with the
// log at the first record, every 1,000 records and at the last one. Any
// mismatch is a kCorruption status naming the records.
tree::Status replay_log(const storage::Oplog& log, const ReplayOptions& options, tree::BatchProver* prover,
                        storage::NodeStore* resolver, ReplayProgress* progress);

}  // namespace basis::engine
