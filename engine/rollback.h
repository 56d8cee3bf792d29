// A rollback, planned from what storage holds: the version it returns to,
// built as recovery builds one, and the log record and note updates that
// make it durable (written in one atomic write, like a batch's). The
// prover swaps its tree for the planned one and hands the record to the
// appender; the admin tool appends it to a closed store's log.
#pragma once

#include <cstdint>
#include <memory>

#include <vector>

#include "storage/oplog.h"
#include "basis/config.h"
#include "basis/rollback.h"
#include "storage/database.h"
#include "storage/node_store.h"
#include "basis/tree/batch_prover.h"

namespace basis::engine {

struct RollbackPlan {
  std::unique_ptr<tree::BatchProver> prover;  // the version, to serve from now on
  std::unique_ptr<storage::NodeStore> resolver;
  bool needed = false;  // false: nothing to undo (the tree is that version already)
  storage::OperationRecord record;          // the rollback record
  std::vector<storage::NoteUpdate> notes;   // with it, in the same write
  RollbackResult result;
};

// `live` and `live_sequence` are the tree as it is and its last sequence,
// which must be the log's (every batch before durable). Reads only.
tree::Status plan_rollback(storage::Database* db, const config::Config& config, tree::BatchProver& live,
                              uint64_t live_sequence, const RollbackTarget& target, RollbackPlan* out);

}  // namespace basis::engine
