#include "engine/recovery.h"

#include <chrono>
#include <optional>

#include "engine/tree_keyspace.h"
#include "engine/log_replay.h"
#include "engine/version_chain.h"
#include "storage/checkpoint_store.h"
#include "storage/notes.h"
#include "storage/oplog.h"

namespace basis::engine {

namespace {

constexpr uint64_t kRebuildBatch = 1000;  // notes inserted per batch

// node_cache_size is shared: half for the tree in memory, a quarter for the
// resolver's records.
size_t resolver_cache_bytes(const config::Config& config) {
  return static_cast<size_t>(config.persistence.node_cache_size / 4);
}

// The last resort: every note inserted in the order its key was first
// inserted. The digest equals the log's only if no key was ever removed.
tree::Status rebuild_notes(storage::Database* db, const config::Config& config, const storage::Oplog& log,
                           size_t cache, Recovered* r, const ProgressFn& progress) {
  const tree::TreeParams params{config.tree.key_length, config.tree.value_length};
  std::vector<storage::Note> notes;
  if (progress) progress("reading notes", 0, 0);
  if (tree::Status s = storage::read_notes_in_insertion_order(*db, params.key_length, log.last_sequence(), &notes, tree_keyspace(config));
      !s.is_ok()) {
    return s;
  }
  r->path = RecoveryPath::kNotesRebuild;
  r->checkpoint_id = 0;
  r->resolver = std::make_unique<storage::NodeStore>(db, cache, tree_keyspace(config));
  r->prover = std::make_unique<tree::BatchProver>(params, r->resolver.get());
  tree::OpOutcome out;
  for (size_t i = 0; i < notes.size(); ++i) {
    const storage::Note& n = notes[i];
    tree::Operation insert{tree::OpType::kInsert, tree::view(n.key), tree::view(n.record.value), 0};
    if (tree::Status s = r->prover->perform(insert, &out); !s.is_ok()) {
      std::string_view key(reinterpret_cast<const char*>(n.key.data()), n.key.size());
      return tree::Status(tree::ErrorKind::kCorruption,
                          storage::record_name(storage::kNotes, key) + " does not insert: " + s.to_string());
    }
    if ((i + 1) % kRebuildBatch == 0) {
      r->prover->end_batch();
      if (progress) progress("inserting notes", i + 1, notes.size());
    }
  }
  r->prover->end_batch();
  r->last_sequence = log.last_sequence();
  r->rebuilt_digest = r->prover->digest();
  const tree::Digest logged = log.last_digest().value_or(r->rebuilt_digest);
  if (r->rebuilt_digest == logged) return tree::Status::ok();
  const std::string hex = tree::to_hex(r->rebuilt_digest);
  if (config.persistence.accept_rebuilt_digest == hex) {
    r->rebase = true;  // the operator confirmed this digest
    return tree::Status::ok();
  }
  return tree::Status(
      tree::ErrorKind::kCorruption,
      "rebuilt the tree from " + std::to_string(notes.size()) + " notes, but its digest " + hex +
          " differs from the digest after the last operations record (" + std::to_string(log.last_sequence()) +
          "), " + tree::to_hex(logged) + ", which may be committed on chain: nothing is served. A removed key " +
          "or a damaged note changes the digest. To serve the rebuilt tree, set " +
          "persistence.accept_rebuilt_digest = \"" + hex + "\"");
}



struct VersionSearch {
  storage::Database* db;
  const config::Config& config;
  const storage::Oplog& log;
  const std::vector<storage::CheckpointRecord>& checkpoints;  // newest first
  const ProgressFn& progress;
};

// A rollback record met in a replay: the version it returns to, built along
// its chain (engine/version_chain.h), never by replaying again through the
// rollbacks before it.
RollbackFn rollback_builder(const VersionSearch& v) {
  return [&v](uint64_t sequence, RolledBackTree* back) {
    Recovered r;
    tree::Status s =
        build_version_chain(v.db, v.config, v.log, v.checkpoints, sequence, resolver_cache_bytes(v.config), &r);
    if (!s.is_ok()) return s;
    back->prover = std::move(r.prover);
    back->resolver = std::move(r.resolver);
    return tree::Status::ok();
  };
}

// The tree after operation `through`: the newest checkpoint at or before it
// whose tree resolves, then the log up to `through`; the empty tree and the
// log from its start when none does. `out->fallbacks` says why candidates
// were refused.
tree::Status build_version(const VersionSearch& v, uint64_t through, Recovered* out) {
  const tree::TreeParams params{v.config.tree.key_length, v.config.tree.value_length};
  const int threads = static_cast<int>(v.config.persistence.recovery_parallelism);
  const size_t cache = resolver_cache_bytes(v.config);
  std::vector<const storage::CheckpointRecord*> candidates;
  for (const auto& cp : v.checkpoints) {
    if (cp.last_sequence <= through) candidates.push_back(&cp);
  }
  const bool latest = !v.checkpoints.empty() && !candidates.empty() && candidates[0] == &v.checkpoints[0];
  for (size_t i = 0; i <= candidates.size(); ++i) {
    auto started = std::chrono::steady_clock::now();
    Recovered r;
    r.fallbacks = std::move(out->fallbacks);
    r.resolver = std::make_unique<storage::NodeStore>(v.db, cache, tree_keyspace(v.config));
    r.path = i == 0 && latest                ? RecoveryPath::kLatestCheckpoint
             : i < candidates.size()         ? RecoveryPath::kOlderCheckpoint
                                             : RecoveryPath::kFullReplay;
    tree::Status s;
    if (i < candidates.size()) {
      const auto& cp = *candidates[i];
      r.checkpoint_id = cp.id;
      r.last_sequence = cp.last_sequence;
      r.prover = std::make_unique<tree::BatchProver>(params, cp.digest, r.resolver.get());
      tree::BatchProver::LeafSummary probe;  // resolve the leftmost path: is the tree there at all?
      s = r.prover->leaf_summary_at(tree::Bytes(params.key_length, 0), &probe);
      if (s.is_ok() && cp.last_sequence > v.log.last_sequence()) {
        s = tree::Status(tree::ErrorKind::kCorruption, "checkpoint is ahead of the log");
      }
      if (s.is_ok() && v.config.persistence.recovery_validation == config::RecoveryValidation::kFull) {
        uint64_t nodes = 0;
        s = storage::verify_tree(*v.db, cp.digest, threads, &nodes, nullptr, {}, tree_keyspace(v.config));
        r.verified_nodes = nodes;
      }
    } else {
      if (v.checkpoints.empty() && v.log.last_sequence() == 0) r.path = RecoveryPath::kEmpty;
      r.prover = std::make_unique<tree::BatchProver>(params, r.resolver.get());
    }
    auto loaded = std::chrono::steady_clock::now();
    r.load_ms = std::chrono::duration<double, std::milli>(loaded - started).count();
    if (s.is_ok()) {
      ReplayOptions options;
      options.after = r.last_sequence;
      options.through = through;
      options.threads = threads;
      options.progress = v.progress;
      options.rollback = rollback_builder(v);
      if (i < candidates.size()) {
        tree::Label root;
        std::copy(candidates[i]->digest.begin(), candidates[i]->digest.begin() + tree::kLabelSize, root.begin());
        options.prefetch_root = root;
      }
      ReplayProgress progress;
      s = replay_log(v.log, options, &r.prover, &r.resolver, &progress);
      r.last_sequence = progress.last_sequence;
      r.replayed = progress.replayed;
    }
    r.replay_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - loaded).count();
    if (s.is_ok()) {
      *out = std::move(r);
      return tree::Status::ok();
    }
    std::string what = i < candidates.size() ? "checkpoint " + std::to_string(candidates[i]->id)
                                             : std::string("full replay");
    r.fallbacks.push_back(what + ": " + s.to_string());
    out->fallbacks = std::move(r.fallbacks);
  }
  std::string why;
  for (const auto& f : out->fallbacks) why += (why.empty() ? "" : "; ") + f;
  return tree::Status(tree::ErrorKind::kCorruption,
                      "no version after operation " + std::to_string(through) + " could be built: " + why);
}

}  // namespace

tree::Status recover(storage::Database* db, const config::Config& config, Recovered* out,
                     const ProgressFn& progress) {
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db, &log, tree_keyspace(config)); !s.is_ok()) return s;
  std::vector<storage::CheckpointRecord> checkpoints;
  storage::CheckpointStore store(db, tree_keyspace(config));
  if (tree::Status s = store.list(&checkpoints); !s.is_ok()) {
    out->fallbacks.push_back("checkpoints unreadable: " + s.to_string());
    checkpoints.clear();
  }
  if (config.tree.id != 0) {
    // A checkpoint is written only after the log it covers is durable: one
    // ahead of the log means the log lost its tail. The default tree's
    // durable mark refuses that at open; a named tree has no mark of its
    // own, so this is its check (it is refused; the other trees serve).
    for (const storage::CheckpointRecord& c : checkpoints) {
      if (c.last_sequence > log->last_sequence()) {
        return tree::Status(tree::ErrorKind::kCorruption,
                            "tree '" + config.tree.name + "': its log ends at operation " +
                                std::to_string(log->last_sequence()) + " but checkpoint " + std::to_string(c.id) +
                                " holds operations through " + std::to_string(c.last_sequence) +
                                ": acknowledged operations after " + std::to_string(log->last_sequence()) +
                                " are lost; the tree is not served (restore it from a backup)");
      }
    }
  }
  VersionSearch search{db, config, *log, checkpoints, progress};
  if (build_version(search, log->last_sequence(), out).is_ok()) return tree::Status::ok();
  Recovered r;
  r.fallbacks = std::move(out->fallbacks);
  tree::Status s = rebuild_notes(db, config, *log, resolver_cache_bytes(config), &r, progress);
  if (s.is_ok()) {
    *out = std::move(r);
    return tree::Status::ok();
  }
  r.fallbacks.push_back("rebuild from notes: " + s.to_string());
  out->fallbacks = std::move(r.fallbacks);
  std::string why;
  for (const auto& f : out->fallbacks) why += (why.empty() ? "" : "; ") + f;
  return tree::Status(tree::ErrorKind::kCorruption, "recovery failed: " + why);
}

tree::Status recover_version(storage::Database* db, const config::Config& config, uint64_t sequence,
                             Recovered* out) {
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db, &log, tree_keyspace(config)); !s.is_ok()) return s;
  if (sequence > log->last_sequence()) {
    return tree::Status(tree::ErrorKind::kInvalidArgument, "sequence " + std::to_string(sequence) +
                                                               " is past the log's last, " +
                                                               std::to_string(log->last_sequence()));
  }
  std::vector<storage::CheckpointRecord> checkpoints;
  if (tree::Status s = storage::CheckpointStore(db, tree_keyspace(config)).list(&checkpoints); !s.is_ok()) return s;
  return build_version_chain(db, config, *log, checkpoints, sequence, resolver_cache_bytes(config), out);
}

tree::Status replay_whole_log(storage::Database* db, const config::Config& config, Recovered* out,
                              const ProgressFn& progress) {
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db, &log, tree_keyspace(config)); !s.is_ok()) return s;
  out->path = RecoveryPath::kFullReplay;
  out->resolver = std::make_unique<storage::NodeStore>(db, resolver_cache_bytes(config), tree_keyspace(config));
  out->prover = std::make_unique<tree::BatchProver>(tree::TreeParams{config.tree.key_length, config.tree.value_length},
                                                    out->resolver.get());
  std::vector<storage::CheckpointRecord> checkpoints;  // a rollback's version, though, may start from one
  (void)storage::CheckpointStore(db, tree_keyspace(config)).list(&checkpoints);
  VersionSearch search{db, config, *log, checkpoints, progress};
  ReplayOptions options;
  options.progress = progress;
  options.rollback = rollback_builder(search);
  ReplayProgress replayed;
  tree::Status s = replay_log(*log, options, &out->prover, &out->resolver, &replayed);
  out->last_sequence = replayed.last_sequence;
  out->replayed = replayed.replayed;
  return s;
}

tree::Status rebuild_from_notes(storage::Database* db, const config::Config& config, Recovered* out,
                                const ProgressFn& progress) {
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db, &log, tree_keyspace(config)); !s.is_ok()) return s;
  return rebuild_notes(db, config, *log, resolver_cache_bytes(config), out, progress);
}

}  // namespace basis::engine
