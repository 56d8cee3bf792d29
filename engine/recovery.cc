#include "engine/recovery.h"

#include <chrono>
#include <optional>

#include "engine/log_replay.h"
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
  if (tree::Status s = storage::read_notes_in_insertion_order(*db, params.key_length, log.last_sequence(), &notes);
      !s.is_ok()) {
    return s;
  }
  r->path = RecoveryPath::kNotesRebuild;
  r->checkpoint_id = 0;
  r->resolver = std::make_unique<storage::NodeStore>(db, cache);
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

}  // namespace

tree::Status recover(storage::Database* db, const config::Config& config, Recovered* out,
                     const ProgressFn& progress) {
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db, &log); !s.is_ok()) return s;
  std::vector<storage::CheckpointRecord> checkpoints;
  storage::CheckpointStore store(db);
  if (tree::Status s = store.list(&checkpoints); !s.is_ok()) {
    out->fallbacks.push_back("checkpoints unreadable: " + s.to_string());
    checkpoints.clear();
  }
  const tree::TreeParams params{config.tree.key_length, config.tree.value_length};
  const int threads = static_cast<int>(config.persistence.recovery_parallelism);
  const size_t cache = resolver_cache_bytes(config);
  // Candidates newest first; then the empty tree (a full replay).
  for (size_t i = 0; i <= checkpoints.size(); ++i) {
    auto started = std::chrono::steady_clock::now();
    Recovered r;
    r.fallbacks = std::move(out->fallbacks);
    r.resolver = std::make_unique<storage::NodeStore>(db, cache);
    r.path = i == 0 && !checkpoints.empty() ? RecoveryPath::kLatestCheckpoint
             : i < checkpoints.size()       ? RecoveryPath::kOlderCheckpoint
                                            : RecoveryPath::kFullReplay;
    tree::Status s;
    if (i < checkpoints.size()) {
      const auto& cp = checkpoints[i];
      r.checkpoint_id = cp.id;
      r.last_sequence = cp.last_sequence;
      r.prover = std::make_unique<tree::BatchProver>(params, cp.digest, r.resolver.get());
      tree::BatchProver::LeafSummary probe;  // resolve the leftmost path: is the tree there at all?
      s = r.prover->leaf_summary_at(tree::Bytes(params.key_length, 0), &probe);
      if (s.is_ok() && cp.last_sequence > log->last_sequence()) {
        s = tree::Status(tree::ErrorKind::kCorruption, "checkpoint is ahead of the log");
      }
      if (s.is_ok() && config.persistence.recovery_validation == config::RecoveryValidation::kFull) {
        uint64_t nodes = 0;
        s = storage::verify_tree(*db, cp.digest, threads, &nodes);
        r.verified_nodes = nodes;
      }
    } else if (checkpoints.empty() && log->last_sequence() == 0) {
      r.path = RecoveryPath::kEmpty;
      r.prover = std::make_unique<tree::BatchProver>(params, r.resolver.get());
    } else {
      r.prover = std::make_unique<tree::BatchProver>(params, r.resolver.get());
    }
    auto loaded = std::chrono::steady_clock::now();
    r.load_ms = std::chrono::duration<double, std::milli>(loaded - started).count();
    if (s.is_ok()) {
      ReplayOptions options;
      options.after = r.last_sequence;
      options.threads = threads;
      options.progress = progress;
      if (i < checkpoints.size()) {
        tree::Label root;
        std::copy(checkpoints[i].digest.begin(), checkpoints[i].digest.begin() + tree::kLabelSize, root.begin());
        options.prefetch_root = root;
      }
      ReplayProgress progress;
      s = replay_log(*log, options, r.prover.get(), r.resolver.get(), &progress);
      r.last_sequence = progress.last_sequence;
      r.replayed = progress.replayed;
    }
    r.replay_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - loaded).count();
    if (s.is_ok()) {
      *out = std::move(r);
      return tree::Status::ok();
    }
    std::string what = i < checkpoints.size() ? "checkpoint " + std::to_string(checkpoints[i].id)
                                              : std::string("full replay");
    r.fallbacks.push_back(what + ": " + s.to_string());
    out->fallbacks = std::move(r.fallbacks);
  }
  Recovered r;
  r.fallbacks = std::move(out->fallbacks);
  tree::Status s = rebuild_notes(db, config, *log, cache, &r, progress);
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

tree::Status replay_whole_log(storage::Database* db, const config::Config& config, Recovered* out,
                              const ProgressFn& progress) {
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db, &log); !s.is_ok()) return s;
  out->path = RecoveryPath::kFullReplay;
  out->resolver = std::make_unique<storage::NodeStore>(db, resolver_cache_bytes(config));
  out->prover = std::make_unique<tree::BatchProver>(tree::TreeParams{config.tree.key_length, config.tree.value_length},
                                                    out->resolver.get());
  ReplayOptions options;
  options.progress = progress;
  ReplayProgress replayed;
  tree::Status s = replay_log(*log, options, out->prover.get(), out->resolver.get(), &replayed);
  out->last_sequence = replayed.last_sequence;
  out->replayed = replayed.replayed;
  return s;
}

tree::Status rebuild_from_notes(storage::Database* db, const config::Config& config, Recovered* out,
                                const ProgressFn& progress) {
  std::unique_ptr<storage::Oplog> log;
  if (tree::Status s = storage::Oplog::open(db, &log); !s.is_ok()) return s;
  return rebuild_notes(db, config, *log, resolver_cache_bytes(config), out, progress);
}

}  // namespace basis::engine
