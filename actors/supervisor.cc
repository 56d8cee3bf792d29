#include "actors/supervisor.h"

#include <chrono>
#include <deque>

#include "actors/actor_spawn.h"
#include "engine/logger.h"
#include "actors/protocol.h"
#include "engine/recovery.h"

namespace basis::actors {

namespace {

using Clock = std::chrono::steady_clock;

struct State {
  SupervisedActors a;
  uint64_t restarts = 0;
  bool killing_appender = false;  // before a rebuild: the old appender must stop writing first
  bool given_up = false;
  std::deque<Clock::time_point> prover_failures;  // within kProverFailureWindow
};

tree::Status unavailable(std::string why) { return tree::Status(tree::ErrorKind::kUnavailable, std::move(why)); }

// Counts a prover failure; false once they repeat too often to go on.
bool count_prover_failure(State& st) {
  const auto now = Clock::now();
  st.prover_failures.push_back(now);
  while (now - st.prover_failures.front() > kProverFailureWindow) st.prover_failures.pop_front();
  return st.prover_failures.size() < static_cast<size_t>(kMaxProverFailures);
}

void give_up(State& st, const config::Config& config, const std::string& last) {
  st.given_up = true;
  st.a.slot->give_up(unavailable("the tree prover failed " + std::to_string(st.prover_failures.size()) +
                                " times within " + std::to_string(kProverFailureWindow.count()) +
                                " s and is not rebuilt again (last: " + last +
                                "); batches and reads are refused: restart the service once the cause is found"));
  engine::runtime_logger(config)->error("{}", st.a.slot->status().to_string());
}

// After the first failure at once, then 250 ms, 500 ms, 1 s, ...
void schedule_rebuild(supervisor_actor::pointer self, State& st) {
  const size_t failures = st.prover_failures.size();
  if (failures <= 1) {
    self->send(self, rebuild_atom::value);
    return;
  }
  self->delayed_send(self, std::chrono::milliseconds(250) * (1 << std::min<size_t>(failures - 2, 5)),
                     rebuild_atom::value);
}

// Rebuilds the prover from the durable state; the old appender has stopped.
void rebuild_prover(supervisor_actor::pointer self, State& st, storage::Database* db, const config::Config& config) {
  auto log_to = engine::runtime_logger(config);
  engine::Recovered r;
  tree::Status s;
  try {
    s = engine::recover(db, config, &r);
  } catch (const std::exception& e) {  // bad_alloc, most likely: a failure like the prover's own
    s = unavailable(std::string("rebuilding the tree raised ") + e.what());
  }
  if (s.is_ok() && r.path == RecoveryPath::kNotesRebuild) {
    s = tree::Status(tree::ErrorKind::kCorruption, "only a rebuild from the notes would do, which needs a restart");
  }
  if (s.is_ok() && !st.a.appender) s = spawn_appender(self->system(), db, config, &st.a.appender);
  if (!s.is_ok()) {
    log_to->error("rebuilding the tree prover: {}", s.to_string());
    if (!count_prover_failure(st)) return give_up(st, config, s.to_string());
    st.a.slot->vacate(unavailable("the tree prover failed and rebuilding it failed (" + s.to_string() +
                                  "); trying again"));
    return schedule_rebuild(self, st);
  }
  self->monitor(st.a.appender);
  const uint64_t at = r.last_sequence;
  st.a.prover = spawn_prover(self->system(), db, config, std::move(r), st.a.appender, st.a.node_writer,
                             st.a.reports);
  self->monitor(st.a.prover);
  st.a.slot->serve(st.a.prover);
  log_to->warn("rebuilt the tree prover from the durable state, at sequence {}", at);
}

void on_prover_down(supervisor_actor::pointer self, State& st, const config::Config& config, const std::string& why) {
  st.a.prover = nullptr;
  engine::runtime_logger(config)->error("the tree prover failed: {}", why);
  if (!count_prover_failure(st)) return give_up(st, config, why);
  st.a.slot->vacate(unavailable("the tree prover failed (" + why + ") and is being rebuilt from the durable state"));
  if (st.a.appender) {
    // Whatever it still writes for the old prover must be on disk, or not,
    // before the rebuild reads the log.
    st.killing_appender = true;
    self->send_exit(st.a.appender, caf::exit_reason::kill);
    return;
  }
  schedule_rebuild(self, st);
}

}  // namespace

supervisor_actor::behavior_type supervisor(supervisor_actor::pointer self, storage::Database* db,
                                           config::Config config, SupervisedActors actors) {
  auto st = std::make_shared<State>();
  st->a = std::move(actors);
  st->a.slot->serve(st->a.prover);
  self->monitor(st->a.prover);
  self->monitor(st->a.appender);
  self->monitor(st->a.node_writer);
  self->monitor(st->a.checkpointer);
  auto log_to = engine::runtime_logger(config);
  self->set_down_handler([=](caf::down_msg& down) {
    const std::string why = self->system().render(down.reason);
    SupervisedActors& a = st->a;
    if (down.source == a.appender.address() && st->killing_appender) {
      a.appender = nullptr;  // stopped for a rebuild, not failed
      st->killing_appender = false;
      return schedule_rebuild(self, *st);
    }
    ++st->restarts;  // every actor that failed and is replaced
    if (down.source == a.prover.address()) return on_prover_down(self, *st, config, why);
    if (down.source == a.appender.address()) {
      a.appender = nullptr;
      log_to->warn("restarting a failed actor (oplog appender): {}", why);
      if (tree::Status s = spawn_appender(self->system(), db, config, &a.appender); !s.is_ok()) {
        // The log itself is unreadable: a prover cannot write through it.
        log_to->error("the operation log cannot be reopened: {}", s.to_string());
        if (a.prover) self->send_exit(a.prover, caf::make_error(caf::sec::runtime_error, s.to_string()));
        return;
      }
      self->monitor(a.appender);
      if (a.prover) self->send(a.prover, restarted_atom::value, appender_atom::value, a.appender);
    } else if (down.source == a.node_writer.address()) {
      log_to->warn("restarting a failed actor (node writer): {}", why);
      a.node_writer = spawn_node_writer(self->system(), db, config, a.checkpointer, a.gc_counters);
      self->monitor(a.node_writer);
      if (a.prover) self->send(a.prover, restarted_atom::value, writer_atom::value, a.node_writer);
    } else if (down.source == a.checkpointer.address()) {
      log_to->warn("restarting a failed actor (checkpointer): {}", why);
      a.checkpointer = spawn_checkpointer(self->system(), db, config);
      self->monitor(a.checkpointer);
      self->send(a.node_writer, restarted_atom::value, checkpointer_atom::value, a.checkpointer);
      if (a.prover) self->send(a.prover, restarted_atom::value, checkpointer_atom::value);
    }
  });
  self->set_exit_handler([=](caf::exit_msg& exit) {
    SupervisedActors& a = st->a;
    a.slot->vacate(unavailable("the runtime is shut down"));
    auto stop = [&](auto& actor) {
      if (!actor) return;
      self->demonitor(actor.address());
      self->send_exit(actor, exit.reason);
    };
    stop(a.prover);
    stop(a.appender);
    stop(a.node_writer);
    stop(a.checkpointer);
    self->quit(exit.reason);
  });
  return {
      [=](rebuild_atom) {
        if (!st->a.prover && !st->given_up) rebuild_prover(self, *st, db, config);
      },
      [=](get_atom, appender_atom) { return st->a.appender; },
      [=](get_atom, writer_atom) { return st->a.node_writer; },
      [=](get_atom, checkpointer_atom) { return st->a.checkpointer; },
      [=](get_atom) { return st->restarts; },
  };
}

}  // namespace basis::actors
