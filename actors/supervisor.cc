#include "actors/supervisor.h"

#include "actors/log.h"
#include "actors/protocol.h"
#include "actors/storage_actors.h"

namespace basis::actors {

caf::behavior supervisor(caf::event_based_actor* self, storage::Database* db,
                         config::Config config, SupervisedActors actors) {
  auto st = std::make_shared<SupervisedActors>(std::move(actors));
  auto restarts = std::make_shared<uint64_t>(0);
  self->monitor(st->appender);
  self->monitor(st->node_writer);
  self->monitor(st->checkpointer);
  const bool sync = config.storage.sync == config::SyncPolicy::kAlways;
  auto log_to = runtime_logger(config);
  self->set_down_handler([=](caf::down_msg& down) {
    ++*restarts;
    log_to->warn("restarting a failed actor ({}): {}",
                 down.source == st->appender      ? "oplog appender"
                 : down.source == st->node_writer ? "node writer"
                                                  : "checkpointer",
                 self->system().render(down.reason));
    if (down.source == st->appender) {
      std::unique_ptr<storage::Oplog> owned;
      if (!storage::Oplog::open(db, &owned).is_ok()) {
        self->quit(caf::sec::runtime_error);  // the log itself is unreadable: stop serving
        return;
      }
      std::shared_ptr<storage::Oplog> log = std::move(owned);
      st->appender = self->spawn<caf::detached>(oplog_appender, db, log, sync, disk_limits(config));
      self->monitor(st->appender);
      self->send(st->prover, restarted_atom::value, appender_atom::value, st->appender);
    } else if (down.source == st->node_writer) {
      st->node_writer = self->spawn(node_writer, db, st->checkpointer,
                                    NodeGcSetup{config.persistence.node_gc_every, st->gc_counters});
      self->monitor(st->node_writer);
      self->send(st->prover, restarted_atom::value, writer_atom::value, st->node_writer);
    } else if (down.source == st->checkpointer) {
      st->checkpointer = self->spawn(checkpointer, db, retention_policy(config));
      self->monitor(st->checkpointer);
      self->send(st->node_writer, restarted_atom::value, checkpointer_atom::value, st->checkpointer);
      self->send(st->prover, restarted_atom::value, checkpointer_atom::value);
    }
  });
  self->set_exit_handler([=](caf::exit_msg& exit) {
    for (caf::actor* a : {&st->appender, &st->node_writer, &st->checkpointer}) {
      self->demonitor(*a);
      self->send_exit(*a, exit.reason);
    }
    self->quit(exit.reason);
  });
  return {
      [=](get_atom, appender_atom) { return st->appender; },
      [=](get_atom, writer_atom) { return st->node_writer; },
      [=](get_atom, checkpointer_atom) { return st->checkpointer; },
      [=](get_atom) { return *restarts; },
  };
}

}  // namespace basis::actors
