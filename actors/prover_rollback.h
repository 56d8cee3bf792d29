// A rollback, prepared on the prover's thread from what storage holds: the
// version it returns to, built as recovery builds one, and the log record
// and note updates that make it durable. The prover swaps its tree for the
// prepared one and hands the group to the appender like a batch's.
#pragma once

#include <cstdint>
#include <memory>

#include "actors/protocol.h"
#include "basis/config.h"
#include "basis/rollback.h"
#include "storage/database.h"
#include "storage/node_store.h"
#include "basis/tree/batch_prover.h"

namespace basis::actors {

struct PreparedRollback {
  std::unique_ptr<tree::BatchProver> prover;
  std::unique_ptr<storage::NodeStore> resolver;
  std::shared_ptr<RecordGroup> group;  // null: nothing to undo (the tree is that version already)
  RollbackResult result;
};

// `live` and `live_sequence` are the prover's tree and last sequence; every
// batch before must be durable. Reads only.
tree::Status prepare_rollback(storage::Database* db, const config::Config& config, tree::BatchProver& live,
                              uint64_t live_sequence, const RollbackTarget& target, PreparedRollback* out);

}  // namespace basis::actors
