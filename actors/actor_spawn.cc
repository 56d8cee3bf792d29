#include "actors/actor_spawn.h"

#include "actors/storage_actors.h"
#include "engine/tree_keyspace.h"

namespace basis::actors {

checkpointer_actor spawn_checkpointer(caf::actor_system& system, storage::Database* db, const config::Config& config) {
  return system.spawn<caf::detached>(checkpointer, db, retention_policy(config), engine::tree_keyspace(config));
}

node_writer_actor spawn_node_writer(caf::actor_system& system, storage::Database* db, const config::Config& config,
                                    checkpointer_actor checkpointer, std::shared_ptr<storage::GcCounters> gc_counters) {
  return system.spawn<caf::detached>(node_writer, db, std::move(checkpointer),
                                     NodeGcSetup{config.persistence.node_gc_every, std::move(gc_counters)},
                                     engine::tree_keyspace(config));
}

appender_actor spawn_appender(caf::actor_system& system, storage::Database* db, const config::Config& config,
                              std::shared_ptr<storage::Oplog> log) {
  return system.spawn<caf::detached>(oplog_appender, db, std::move(log),
                                     config.storage.sync == config::SyncPolicy::kAlways, disk_limits(config));
}

tree::Status spawn_appender(caf::actor_system& system, storage::Database* db, const config::Config& config,
                            appender_actor* out) {
  std::unique_ptr<storage::Oplog> owned;
  if (tree::Status s = storage::Oplog::open(db, &owned, engine::tree_keyspace(config)); !s.is_ok()) return s;
  *out = spawn_appender(system, db, config, std::shared_ptr<storage::Oplog>(std::move(owned)));
  return tree::Status::ok();
}

prover_actor spawn_prover(caf::actor_system& system, storage::Database* db, const config::Config& config,
                          engine::Recovered recovered, appender_actor appender, node_writer_actor node_writer,
                          std::shared_ptr<ProverReports> reports) {
  auto setup = std::make_shared<ProverSetup>();
  setup->db = db;
  setup->resolver = std::move(recovered.resolver);
  setup->prover = std::move(recovered.prover);
  setup->last_sequence = recovered.last_sequence;
  setup->config = config;
  setup->appender = std::move(appender);
  setup->node_writer = std::move(node_writer);
  setup->reports = std::move(reports);
  return system.spawn(tree_prover, std::move(setup));
}

}  // namespace basis::actors
