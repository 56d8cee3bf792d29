#include "actors/recovery.h"

#include <chrono>
#include <optional>

#include "storage/checkpoint_store.h"
#include "storage/notes.h"
#include "storage/oplog.h"

namespace basis::actors {

namespace {

constexpr uint64_t kReplayBatch = 1000;  // operations per batch while replaying

// Loads the nodes the replay will touch, in batched reads, before replaying.
void prefetch(const storage::Oplog& log, uint64_t after, const tree::Digest& start, int threads,
              Recovered* r) {
  std::vector<tree::Bytes> keys;
  (void)log.scan(after + 1, UINT64_MAX, [&](const storage::OperationRecord& rec) {
    keys.push_back(rec.key);
    return true;
  });
  if (keys.empty()) return;
  tree::Label root;
  std::copy(start.begin(), start.begin() + tree::kLabelSize, root.begin());
  r->resolver->prefetch_paths(root, std::move(keys), threads);
}

// Replays the log after `after`. The scan checks every record's checksum and
// its link to the record before (digest before = previous digest after);
// the tree's digest is compared with the log at the first record, every
// kReplayBatch records and at the last one. Comparing after every operation
// would hash a root path per operation, which costs more than the rest of
// the replay, and proves nothing more about the state that is served.
tree::Status replay(const storage::Oplog& log, uint64_t after, Recovered* r) {
  tree::Status failure;
  tree::OpOutcome out;
  uint64_t in_batch = 0, batch_first = after + 1;
  auto check = [&](const tree::Digest& expected, const std::string& where) {
    tree::Digest actual = r->prover->digest();
    if (actual == expected) return true;
    failure = tree::Status(tree::ErrorKind::kCorruption,
                           where + ": the tree's digest is " + tree::to_hex(actual) + ", the log says " +
                               tree::to_hex(expected));
    return false;
  };
  std::optional<tree::Digest> last_after;
  tree::Status scan = log.scan(after + 1, UINT64_MAX, [&](const storage::OperationRecord& rec) {
    std::string at = "operations record " + std::to_string(rec.sequence);
    if (rec.sequence == after + 1 && !check(rec.digest_before, "before " + at)) return false;
    if (tree::Status s = r->prover->perform(rec.operation(), &out); !s.is_ok()) {
      failure = tree::Status(tree::ErrorKind::kCorruption, at + " does not replay: " + s.to_string());
      return false;
    }
    r->last_sequence = rec.sequence;
    last_after = rec.digest_after;
    ++r->replayed;
    if (++in_batch == kReplayBatch) {
      std::string range = "after operations records " + std::to_string(batch_first) + ".." +
                          std::to_string(rec.sequence);
      if (!check(rec.digest_after, range)) return false;
      r->prover->end_batch();
      in_batch = 0;
      batch_first = rec.sequence + 1;
    }
    return true;
  });
  if (scan.is_ok() && failure.is_ok() && in_batch > 0) {
    (void)check(*last_after, "after operations records " + std::to_string(batch_first) + ".." +
                                 std::to_string(r->last_sequence));
  }
  r->prover->end_batch();
  if (!scan.is_ok()) return scan;
  if (!failure.is_ok()) return failure;
  if (r->last_sequence != log.last_sequence()) {
    return tree::Status(tree::ErrorKind::kCorruption, "replay stopped at record " + std::to_string(r->last_sequence));
  }
  return tree::Status::ok();
}

// The last resort: every note inserted in the order its key was first
// inserted. The digest equals the log's only if no key was ever removed.
tree::Status rebuild_from_notes(storage::Database* db, const config::Config& config, const storage::Oplog& log,
                                size_t cache, Recovered* r) {
  const tree::TreeParams params{config.tree.key_length, config.tree.value_length};
  std::vector<storage::Note> notes;
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
    if ((i + 1) % kReplayBatch == 0) r->prover->end_batch();
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

tree::Status recover(storage::Database* db, const config::Config& config, Recovered* out) {
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
  // node_cache_size is shared: half for the tree in memory, a quarter for
  // the resolver's records.
  const size_t cache = static_cast<size_t>(config.persistence.node_cache_size / 4);
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
      tree::OpOutcome probe;  // resolve the leftmost path: is the tree there at all?
      s = r.prover->get(tree::Bytes(params.key_length, 0), &probe);
      if (s.is_ok() && cp.last_sequence > log->last_sequence()) {
        s = tree::Status(tree::ErrorKind::kCorruption, "checkpoint is ahead of the log");
      }
      if (s.is_ok() && config.persistence.recovery_validation == config::RecoveryValidation::kFull) {
        uint64_t nodes = 0;
        s = storage::verify_tree(*db, cp.digest, threads, &nodes);
        r.verified_nodes = nodes;
      }
      if (s.is_ok()) prefetch(*log, r.last_sequence, cp.digest, threads, &r);
    } else if (checkpoints.empty() && log->last_sequence() == 0) {
      r.path = RecoveryPath::kEmpty;
      r.prover = std::make_unique<tree::BatchProver>(params, r.resolver.get());
    } else {
      r.prover = std::make_unique<tree::BatchProver>(params, r.resolver.get());
    }
    auto loaded = std::chrono::steady_clock::now();
    r.load_ms = std::chrono::duration<double, std::milli>(loaded - started).count();
    if (s.is_ok()) s = replay(*log, r.last_sequence, &r);
    r.replay_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - loaded).count();
    r.resolver->drop_prefetched();  // what the replay used is in the tree now
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
  tree::Status s = rebuild_from_notes(db, config, *log, cache, &r);
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

const char* recovery_path_name(RecoveryPath p) {
  switch (p) {
    case RecoveryPath::kEmpty: return "empty";
    case RecoveryPath::kLatestCheckpoint: return "latest_checkpoint";
    case RecoveryPath::kOlderCheckpoint: return "older_checkpoint";
    case RecoveryPath::kFullReplay: return "full_replay";
    case RecoveryPath::kNotesRebuild: return "notes_rebuild";
  }
  return "?";
}

}  // namespace basis::actors
