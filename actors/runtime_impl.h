// The runtime's inner state, shared by the files that implement Runtime
// (runtime.cc: open, batches, reads through the prover, shutdown;
// runtime_storage.cc: what reads or writes storage directly). Not for hosts.
#pragma once

#include <caf/all.hpp>

#include <atomic>

#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>

#include "actors/protocol.h"
#include "actors/runtime.h"
#include "actors/tree_prover.h"
#include "storage/database.h"
#include "storage/node_gc.h"

namespace spdlog {
class logger;
}

namespace basis::actors {

struct Runtime::Impl {
  config::Config config;
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<caf::actor_system_config> system_config;
  std::unique_ptr<caf::actor_system> system;
  caf::actor prover, supervisor;
  RecoveryReport recovery;
  std::unique_ptr<BackgroundChecks> checks;
  std::shared_ptr<storage::GcCounters> gc_counters = std::make_shared<storage::GcCounters>();
  std::shared_ptr<std::atomic<uint64_t>> stalled_batches = std::make_shared<std::atomic<uint64_t>>(0);
  std::atomic<uint64_t> health_seed{1};  // periodic checks and callers of check_health both draw
  bool stopped = false;
  // Backpressure: batches submitted and not yet answered.
  std::mutex inflight_mutex;
  std::condition_variable inflight_freed;
  size_t inflight = 0;

  std::future<BatchResult> submit(std::vector<OwnedOperation> operations, bool wait);

  // The supervised actor as it is now (it may have been restarted).
  template <class Which>
  caf::actor current(Which which) {
    caf::scoped_actor self{*system};
    caf::actor result;
    self->request(supervisor, caf::infinite, get_atom::value, which)
        .receive([&](caf::actor& a) { result = std::move(a); }, [](caf::error&) {});
    return result;
  }

  // Runs `fn` on the prover once every earlier batch is durable.
  template <class T>
  T read(std::function<T(ProverView&)> fn) {
    auto promise = std::make_shared<std::promise<T>>();
    auto job = std::make_shared<ReadJob>();
    job->run = [promise, fn](ProverView& v) { promise->set_value(fn(v)); };
    auto future = promise->get_future();
    caf::anon_send(prover, read_atom::value, std::move(job));
    return future.get();
  }

  void start_background_checks(std::shared_ptr<spdlog::logger> log_to);
  HealthReport run_health_check(bool full);

  tree::Status seal(bool collect_garbage = false) {
    auto order = read<SealOrder>([collect_garbage](ProverView& v) {
      v.ship_unstored_nodes();
      return SealOrder{v.prover().digest(), v.last_sequence(), 0, collect_garbage};
    });
    caf::scoped_actor self{*system};
    tree::Status result;
    caf::actor writer = current(writer_atom::value);
    self->request(writer, caf::infinite, seal_atom::value, order)
        .receive([&](tree::Status& s) { result = std::move(s); },
                 [&](caf::error& e) { result = tree::Status(tree::ErrorKind::kIOError, system->render(e)); });
    return result;
  }
};

}  // namespace basis::actors
