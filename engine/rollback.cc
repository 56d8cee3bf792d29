#include "engine/rollback.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <optional>

#include "engine/tree_keyspace.h"
#include "engine/recovery.h"
#include "storage/checkpoint_store.h"
#include "storage/coding.h"
#include "storage/oplog.h"

namespace basis::engine {

namespace {

using tree::ErrorKind;
using tree::Status;

uint64_t now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// What the retained checkpoints and the live log can still build: every
// version from `contiguous_from` on, and each checkpoint's own.
struct Reach {
  std::optional<uint64_t> contiguous_from;
  std::vector<storage::CheckpointRecord> checkpoints;  // newest first

  bool reaches(uint64_t sequence) const {
    if (contiguous_from && sequence >= *contiguous_from) return true;
    for (const auto& c : checkpoints) {
      if (c.last_sequence == sequence) return true;
    }
    return false;
  }
  std::string oldest() const {
    if (contiguous_from) return "the oldest version reachable is the one after operation " + std::to_string(*contiguous_from);
    return "no version before the current one is reachable";
  }
};

Status find_reach(storage::Database* db, const storage::Keyspace& keyspace, const storage::Oplog& log,
                  Reach* out) {
  if (Status s = storage::CheckpointStore(db, keyspace).list(&out->checkpoints); !s.is_ok()) return s;
  const uint64_t first = log.first_sequence();  // last + 1 when the live log is empty
  if (first <= 1) out->contiguous_from = 0;     // the whole log: from the empty tree
  for (const auto& c : out->checkpoints) {
    if (c.last_sequence + 1 >= first && (!out->contiguous_from || c.last_sequence < *out->contiguous_from)) {
      out->contiguous_from = c.last_sequence;
    }
  }
  return Status::ok();
}

// The sequence number of the version `target` names, and its digest.
Status resolve(const storage::Oplog& log, const Reach& reach, const RollbackTarget& target, const tree::Digest& live,
               uint64_t live_sequence, uint64_t* sequence) {
  switch (target.kind) {
    case RollbackTarget::Kind::kSequence:
      *sequence = target.number;
      return Status::ok();
    case RollbackTarget::Kind::kCheckpoint:
      for (const auto& c : reach.checkpoints) {
        if (c.id == target.number) {
          *sequence = c.last_sequence;
          return Status::ok();
        }
      }
      return Status(ErrorKind::kNotFound, "no checkpoint " + std::to_string(target.number) + " is retained");
    case RollbackTarget::Kind::kDigest: {
      if (target.digest == live) {
        *sequence = live_sequence;
        return Status::ok();
      }
      std::optional<uint64_t> found;
      if (reach.contiguous_from) {
        // The newest version with that digest: the log, then the checkpoints.
        Status s = log.scan(*reach.contiguous_from + 1, live_sequence, [&](const storage::OperationRecord& r) {
          if (r.digest_before == target.digest) found = r.sequence - 1;
          if (r.digest_after == target.digest) found = r.sequence;
          return true;
        });
        if (!s.is_ok()) return s;
      }
      for (const auto& c : reach.checkpoints) {
        if (c.digest == target.digest && (!found || c.last_sequence > *found)) found = c.last_sequence;
      }
      if (!found) {
        return Status(ErrorKind::kNotFound, "no retained version has digest " + tree::to_hex(target.digest) + " (" +
                                                reach.oldest() + ")");
      }
      *sequence = *found;
      return Status::ok();
    }
  }
  return Status(ErrorKind::kInvalidArgument, "unknown rollback target");
}

// The sequence ranges a rollback's key scan has read: each record is read
// once, however many nested rollbacks' ranges hold it (without this, a
// rollback over k earlier ones that each hold the ones before read 2^k
// ranges).
class ScannedRanges {
 public:
  // The parts of [first, last] not read yet, now marked read.
  std::vector<std::pair<uint64_t, uint64_t>> take(uint64_t first, uint64_t last) {
    std::vector<std::pair<uint64_t, uint64_t>> gaps;
    if (first > last) return gaps;
    auto it = ranges_.upper_bound(first);
    uint64_t at = first;
    if (it != ranges_.begin() && std::prev(it)->second >= first) at = std::prev(it)->second + 1;
    while (at <= last) {
      if (it == ranges_.end() || it->first > last) {
        gaps.emplace_back(at, last);
        break;
      }
      if (it->first > at) gaps.emplace_back(at, it->first - 1);
      at = std::max(at, it->second + 1);
      ++it;
    }
    for (const auto& [a, b] : gaps) ranges_[a] = b;
    return gaps;
  }

 private:
  std::map<uint64_t, uint64_t> ranges_;  // first -> last, disjoint
};

// Every key a record after `from` through `to` changed, the ranges of the
// rollbacks among them included (and theirs, and so on).
Status changed_keys(const storage::Oplog& log, uint64_t from, uint64_t to, uint64_t* records,
                    std::map<tree::Bytes, bool, tree::BytesLess>* keys) {
  struct Range {
    uint64_t first, last;
    uint64_t rollback;  // the rollback record whose range this is; 0: the range undone itself
  };
  std::vector<Range> todo{{from + 1, to, 0}};
  ScannedRanges scanned;
  while (!todo.empty()) {
    const Range range = todo.back();
    todo.pop_back();
    for (const auto& [first, last] : scanned.take(range.first, range.last)) {
      if (range.rollback != 0 && first < log.first_sequence()) {
        // Retention took records an earlier rollback undid: which keys they
        // changed, and so which notes this rollback must rewrite, is gone.
        return Status(ErrorKind::kInvalidArgument,
                      "the records undone hold the rollback at " + std::to_string(range.rollback) +
                          ", which undid operations " + std::to_string(first) + ".." + std::to_string(last) +
                          "; those left the live log, so the keys they changed cannot be listed: roll back to a "
                          "version at or after operation " + std::to_string(range.rollback));
      }
      Status s = log.scan(first, last, [&](const storage::OperationRecord& r) {
        if (++*records > kMaxRollbackOperations) return false;
        if (r.rollback) {
          todo.push_back({r.rolled_back_to + 1, r.sequence - 1, r.sequence});
        } else {
          (*keys)[r.key] = true;
        }
        return true;
      });
      if (!s.is_ok() && range.rollback != 0) {
        return Status(s.kind(), "the range undone holds the rollback at " + std::to_string(range.rollback) +
                                    ", whose own range cannot be read: " + s.message());
      }
      if (!s.is_ok()) return s;
      if (*records > kMaxRollbackOperations) {
        return Status(ErrorKind::kLimitExceeded, "a rollback undoes at most " +
                                                     std::to_string(kMaxRollbackOperations) +
                                                     " log records, rollbacks in its range included");
      }
    }
  }
  return Status::ok();
}

}  // namespace

Status plan_rollback(storage::Database* db, const config::Config& config, tree::BatchProver& live,
                     uint64_t live_sequence, const RollbackTarget& target, RollbackPlan* out) {
  RollbackResult& result = out->result;
  result.digest_before = result.digest = live.digest();
  result.rolled_back_to = live_sequence;
  std::unique_ptr<storage::Oplog> log;
  if (Status s = storage::Oplog::open(db, &log, tree_keyspace(config)); !s.is_ok()) return s;
  if (log->last_sequence() != live_sequence) {
    return Status(ErrorKind::kBusy, "the log is at " + std::to_string(log->last_sequence()) + ", the tree at " +
                                        std::to_string(live_sequence) + ": try again");
  }
  Reach reach;
  if (Status s = find_reach(db, tree_keyspace(config), *log, &reach); !s.is_ok()) return s;
  uint64_t to = 0;
  if (Status s = resolve(*log, reach, target, result.digest_before, live_sequence, &to); !s.is_ok()) return s;
  if (to > live_sequence) {
    return Status(ErrorKind::kInvalidArgument, "sequence " + std::to_string(to) + " is ahead of the tree, at " +
                                                   std::to_string(live_sequence));
  }
  if (to == live_sequence) return Status::ok();  // that version already: nothing to undo
  if (!reach.reaches(to)) {
    return Status(ErrorKind::kInvalidArgument, "the version after operation " + std::to_string(to) +
                                                   " is past what is retained: " + reach.oldest());
  }
  std::map<tree::Bytes, bool, tree::BytesLess> keys;
  uint64_t records = 0;
  if (Status s = changed_keys(*log, to, live_sequence, &records, &keys); !s.is_ok()) return s;

  Recovered version;
  if (Status s = recover_version(db, config, to, &version); !s.is_ok()) {
    return Status(s.kind() == ErrorKind::kInvalidArgument ? s.kind() : ErrorKind::kCorruption,
                  "the version after operation " + std::to_string(to) + " cannot be built: " + s.message());
  }
  if (version.prover->digest() == result.digest_before) {
    result.rolled_back_to = to;  // the same tree (its digest says so): nothing to undo, nothing logged
    return Status::ok();
  }
  storage::OperationRecord& rec = out->record;
  rec.sequence = live_sequence + 1;
  rec.rollback = true;
  rec.rolled_back_to = to;
  rec.timestamp_ms = now_ms();
  rec.digest_before = result.digest_before;
  rec.digest_after = version.prover->digest();
  // Each key's note becomes its value in that version; a key that comes
  // back has this record as its first sequence.
  for (const auto& [key, unused] : keys) {
    (void)unused;
    tree::OpOutcome then, now;
    if (Status s = version.prover->get(tree::view(key), &then); !s.is_ok()) return s;
    if (Status s = live.get(tree::view(key), &now); !s.is_ok()) return s;
    storage::NoteUpdate note{key, std::nullopt};
    if (then.existed) {
      uint64_t first = rec.sequence;  // a key that comes back
      if (now.existed) {
        // Still there: it keeps the first sequence its note has.
        std::string stored;
        storage::NoteRecord current;
        std::string_view name = storage::chars_of(tree::view(key));
        Status s = db->get(tree_keyspace(config).family(storage::Family::kNotes), tree_keyspace(config).key(name), &stored);
        if (s.is_ok()) s = storage::decode(stored, name, &current);
        if (!s.is_ok()) return Status(s.kind(), "reading the note the rollback restores: " + s.message());
        first = current.first_sequence;
      }
      note.note = storage::NoteRecord{then.old_value, first};
    }
    out->notes.push_back(std::move(note));
  }
  result.digest = rec.digest_after;
  result.sequence = rec.sequence;
  result.rolled_back_to = to;
  result.undone = live_sequence - to;
  out->needed = true;
  out->prover = std::move(version.prover);
  out->resolver = std::move(version.resolver);
  return Status::ok();
}

}  // namespace basis::engine
