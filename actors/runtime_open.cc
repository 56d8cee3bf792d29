// Opening a store: the database, the actor system, then every tree (the
// default tree first, then the named ones, recovery_parallelism at a time).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "actors/actor_spawn.h"
#include "actors/runtime_access.h"
#include "actors/runtime_impl.h"
#include "actors/supervisor.h"
#include "engine/logger.h"
#include "engine/recovery.h"
#include "engine/tree_keyspace.h"
#include "storage/oplog.h"

namespace basis {

using namespace actors;
using namespace engine;

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

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

// Recovers the tree `impl` describes (config, keyspace, db and system set)
// and starts its actors.
tree::Status start_tree(Runtime::Impl* impl, Clock::time_point started) {
  const config::Config& config = impl->config;
  auto log_to = runtime_logger(config);
  const std::string which = config.tree.id == 0 ? std::string("the default tree") : "tree '" + config.tree.name + "'";
  storage::Database* db = impl->db;
  Recovered recovered;
  tree::Status recovered_status = recover(db, config, &recovered);
  for (const std::string& why : recovered.fallbacks) {
    log_to->warn("recovery of {} fell back: {}", which, why);  // loudly: an older version or a full replay
  }
  if (!recovered_status.is_ok()) {
    log_to->error("{}: {}", which, recovered_status.to_string());
    return recovered_status;
  }
  if (config.tree.id == 0 || (recovered.path != RecoveryPath::kLatestCheckpoint && recovered.path != RecoveryPath::kEmpty) || recovered.replayed > 0) {
    log_to->info("recovered {} of {} ({}) from {} with {} operations replayed, at sequence {}", which, db->path(),
                 recovery_path_name(recovered.path),
                 recovered.checkpoint_id ? "checkpoint " + std::to_string(recovered.checkpoint_id)
                                         : std::string("the empty tree"),
                 recovered.replayed, recovered.last_sequence);
  }
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
    if (tree::Status s = storage::Oplog::open(db, &owned, impl->keyspace); !s.is_ok()) return s;
    if (recovered.rebase) {
      // The operator accepted a rebuilt tree with another digest: the log
      // continues from it, and says so (loudly) in the log file.
      log_to->warn("serving {} rebuilt from notes with digest {}, accepted by configuration; the "
                   "operation log continues from it after record {}",
                   which, tree::to_hex(recovered.rebuilt_digest), recovered.last_sequence);
      if (tree::Status s = owned->rebase(recovered.last_sequence, recovered.rebuilt_digest); !s.is_ok()) return s;
    }
    log = std::move(owned);
  }
  caf::actor_system& system = *impl->system;
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
  // Scheduled, not detached: it only reacts to its actors' ends (a rebuild
  // is rare), and a store of many trees would spend its start making threads.
  impl->supervisor = system.spawn(supervisor, db, config, actors);
  impl->recovery.milliseconds = ms_since(started);
  if (recovered_path == RecoveryPath::kFullReplay || recovered_path == RecoveryPath::kNotesRebuild) {
    // Seal what was rebuilt now, so that the next open starts from it.
    if (tree::Status s = impl->seal(); !s.is_ok()) log_to->error("sealing the recovered tree: {}", s.to_string());
  }
  impl->start_background_checks(log_to);
  return tree::Status::ok();
}

// Opens the named trees of the catalog, `parallelism` at a time: a tree
// that fails to recover is left out (named in the log and by trees()),
// the others are served.
void open_named_trees(Runtime::Impl* store, const std::vector<storage::TreeEntry>& entries) {
  std::vector<NamedTree> opened(entries.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < entries.size(); i = next++) {
      opened[i].entry = entries[i];
      opened[i].failed = RuntimeAccess::open_named(*store, entries[i], &opened[i].runtime);
    }
    // CAF 0.17 leaves a reference to the system on every thread that spawned.
    caf::logger::set_current_actor_system(nullptr);
  };
  const size_t threads =
      std::min<size_t>(entries.size(), std::max<uint32_t>(1, store->config.persistence.recovery_parallelism));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  std::lock_guard<std::mutex> lock(store->named_mutex);
  for (NamedTree& t : opened) store->named[t.entry.name] = std::move(t);
}

}  // namespace

tree::Status Runtime::open(const config::Config& config, std::unique_ptr<Runtime>* out) {
  return RuntimeAccess::open(config, nullptr, out);
}

tree::Status actors::RuntimeAccess::open_named(Runtime::Impl& store, const storage::TreeEntry& entry,
                                               std::shared_ptr<Runtime>* out) {
  const auto started = Clock::now();
  auto impl = std::make_unique<Runtime::Impl>();
  impl->config = named_tree_config(store.config, entry);
  impl->keyspace = tree_keyspace(impl->config);
  impl->db = store.db;
  impl->system = store.system;
  impl->check_runner = store.check_runner;
  if (tree::Status s = start_tree(impl.get(), started); !s.is_ok()) return s;
  out->reset(new Runtime(std::move(impl)));
  return tree::Status::ok();
}

tree::Status actors::RuntimeAccess::open(const config::Config& config, rocksdb::Env* env,
                                         std::unique_ptr<Runtime>* out) {
  const auto started = Clock::now();
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
  impl->config.tree.name = "default";
  impl->config.tree.id = 0;
  storage::DatabaseOptions options;
  options.path = (std::filesystem::path(config.storage.data_dir) / "db").string();
  options.params = tree::TreeParams{config.tree.key_length, config.tree.value_length};
  options.node_compression = config.persistence.node_compression;
  options.ingest_min_bytes = config.persistence.node_ingest_min_size;
  options.env = env;
  options.compaction_reserve = config.storage.min_free_space;
  options.memory_budget = config.persistence.node_cache_size;  // one budget for every tree
  auto log_to = runtime_logger(config);
  if (tree::Status s = check_room_to_start(config); !s.is_ok()) {
    log_to->error("{}", s.to_string());
    return s;
  }
  if (tree::Status s = storage::Database::open(options, &impl->owned_db); !s.is_ok()) {
    log_to->error("{}", s.to_string());
    return s;
  }
  impl->db = impl->owned_db.get();
  impl->recovery.open_ms = ms_since(started);
  if (const storage::MarkCheck& mark = impl->db->mark_check(); mark.moved_back) {
    log_to->warn("{}; the durable mark moves back to {}", mark.warning, mark.recovered);
  }
  // The catalog, with the declared trees it lacks added, before any tree
  // starts: a damaged catalog refuses the start.
  std::vector<storage::TreeEntry> entries;
  if (tree::Status s = storage::list_trees(*impl->db, &entries); !s.is_ok()) {
    log_to->error("{}", s.to_string());
    return s;
  }
  for (const config::Config::Tree& declared : config.trees) {
    auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.name == declared.name; });
    if (it != entries.end()) {
      if (it->key_length != declared.key_length || it->value_length != declared.value_length) {
        tree::Status s(tree::ErrorKind::kInvalidArgument,
                       "[[trees]] '" + declared.name + "' declares other parameters than the store holds it with "
                       "(key_length " + std::to_string(it->key_length) + "): a tree's parameters never change");
        log_to->error("{}", s.to_string());
        return s;
      }
      continue;
    }
    storage::TreeEntry created;
    if (tree::Status s = storage::create_tree(impl->db, declared.name, declared.key_length, declared.value_length,
                                              &created);
        !s.is_ok()) {
      log_to->error("creating tree '{}': {}", declared.name, s.to_string());
      return s;
    }
    log_to->info("created tree '{}' (declared in the configuration)", declared.name);
    entries.push_back(std::move(created));
  }
  impl->system_config = std::make_unique<caf::actor_system_config>();
  impl->system_config->set("scheduler.max-threads", 2);
  impl->owned_system = std::make_unique<caf::actor_system>(*impl->system_config);
  impl->system = impl->owned_system.get();
  if (tree::Status s = start_tree(impl.get(), started); !s.is_ok()) return s;
  std::unique_ptr<Runtime> runtime(new Runtime(std::move(impl)));
  runtime->impl_->check_runner = std::make_shared<CheckRunner>(
      static_cast<int>(std::clamp<uint32_t>(config.persistence.recovery_parallelism, 1, 256)));
  open_named_trees(runtime->impl_.get(), entries);
  runtime->impl_->recovery.milliseconds = ms_since(started);
  // CAF 0.17 keeps a thread-local reference to the system's logger on the
  // thread that made the system and its actors, and the system's destructor
  // waits for it to go: shutting down from another thread would hang.
  caf::logger::set_current_actor_system(nullptr);
  *out = std::move(runtime);
  return tree::Status::ok();
}

}  // namespace basis
