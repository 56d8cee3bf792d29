#include "basis/runtime.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "actors/actor_spawn.h"
#include "actors/protocol.h"
#include "actors/runtime_access.h"
#include "actors/runtime_impl.h"
#include "actors/supervisor.h"
#include "engine/answer_limit.h"
#include "engine/health_check.h"
#include "engine/logger.h"
#include "engine/recovery.h"
#include "storage/checkpoint_store.h"
#include "storage/oplog.h"
#include "storage/retention.h"

namespace basis {

using namespace actors;  // the facade is written over the actors' protocols
using namespace engine;

namespace {

// Named trees stopped at once by a shutdown: each mostly waits for its seal
// and its actors, so more than the cores.
constexpr size_t kShutdownThreads = 8;

}  // namespace

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Runtime::~Runtime() { (void)shutdown(); }

void Runtime::Impl::start_background_checks(std::shared_ptr<spdlog::logger> log_to) {
  std::optional<tree::Digest> verify;
  storage::CheckpointRecord cp;
  if (config.persistence.recovery_validation == config::RecoveryValidation::kBackground && recovery.checkpoint_id &&
      storage::CheckpointStore(db, keyspace).read(recovery.checkpoint_id, &cp).is_ok()) {
    verify = cp.digest;
  }
  checks = std::make_unique<BackgroundChecks>(
      // A named tree verifies on one of the runner's threads: they are the parallelism.
      db, verify ? &*verify : nullptr, check_runner ? 1 : static_cast<int>(config.persistence.recovery_parallelism),
      config.persistence.health_check_interval, [this] { return run_health_check(false); },
      [log_to](bool failure, const std::string& message) {
        if (failure) {
          log_to->error("{}", message);
        } else {
          log_to->info("{}", message);
        }
      },
      keyspace, check_runner.get());
}

std::optional<HealthReport> Runtime::Impl::run_health_check(bool full) {
  uint32_t samples = full ? 0 : config.persistence.health_check_samples;
  uint64_t seed = health_seed++;
  storage::Database* store = db;
  const storage::Keyspace ks = keyspace;
  return read<std::optional<HealthReport>>(
      [=](ProverView& v) {
        return std::optional<HealthReport>(
            engine::check_health(v.prover(), *store, v.last_sequence(), samples, seed, {}, ks));
      },
      [](const tree::Status&) { return std::optional<HealthReport>(); });
}

std::future<BatchResult> Runtime::Impl::submit(std::vector<OwnedOperation> operations, bool wait) {
  auto job = std::make_shared<BatchJob>();
  job->operations = std::move(operations);
  return submit_job(std::move(job), wait);
}

std::future<BatchResult> Runtime::Impl::submit_job(std::shared_ptr<BatchJob> job, bool wait) {
  auto future = job->promise.get_future();
  if (stopped) {
    job->finish(BatchResult{Impl::shut_down(), {}, {}, {}, {}, {}, 0, 0});
    return future;
  }
  if (tree::Status s = slot->status(); !s.is_ok()) {  // no prover now: say why at once
    job->finish(BatchResult{s, {}, {}, {}, {}, {}, 0, 0});
    return future;
  }
  {
    std::unique_lock<std::mutex> lock(inflight_mutex);
    const size_t limit = config.persistence.max_inflight_batches;
    if (!wait && inflight >= limit) {
      lock.unlock();
      job->finish(BatchResult{tree::Status(tree::ErrorKind::kBusy, std::to_string(limit) +
                                                                    " batches in flight; try again"),
                              {}, {}, {}, {}, {}, 0, 0});
      return future;
    }
    inflight_freed.wait(lock, [&] { return inflight < limit; });
    ++inflight;
  }
  job->on_done = [this, then = std::move(job->on_done)] {
    {
      std::lock_guard<std::mutex> lock(inflight_mutex);
      --inflight;
      inflight_freed.notify_one();
    }
    if (then) then();
  };
  // Dropped if the prover is gone meanwhile: the job then answers kUnavailable.
  caf::anon_send(slot->prover(), apply_atom::value, std::move(job));
  return future;
}

std::future<BatchResult> Runtime::apply(std::vector<OwnedOperation> operations) {
  return impl_->submit(std::move(operations), true);
}

std::future<BatchResult> Runtime::try_apply(std::vector<OwnedOperation> operations) {
  return impl_->submit(std::move(operations), false);
}

BatchResult Runtime::apply_and_wait(std::vector<OwnedOperation> operations) {
  return apply(std::move(operations)).get();
}

RollbackResult Runtime::rollback(const RollbackTarget& target) {
  auto job = std::make_shared<BatchJob>();
  job->rollback = target;
  std::shared_ptr<RollbackResult> answer = job->rolled_back;
  // Not kept here: a job the prover drops unrun (the tree stops) answers as
  // it is destroyed.
  BatchResult done = impl_->submit_job(std::move(job), true).get();  // set after `rolled_back`
  RollbackResult r = *answer;
  r.status = done.status;
  if (!r.status.is_ok()) {
    r.sequence = 0;
    r.undone = 0;
    r.digest = r.digest_before;
  }
  return r;
}

tree::Digest Runtime::digest() {
  return impl_->read<tree::Digest>([](ProverView& v) { return v.prover().digest(); },
                                   [](const tree::Status&) { return tree::Digest{}; });
}

Runtime::TreeState Runtime::state() {
  TreeState state = impl_->read<TreeState>(
      [](ProverView& v) { return TreeState{v.prover().digest(), v.last_sequence(), v.writes(), true, {}}; },
      [](const tree::Status& s) { return TreeState{{}, 0, s, false, {}}; });
  state.storage = impl_->reports->last_storage_failure();
  if (impl_->stopped) return state;  // `writes` says so
  state.restart_needed = !impl_->db->wal_failure().is_ok() || impl_->slot->given_up();
  return state;
}

uint64_t Runtime::last_sequence() {
  return impl_->read<uint64_t>([](ProverView& v) { return v.last_sequence(); },
                               [](const tree::Status&) { return uint64_t{0}; });
}

LookupResult Runtime::lookup(const tree::Bytes& key, bool with_proof) {
  LookupResult found = impl_->read_or_status<LookupResult>([key, with_proof](ProverView& v) {
    LookupResult r;
    r.digest = v.prover().digest();
    if (!with_proof) {
      r.status = v.prover().get(tree::view(key), &r.outcome);
      return r;
    }
    tree::Operation op = tree::Operation::lookup(tree::view(key));
    tree::WhatIfProof w;
    r.status = v.prover().prove_operations(std::span<const tree::Operation>(&op, 1), &w);
    if (r.status.is_ok()) r.status = w.statuses[0];
    if (r.status.is_ok()) {
      r.outcome = std::move(w.outcomes[0]);
      r.proof = std::move(w.proof);
    }
    return r;
  });
  impl_->note_storage_failure(found.status);
  return found;
}

BatchResult Runtime::what_if(std::vector<OwnedOperation> operations) {
  const uint64_t max_answer = impl_->config.persistence.max_answer_bytes;
  return impl_->read_or_status<BatchResult>([ops = std::move(operations), max_answer](ProverView& v) {
    BatchResult r;
    r.start_digest = v.prover().digest();
    if (r.status = check_answer_size(v.prover(), ops, max_answer); !r.status.is_ok()) return r;
    std::vector<tree::Operation> views;
    for (const auto& o : ops) views.push_back(o.view());
    tree::WhatIfProof w;
    r.status = v.prover().prove_operations(views, &w);
    r.statuses = std::move(w.statuses);
    r.outcomes = std::move(w.outcomes);
    r.proof = std::move(w.proof);
    r.digest = w.digest;
    r.last_sequence = v.last_sequence();
    return r;
  });
}

tree::Status Runtime::checkpoint_now() {
  if (impl_->stopped) return Impl::shut_down();
  return impl_->seal();
}

tree::Status Runtime::compact() {
  if (impl_->stopped) return Impl::shut_down();
  if (tree::Status s = impl_->seal(/*collect_garbage=*/true); !s.is_ok()) return s;
  return impl_->db->compact({storage::Family::kNodes, storage::Family::kOperations, storage::Family::kNotes});
}

const Runtime::RecoveryReport& Runtime::recovery() const { return impl_->recovery; }

HealthReport Runtime::check_health(bool full) {
  if (impl_->stopped) return HealthReport{false, 0, "runtime is shut down"};
  std::optional<HealthReport> report = impl_->run_health_check(full);
  if (!report) return HealthReport{false, 0, "not checked: " + impl_->slot->status().to_string()};
  if (full && report->ok) impl_->reports->storage_checked();  // every leaf and note read back
  return impl_->checks->record(*report);
}

BackgroundStatus Runtime::background() { return impl_->checks ? impl_->checks->status() : BackgroundStatus{}; }

Runtime::Stats Runtime::stats() {
  Stats s = impl_->read<Stats>([](ProverView& v) {
    Stats r;
    r.tree_nodes = v.prover().pool().live_nodes();
    r.tree_memory_bytes = v.prover().pool().live_bytes();
    r.last_sequence = v.last_sequence();
    if (v.resolver()) {
      r.node_cache_hits = v.resolver()->cache_hits();
      r.node_cache_misses = v.resolver()->cache_misses();
    }
    return r;
  }, [](const tree::Status&) { return Stats{}; });
  if (impl_->stopped) return s;  // nothing else to read: the store is closed
  s.restarts = restarts();
  s.node_bytes = impl_->db->family_bytes(storage::Family::kNodes);
  s.oplog_bytes = impl_->db->family_bytes(storage::Family::kOperations) +
                  impl_->db->family_bytes(storage::Family::kNotes);
  s.checkpoints = checkpoints().size();
  s.gc_runs = impl_->gc_counters->runs;
  s.gc_failures = impl_->gc_counters->failures;
  s.gc_removed_nodes = impl_->gc_counters->removed;
  s.gc_removed_bytes = impl_->gc_counters->removed_bytes;
  s.gc_live_nodes = impl_->gc_counters->live;
  s.stalled_batches = impl_->reports->stalled_batches();
  s.store_memory_bytes = impl_->db->memory_budget().used();
  s.store_memory_budget = impl_->db->memory_budget().limit();
  s.background = impl_->checks->status();
  return s;
}

uint64_t Runtime::restarts() {
  if (impl_->stopped) return 0;
  HostCaller self{*impl_->system};
  uint64_t n = 0;
  self->request(impl_->supervisor, caf::infinite, get_atom::value)
      .receive([&](uint64_t r) { n = r; }, [](caf::error&) {});
  return n;
}

tree::Status Runtime::shutdown() {
  if (impl_->stopped) return tree::Status::ok();
  if (!impl_->is_default()) return impl_->stop_tree(/*seal_first=*/true);
  {
    // The named trees first: their actors write to the store this closes.
    // Side by side: a tree's stop mostly waits for its seal and its actors.
    std::lock_guard<std::mutex> lock(impl_->named_mutex);
    std::vector<Runtime*> trees;
    for (auto& [name, t] : impl_->named) {
      if (t.runtime) trees.push_back(t.runtime.get());
    }
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < trees.size(); i = next++) (void)trees[i]->shutdown();
      caf::logger::set_current_actor_system(nullptr);  // see Runtime::open
    };
    std::vector<std::thread> pool;
    for (size_t t = 1; t < std::min(trees.size(), kShutdownThreads); ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
  }
  impl_->checks.reset();  // its health checks read through the prover
  tree::Status s = impl_->seal();  // waits for every acknowledged batch first
  impl_->stopped = true;
  // The supervisor stops the actors it supervises, without restarting them.
  caf::anon_send_exit(impl_->supervisor, caf::exit_reason::user_shutdown);
  impl_->supervisor = nullptr;
  impl_->system = nullptr;
  impl_->owned_system.reset();  // waits for the actors to finish
  impl_->system_config.reset();
  // Flushed memtables leave no write-ahead log to replay at the next open.
  // On a disk too full to flush, the synced log keeps everything instead.
  tree::Status flushed = impl_->db->flush();
  if (flushed.kind() == tree::ErrorKind::kResourceExhausted) {
    runtime_logger(impl_->config)->warn("not flushed at shutdown ({}): the next start replays the log", flushed.to_string());
    flushed = tree::Status::ok();
  }
  impl_->db = nullptr;
  impl_->owned_db.reset();
  return s.is_ok() ? flushed : s;
}

}  // namespace basis
