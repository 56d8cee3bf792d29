#include "actors/recovery.h"

#include "storage/checkpoint_store.h"
#include "storage/oplog.h"

namespace basis::actors {

namespace {

constexpr uint64_t kReplayBatch = 1000;  // operations per batch while replaying

// Loads the nodes the replay will touch, in batched reads, before replaying.
void prefetch(const storage::Oplog& log, uint64_t after, const tree::Digest& start, Recovered* r) {
  std::vector<tree::Bytes> keys;
  (void)log.scan(after + 1, UINT64_MAX, [&](const storage::OperationRecord& rec) {
    keys.push_back(rec.key);
    return true;
  });
  if (keys.empty()) return;
  tree::Label root;
  std::copy(start.begin(), start.begin() + tree::kLabelSize, root.begin());
  (void)r->resolver->prefetch_paths(root, keys);
}

tree::Status replay(const storage::Oplog& log, uint64_t after, Recovered* r) {
  tree::Status failure;
  tree::OpOutcome out;
  uint64_t in_batch = 0;
  tree::Status scan = log.scan(after + 1, UINT64_MAX, [&](const storage::OperationRecord& rec) {
    std::string at = "operations record " + std::to_string(rec.sequence);
    if (r->prover->digest() != rec.digest_before) {
      failure = tree::Status(tree::ErrorKind::kCorruption, at + ": digest before does not match the tree");
      return false;
    }
    if (tree::Status s = r->prover->perform(rec.operation(), &out); !s.is_ok()) {
      failure = tree::Status(tree::ErrorKind::kCorruption, at + " does not replay: " + s.to_string());
      return false;
    }
    if (r->prover->digest() != rec.digest_after) {
      failure = tree::Status(tree::ErrorKind::kCorruption, at + ": digest after does not match the tree");
      return false;
    }
    r->last_sequence = rec.sequence;
    ++r->replayed;
    if (++in_batch == kReplayBatch) {
      r->prover->end_batch();
      in_batch = 0;
    }
    return true;
  });
  r->prover->end_batch();
  if (!scan.is_ok()) return scan;
  if (!failure.is_ok()) return failure;
  if (r->last_sequence != log.last_sequence()) {
    return tree::Status(tree::ErrorKind::kCorruption, "replay stopped at record " + std::to_string(r->last_sequence));
  }
  return tree::Status::ok();
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
  // node_cache_size is shared: half for the tree in memory, a quarter for
  // the resolver's records (RocksDB's block cache takes its own).
  const size_t cache = static_cast<size_t>(config.persistence.node_cache_size / 4);
  // Candidates newest first; the last is the empty tree (a full replay).
  for (size_t i = 0; i <= checkpoints.size(); ++i) {
    Recovered r;
    r.fallbacks = std::move(out->fallbacks);
    r.resolver = std::make_unique<storage::NodeStore>(db, cache);
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
    } else {
      r.prover = std::make_unique<tree::BatchProver>(params, r.resolver.get());
    }
    if (s.is_ok() && i < checkpoints.size()) prefetch(*log, r.last_sequence, checkpoints[i].digest, &r);
    if (s.is_ok()) s = replay(*log, r.last_sequence, &r);
    if (s.is_ok()) {
      *out = std::move(r);
      return tree::Status::ok();
    }
    std::string what = i < checkpoints.size() ? "checkpoint " + std::to_string(checkpoints[i].id)
                                              : std::string("full replay");
    r.fallbacks.push_back(what + ": " + s.to_string());
    out->fallbacks = std::move(r.fallbacks);
  }
  std::string why;
  for (const auto& f : out->fallbacks) why += (why.empty() ? "" : "; ") + f;
  return tree::Status(tree::ErrorKind::kCorruption, "recovery failed: " + why);
}

}  // namespace basis::actors
