// One spawn function per actor of the runtime, used by start-up and by the
// supervisor when it replaces an actor, so that a replacement is set up
// exactly as the original was.
#pragma once

#include <caf/all.hpp>

#include <atomic>
#include <memory>

#include "actors/protocol.h"
#include "actors/prover_reports.h"
#include "engine/recovery.h"
#include "actors/tree_prover.h"
#include "basis/config.h"
#include "storage/database.h"
#include "storage/node_gc.h"
#include "storage/oplog.h"

namespace basis::actors {

// The node writer and the checkpointer verify, write and collect garbage
// (they block for seconds): each gets a thread of its own, off the
// scheduler's threads that the prover shares.
checkpointer_actor spawn_checkpointer(caf::actor_system& system, storage::Database* db, const config::Config& config);
node_writer_actor spawn_node_writer(caf::actor_system& system, storage::Database* db, const config::Config& config,
                                    checkpointer_actor checkpointer, std::shared_ptr<storage::GcCounters> gc_counters);
// The appender blocks on fsync: it gets a thread of its own. `log` is the
// operation log as opened (and rebased, after an accepted rebuild).
appender_actor spawn_appender(caf::actor_system& system, storage::Database* db, const config::Config& config,
                              std::shared_ptr<storage::Oplog> log);
// Opens the operation log and spawns an appender on it.
tree::Status spawn_appender(caf::actor_system& system, storage::Database* db, const config::Config& config,
                            appender_actor* out);
// A prover serving the recovered tree, writing through these actors.
prover_actor spawn_prover(caf::actor_system& system, storage::Database* db, const config::Config& config,
                          engine::Recovered recovered, appender_actor appender, node_writer_actor node_writer,
                          std::shared_ptr<ProverReports> reports);

}  // namespace basis::actors
