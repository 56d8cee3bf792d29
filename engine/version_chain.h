// A version of the tree as the log defines it, built without recursion
// however many rollbacks led to it: walking the log back from the version,
// a rollback record jumps to the version it returned to, so the walk
// collects exactly the operations that made it, back to a checkpoint of
// that chain whose tree resolves (or the empty tree); they are replayed
// forward from there. Each record is read at most twice, where building
// through nested rollbacks by replaying each one's version again grew
// exponentially with undo and redo between checkpoints.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/recovery.h"
#include "storage/oplog.h"

namespace basis::engine {

// `checkpoints` newest first; `cache_bytes` for the version's node store.
// Reads only. kCorruption names a record the walk needs that is missing or
// damaged, or a digest that does not chain.
tree::Status build_version_chain(storage::Database* db, const config::Config& config, const storage::Oplog& log,
                                 const std::vector<storage::CheckpointRecord>& checkpoints, uint64_t through,
                                 size_t cache_bytes, Recovered* out);

}  // namespace basis::engine
