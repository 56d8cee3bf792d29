// The runtime's inner state, shared by the files that implement Runtime
// (runtime.cc: open, batches, reads through the prover, shutdown;
// runtime_storage.cc: what reads or writes storage directly). Not for hosts.
#pragma once

#include <caf/all.hpp>

#include <atomic>

#include <condition_variable>
#include <functional>
#include <map>
#include <future>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "actors/protocol.h"
#include "actors/prover_reports.h"
#include "actors/prover_slot.h"
#include "basis/runtime.h"
#include "actors/tree_prover.h"
#include "engine/background_checks.h"
#include "storage/database.h"
#include "storage/keyspace.h"
#include "storage/node_gc.h"
#include "storage/tree_catalog.h"

namespace spdlog {
class logger;
}

namespace basis::actors {

// A blocking caller on a host thread. CAF 0.17 leaves a thread-local
// reference to the actor system's logger on every thread that spawns (a
// scoped actor too), and the system's destructor waits until no thread holds
// one: a host thread that outlives the runtime would hang its shutdown for
// ever. This caller drops that reference again when it is done.
class HostCaller {
 public:
  explicit HostCaller(caf::actor_system& system) : self_(system) {}
  ~HostCaller() { caf::logger::set_current_actor_system(nullptr); }
  HostCaller(const HostCaller&) = delete;
  HostCaller& operator=(const HostCaller&) = delete;
  caf::scoped_actor& operator*() { return self_; }
  caf::scoped_actor& operator->() { return self_; }

 private:
  caf::scoped_actor self_;
};

}  // namespace basis::actors

namespace basis {

// A named tree of the store: its runtime, or why it is not served.
struct NamedTree {
  storage::TreeEntry entry;
  std::shared_ptr<Runtime> runtime;  // null when its recovery failed
  tree::Status failed;
};

struct Runtime::Impl {
  config::Config config;  // this tree's: config.tree holds its parameters and id
  storage::Keyspace keyspace;  // where its records are
  // The store's. The default tree's runtime owns them (below) and shuts down
  // the named trees before it closes them.
  storage::Database* db = nullptr;
  caf::actor_system* system = nullptr;
  std::unique_ptr<storage::Database> owned_db;
  std::unique_ptr<caf::actor_system_config> system_config;
  std::unique_ptr<caf::actor_system> owned_system;
  bool is_default() const { return owned_db != nullptr; }
  // The named trees (the default tree's runtime only). The mutex guards the
  // map and serialises creations and drops.
  std::mutex named_mutex;
  std::map<std::string, NamedTree> named;
  std::mutex transaction_mutex;  // transactions run one at a time (runtime_trees.cc)
  // The named trees' background checks run on the store's few threads;
  // null for the default tree, which has a thread of its own and goes first.
  // Before `checks`, which uses it: destroyed after it.
  std::shared_ptr<engine::CheckRunner> check_runner;
  actors::supervisor_actor supervisor;
  // Where the prover is found: the supervisor replaces it when it rebuilds one.
  std::shared_ptr<actors::ProverSlot> slot = std::make_shared<actors::ProverSlot>();
  RecoveryReport recovery;
  std::unique_ptr<engine::BackgroundChecks> checks;
  std::shared_ptr<storage::GcCounters> gc_counters = std::make_shared<storage::GcCounters>();
  std::shared_ptr<actors::ProverReports> reports = std::make_shared<actors::ProverReports>();
  std::atomic<uint64_t> health_seed{1};  // periodic checks and callers of engine::check_health both draw
  std::atomic<bool> stopped{false};
  // Pins and unpins hold it shared; a drop holds it exclusively from its
  // check for pins until the tree has stopped, so that no pin is answered
  // for a tree that is then dropped.
  std::shared_mutex pin_mutex;
  // Backpressure: batches submitted and not yet answered.
  std::mutex inflight_mutex;
  std::condition_variable inflight_freed;
  size_t inflight = 0;

  // What every call answers once shutdown() ran: the store is closed.
  // What a stopped tree answers (shut down, or dropped): unavailable, as a
  // service that is going away, not the caller's mistake.
  static tree::Status shut_down() { return tree::Status(tree::ErrorKind::kUnavailable, "runtime is shut down"); }
  // A request to one of the tree's actors that failed: unavailable when the
  // actor was stopped (the tree shut down or dropped meanwhile).
  tree::Status actor_failure(const std::string& who, const caf::error& e) const {
    if (stopped || e == caf::sec::request_receiver_down) {
      return tree::Status(tree::ErrorKind::kUnavailable, who + ": the tree was stopped (shut down or dropped)");
    }
    return tree::Status(tree::ErrorKind::kIOError, who + ": " + system->render(e));
  }

  std::future<BatchResult> submit(std::vector<OwnedOperation> operations, bool wait);
  // `job` with its operations (or rollback) set; answered through its promise.
  std::future<BatchResult> submit_job(std::shared_ptr<actors::BatchJob> job, bool wait);

  // The supervised actor as it is now (it may have been restarted):
  // Handle is appender_actor, actors::node_writer_actor or checkpointer_actor.
  template <class Handle, class Which>
  Handle current(Which which) {
    actors::HostCaller self{*system};
    Handle result;
    self->request(supervisor, caf::infinite, actors::get_atom::value, which)
        .receive([&](Handle& a) { result = std::move(a); }, [](caf::error&) {});
    return result;
  }

  // Runs `fn` on the prover once every earlier batch is durable; without a
  // prover to run it (failed, being rebuilt, shut down), answers
  // `on_failure` of why, at once.
  template <class T>
  T read(std::function<T(actors::ProverView&)> fn, std::function<T(const tree::Status&)> on_failure) {
    if (stopped) return on_failure(shut_down());
    if (tree::Status s = slot->status(); !s.is_ok()) return on_failure(s);
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    auto job = std::make_shared<actors::ReadJob>();
    job->run = [promise, fn](actors::ProverView& v) { promise->set_value(fn(v)); };
    job->fail = [promise, on_failure](const tree::Status& s) { promise->set_value(on_failure(s)); };
    caf::anon_send(slot->prover(), actors::read_atom::value, std::move(job));  // dropped if none: `fail` answers
    return future.get();
  }
  // A read whose answer is a Status-carrying result built from the failure.
  template <class T>
  T read_or_status(std::function<T(actors::ProverView&)> fn) {
    return read<T>(std::move(fn), [](const tree::Status& s) {
      T r;
      r.status = s;
      return r;
    });
  }

  // Health says so until a full check passes (see actors::ProverReports).
  void note_storage_failure(const tree::Status& s) {
    if (tree::is_storage_failure(s)) reports->storage_failed(s);
  }

  void start_background_checks(std::shared_ptr<spdlog::logger> log_to);
  // nullopt when there is no prover to check (slot->status() says why).
  std::optional<HealthReport> run_health_check(bool full);

  // Stops this tree's actors and waits until they are gone (a named tree's:
  // the store stays open). Seals a checkpoint first unless `seal_first` is off.
  tree::Status stop_tree(bool seal_first);

  tree::Status seal(bool collect_garbage = false, bool flush = true) {
    struct Order {
      tree::Status status;
      actors::SealOrder order;
    };
    Order o = read_or_status<Order>([collect_garbage, flush](actors::ProverView& v) {
      v.ship_unstored_nodes();
      return Order{tree::Status::ok(),
                   actors::SealOrder{v.prover().digest(), v.last_sequence(), 0, collect_garbage, flush}};
    });
    if (!o.status.is_ok()) return o.status;
    actors::node_writer_actor writer = current<actors::node_writer_actor>(actors::writer_atom::value);
    if (!writer) return tree::Status(tree::ErrorKind::kUnavailable, "the node writer is not running");
    actors::HostCaller self{*system};
    tree::Status result;
    self->request(writer, caf::infinite, actors::seal_atom::value, o.order)
        .receive([&](tree::Status& s) { result = std::move(s); },
                 [&](caf::error& e) { result = actor_failure("node writer", e); });
    return result;
  }
};

}  // namespace basis
