#include "basis/runtime.h"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

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

// RocksDB's recovery writes (a flush of the replayed log) and 7.8 aborts on
// a full disk: below half of min_free_space, a start is refused, changing
// nothing, until there is room.
tree::Status check_room_to_start(const config::Config& config) {
  if (config.storage.min_free_space == 0) return tree::Status::ok();
  // The write-ahead logs are replayed into memtables and flushed to tables.
  uint64_t needed = config.storage.min_free_space / 2;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(config.storage.data_dir) / "db", ec)) {
    if (e.path().extension() == ".log") needed += e.file_size(ec);
  }
  const uint64_t free = storage::free_bytes(config.storage.data_dir);
  if (free >= needed) return tree::Status::ok();
  return tree::Status(tree::ErrorKind::kResourceExhausted,
                      "not starting: the file system holding " + config.storage.data_dir + " has " +
                          std::to_string(free) + " bytes free; recovery needs " + std::to_string(needed) +
                          " (half of storage.min_free_space, " + std::to_string(config.storage.min_free_space) +
                          " bytes, and the write-ahead logs it replays and flushes). Free some space and start "
                          "again (nothing was changed)");
}

}  // namespace

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Runtime::~Runtime() { (void)shutdown(); }

tree::Status Runtime::open(const config::Config& config, std::unique_ptr<Runtime>* out) {
  return RuntimeAccess::open(config, nullptr, out);
}

tree::Status actors::RuntimeAccess::open(const config::Config& config, rocksdb::Env* env,
                                         std::unique_ptr<Runtime>* out) {
  auto started = std::chrono::steady_clock::now();
  if (config::Status s = config.validate(); !s.is_ok()) {
    return tree::Status(tree::ErrorKind::kInvalidArgument, s.message());
  }
  if (config::Status s = config.check_directories(); !s.is_ok()) {
    return tree::Status(tree::ErrorKind::kInvalidArgument, s.message());
  }
  std::error_code ec;
  std::filesystem::create_directories(config.storage.data_dir, ec);
  auto impl = std::make_unique<Runtime::Impl>();
  impl->config = config;
  storage::DatabaseOptions options;
  options.path = (std::filesystem::path(config.storage.data_dir) / "db").string();
  options.params = tree::TreeParams{config.tree.key_length, config.tree.value_length};
  options.node_compression = config.persistence.node_compression;
  options.env = env;
  options.compaction_reserve = config.storage.min_free_space;
  auto log_to = runtime_logger(config);
  if (tree::Status s = check_room_to_start(config); !s.is_ok()) {
    runtime_logger(config)->error("{}", s.to_string());
    return s;
  }
  if (tree::Status s = storage::Database::open(options, &impl->db); !s.is_ok()) {
    log_to->error("{}", s.to_string());
    return s;
  }
  impl->recovery.open_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (const storage::MarkCheck& mark = impl->db->mark_check(); mark.moved_back) {
    log_to->warn("{}; the durable mark moves back to {}", mark.warning, mark.recovered);
  }

  Recovered recovered;
  tree::Status recovered_status = recover(impl->db.get(), config, &recovered);
  for (const std::string& why : recovered.fallbacks) {
    log_to->warn("recovery fell back: {}", why);  // loudly: an older version or a full replay
  }
  if (!recovered_status.is_ok()) {
    log_to->error("{}", recovered_status.to_string());
    return recovered_status;
  }
  log_to->info("recovered {} ({}) from {} with {} operations replayed, at sequence {}",
               options.path, recovery_path_name(recovered.path),
               recovered.checkpoint_id ? "checkpoint " + std::to_string(recovered.checkpoint_id)
                                       : std::string("the empty tree"),
               recovered.replayed, recovered.last_sequence);
  impl->recovery.path = recovered.path;
  impl->recovery.verified_nodes = recovered.verified_nodes;
  impl->recovery.checkpoint_id = recovered.checkpoint_id;
  impl->recovery.replayed = recovered.replayed;
  impl->recovery.load_ms = recovered.load_ms;
  impl->recovery.replay_ms = recovered.replay_ms;
  impl->recovery.fallbacks = recovered.fallbacks;

  std::shared_ptr<storage::Oplog> log;
  {
    std::unique_ptr<storage::Oplog> owned;
    if (tree::Status s = storage::Oplog::open(impl->db.get(), &owned); !s.is_ok()) return s;
    if (recovered.rebase) {
      // The operator accepted a rebuilt tree with another digest: the log
      // continues from it, and says so (loudly) in the log file.
      log_to->warn("serving the tree rebuilt from notes with digest {}, accepted by configuration; the "
                   "operation log continues from it after record {}",
                   tree::to_hex(recovered.rebuilt_digest), recovered.last_sequence);
      if (tree::Status s = owned->rebase(recovered.last_sequence, recovered.rebuilt_digest); !s.is_ok()) return s;
    }
    log = std::move(owned);
  }
  impl->system_config = std::make_unique<caf::actor_system_config>();
  impl->system_config->set("scheduler.max-threads", 2);
  impl->system = std::make_unique<caf::actor_system>(*impl->system_config);
  caf::actor_system& system = *impl->system;
  storage::Database* db = impl->db.get();
  const RecoveryPath recovered_path = recovered.path;
  SupervisedActors actors;
  actors.checkpointer = spawn_checkpointer(system, db, config);
  actors.gc_counters = impl->gc_counters;
  actors.reports = impl->reports;
  actors.slot = impl->slot;
  actors.node_writer = spawn_node_writer(system, db, config, actors.checkpointer, impl->gc_counters);
  actors.appender = spawn_appender(system, db, config, std::move(log));
  actors.prover = spawn_prover(system, db, config, std::move(recovered), actors.appender, actors.node_writer,
                               impl->reports);
  impl->slot->serve(actors.prover);  // the supervisor serves it too, once it runs
  impl->supervisor = system.spawn<caf::detached>(supervisor, db, config, actors);
  impl->recovery.milliseconds =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (recovered_path == RecoveryPath::kFullReplay || recovered_path == RecoveryPath::kNotesRebuild) {
    // Seal what was rebuilt now, so that the next open starts from it.
    if (tree::Status s = impl->seal(); !s.is_ok()) log_to->error("sealing the recovered tree: {}", s.to_string());
  }
  impl->start_background_checks(log_to);
  // CAF 0.17 keeps a thread-local reference to the system's logger on the
  // thread that made the system and its actors, and the system's destructor
  // waits for it to go: shutting down from another thread would hang.
  caf::logger::set_current_actor_system(nullptr);
  out->reset(new Runtime(std::move(impl)));
  return tree::Status::ok();
}

void Runtime::Impl::start_background_checks(std::shared_ptr<spdlog::logger> log_to) {
  std::optional<tree::Digest> verify;
  storage::CheckpointRecord cp;
  if (config.persistence.recovery_validation == config::RecoveryValidation::kBackground && recovery.checkpoint_id &&
      storage::CheckpointStore(db.get()).read(recovery.checkpoint_id, &cp).is_ok()) {
    verify = cp.digest;
  }
  checks = std::make_unique<BackgroundChecks>(
      db.get(), verify ? &*verify : nullptr, static_cast<int>(config.persistence.recovery_parallelism),
      config.persistence.health_check_interval, [this] { return run_health_check(false); },
      [log_to](bool failure, const std::string& message) {
        if (failure) {
          log_to->error("{}", message);
        } else {
          log_to->info("{}", message);
        }
      });
}

std::optional<HealthReport> Runtime::Impl::run_health_check(bool full) {
  uint32_t samples = full ? 0 : config.persistence.health_check_samples;
  uint64_t seed = health_seed++;
  storage::Database* store = db.get();
  return read<std::optional<HealthReport>>(
      [=](ProverView& v) {
        return std::optional<HealthReport>(
            engine::check_health(v.prover(), *store, v.last_sequence(), samples, seed));
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
    job->finish(BatchResult{tree::Status(tree::ErrorKind::kInvalidArgument, "runtime is shut down"), {}, {}, {}, {}, {}, 0, 0});
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
  job->on_done = [this] {
    std::lock_guard<std::mutex> lock(inflight_mutex);
    --inflight;
    inflight_freed.notify_one();
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
  BatchResult done = impl_->submit_job(job, true).get();  // the promise is set after `rolled_back`
  RollbackResult r = job->rolled_back;
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
  if (impl_->stopped) return tree::Status(tree::ErrorKind::kInvalidArgument, "runtime is shut down");
  return impl_->seal();
}

tree::Status Runtime::compact() {
  if (impl_->stopped) return tree::Status(tree::ErrorKind::kInvalidArgument, "runtime is shut down");
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
  impl_->checks.reset();  // its health checks read through the prover
  tree::Status s = impl_->seal();  // waits for every acknowledged batch first
  impl_->stopped = true;
  // The supervisor stops the actors it supervises, without restarting them.
  caf::anon_send_exit(impl_->supervisor, caf::exit_reason::user_shutdown);
  impl_->supervisor = nullptr;
  impl_->system.reset();  // waits for the actors to finish
  impl_->system_config.reset();
  // Flushed memtables leave no write-ahead log to replay at the next open.
  // On a disk too full to flush, the synced log keeps everything instead.
  tree::Status flushed = impl_->db->flush();
  if (flushed.kind() == tree::ErrorKind::kResourceExhausted) {
    runtime_logger(impl_->config)->warn("not flushed at shutdown ({}): the next start replays the log", flushed.to_string());
    flushed = tree::Status::ok();
  }
  impl_->db.reset();
  return s.is_ok() ? flushed : s;
}

}  // namespace basis
