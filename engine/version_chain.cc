#include "engine/version_chain.h"

#include <algorithm>
#include <map>

#include "engine/tree_keyspace.h"
#include "engine/log_replay.h"
#include "storage/coding.h"
#include "storage/keyspace_iterator.h"

namespace basis::engine {

namespace {

using tree::ErrorKind;
using tree::Status;

// A checkpoint's tree is there at all: its leftmost path resolves.
bool resolves(storage::Database* db, const storage::Keyspace& keyspace, const tree::TreeParams& params,
              const storage::CheckpointRecord& c,
              size_t cache_bytes) {
  storage::NodeStore store(db, cache_bytes, keyspace);
  tree::BatchProver prover(params, c.digest, &store);
  tree::BatchProver::LeafSummary probe;
  return prover.leaf_summary_at(tree::Bytes(params.key_length, 0), &probe).is_ok();
}

}  // namespace

Status build_version_chain(storage::Database* db, const config::Config& config, const storage::Oplog& log,
                           const std::vector<storage::CheckpointRecord>& checkpoints, uint64_t through,
                           size_t cache_bytes, Recovered* out) {
  const tree::TreeParams params{config.tree.key_length, config.tree.value_length};
  if (through > log.last_sequence()) {
    return Status(ErrorKind::kInvalidArgument, "sequence " + std::to_string(through) + " is past the log's last, " +
                                                   std::to_string(log.last_sequence()));
  }
  std::map<uint64_t, const storage::CheckpointRecord*> at;  // the newest checkpoint at each sequence
  for (const auto& c : checkpoints) at.emplace(c.last_sequence, &c);
  // Back from `through`: runs of operations (newest first), down to a base.
  std::vector<std::pair<uint64_t, uint64_t>> runs;
  const storage::CheckpointRecord* base = nullptr;
  storage::KeyspaceIterator it(*db, storage::Family::kOperations, tree_keyspace(config));
  uint64_t s = through, run_last = through, walked = 0;
  while (s > 0) {
    if (auto c = at.find(s); c != at.end() && resolves(db, tree_keyspace(config), params, *c->second, cache_bytes)) {
      base = c->second;
      break;
    }
    it.Seek(storage::sequence_key(s));
    uint64_t found = 0;
    if (!it.Valid() || !storage::parse_sequence_key(it.key(), &found) || found != s) {
      if (Status st = storage::from_rocksdb(it.status(), "reading the operation log"); !st.is_ok()) return st;
      return Status(ErrorKind::kCorruption, "operations record " + std::to_string(s) +
                                                " is missing, and the version after " + std::to_string(through) +
                                                " is built through it");
    }
    storage::OperationRecord rec;
    if (Status d = storage::decode(it.value(), it.key(), &rec); !d.is_ok()) return d;
    if (++walked > log.last_sequence()) return Status(ErrorKind::kCorruption, "the log's rollbacks form a loop");
    if (rec.rollback) {
      if (run_last > s) runs.emplace_back(s + 1, run_last);
      s = rec.rolled_back_to;  // decoding refused one that is not before it
      run_last = s;
      continue;
    }
    --s;
  }
  if (run_last > s) runs.emplace_back(s + 1, run_last);

  Recovered r;
  r.resolver = std::make_unique<storage::NodeStore>(db, cache_bytes, tree_keyspace(config));
  r.path = base ? RecoveryPath::kOlderCheckpoint : RecoveryPath::kFullReplay;
  r.checkpoint_id = base ? base->id : 0;
  r.prover = base ? std::make_unique<tree::BatchProver>(params, base->digest, r.resolver.get())
                  : std::make_unique<tree::BatchProver>(params, r.resolver.get());
  r.last_sequence = base ? base->last_sequence : 0;
  std::reverse(runs.begin(), runs.end());
  for (const auto& [first, last] : runs) {
    // Each run starts from the version the one before ended at; the replay
    // checks that the log agrees (the first record's digest before).
    ReplayOptions options;
    options.after = first - 1;
    options.through = last;
    ReplayProgress progress;
    if (Status st = replay_log(log, options, &r.prover, &r.resolver, &progress); !st.is_ok()) return st;
    r.replayed += progress.replayed;
  }
  r.last_sequence = through;
  *out = std::move(r);
  return Status::ok();
}

}  // namespace basis::engine
