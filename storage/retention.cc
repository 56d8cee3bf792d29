#include "storage/retention.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>

#include "storage/checkpoint_store.h"
#include "storage/coding.h"
#include "storage/keyspace_iterator.h"
#include "storage/oplog.h"
#include "storage/oplog_archive.h"

namespace basis::storage {

using tree::ErrorKind;

namespace {

constexpr char kPinPrefix[] = "pin:";

std::string pin_key(uint64_t id) { return kPinPrefix + sequence_key(id); }

}  // namespace

Status pin_checkpoint(Database* db, uint64_t id, const Keyspace& keyspace) {
  CheckpointRecord cp;
  if (Status s = CheckpointStore(db, keyspace).read(id, &cp); !s.is_ok()) return s;
  rocksdb::WriteBatch batch;
  batch.Put(db->handle(keyspace.family(Family::kMetadata)), keyspace.key(pin_key(id)), encode(cp));  // the pin holds what it pins
  return db->write(&batch, true);
}

Status unpin_checkpoint(Database* db, uint64_t id, const Keyspace& keyspace) {
  // Unpinning what is neither pinned nor a checkpoint names an id that
  // never was (or is long gone): refused like a pin of it. Unpinning a
  // checkpoint that is not pinned is a no-op.
  std::string pin;
  Status pinned = db->get(keyspace.family(Family::kMetadata), keyspace.key(pin_key(id)), &pin);
  if (pinned.kind() == ErrorKind::kNotFound) {
    CheckpointRecord cp;
    if (Status s = CheckpointStore(db, keyspace).read(id, &cp); !s.is_ok()) {
      return s.kind() == ErrorKind::kNotFound ? Status(ErrorKind::kNotFound, "checkpoint " + std::to_string(id) +
                                                                                 " is neither retained nor pinned")
                                              : s;
    }
  } else if (!pinned.is_ok()) {
    return pinned;
  }
  rocksdb::WriteBatch batch;
  batch.Delete(db->handle(keyspace.family(Family::kMetadata)), keyspace.key(pin_key(id)));
  return db->write(&batch, true);
}

Status pinned_checkpoints(const Database& db, std::set<uint64_t>* out, const Keyspace& keyspace) {
  out->clear();
  KeyspaceIterator it(db, Family::kMetadata, keyspace);
  for (it.Seek(kPinPrefix); it.Valid() && it.key().starts_with(kPinPrefix); it.Next()) {
    uint64_t id = 0;
    std::string_view key = it.key().substr(4);
    if (!parse_sequence_key(key, &id)) {
      return Status(ErrorKind::kCorruption, record_name(kMetadata, it.key()) + ": not a pin");
    }
    out->insert(id);
  }
  return from_rocksdb(it.status(), "reading the pins");
}

Status pinned_checkpoint_records(const Database& db, std::vector<CheckpointRecord>* out, const Keyspace& keyspace) {
  out->clear();
  KeyspaceIterator it(db, Family::kMetadata, keyspace);
  for (it.Seek(kPinPrefix); it.Valid() && it.key().starts_with(kPinPrefix); it.Next()) {
    CheckpointRecord cp;
    if (Status s = decode(it.value(), it.key(), &cp); !s.is_ok()) return s;
    out->push_back(std::move(cp));
  }
  return from_rocksdb(it.status(), "listing pins");
}

Status apply_retention(Database* db, const RetentionPolicy& policy, uint64_t now_ms, RetentionReport* out,
                       const Keyspace& keyspace) {
  *out = RetentionReport();
  CheckpointStore store(db, keyspace);
  std::vector<CheckpointRecord> checkpoints;  // newest first
  std::set<uint64_t> pinned;
  if (Status s = store.list(&checkpoints); !s.is_ok()) return s;
  if (Status s = pinned_checkpoints(*db, &pinned, keyspace); !s.is_ok()) return s;
  // Removing is for ever: the pins are read twice, and must agree (RocksDB
  // 7.8's iterators can pass over a block they failed to read).
  std::set<uint64_t> pinned_again;
  if (Status s = pinned_checkpoints(*db, &pinned_again, keyspace); !s.is_ok()) return s;
  if (pinned_again != pinned) {
    return Status(ErrorKind::kIOError, "two readings of the pins disagree: no checkpoint removed this time");
  }
  std::vector<CheckpointRecord> kept;
  for (size_t i = 0; i < checkpoints.size(); ++i) {
    if (i < policy.checkpoints || pinned.count(checkpoints[i].id)) {
      kept.push_back(checkpoints[i]);
    } else {
      if (Status s = store.remove(checkpoints[i].id); !s.is_ok()) return s;
      ++out->checkpoints_removed;
    }
  }
  if (kept.empty()) return Status::ok();  // nothing to replay from but the whole log
  uint64_t oldest_kept = kept.back().last_sequence;
  for (const auto& c : kept) oldest_kept = std::min(oldest_kept, c.last_sequence);

  std::unique_ptr<Oplog> log;
  if (Status s = Oplog::open(db, &log, keyspace); !s.is_ok()) return s;
  uint64_t first = log->first_sequence();
  const uint64_t age_ms = static_cast<uint64_t>(policy.oplog_age.count());
  const uint64_t too_old = now_ms > age_ms ? now_ms - age_ms : 0;
  uint64_t through = first - 1;  // the last record to remove
  Status s = log->scan(first, oldest_kept, [&](const OperationRecord& r) {
    if (r.timestamp_ms >= too_old) return false;
    through = r.sequence;
    return true;
  });
  if (!s.is_ok()) return s;
  if (through < first) return Status::ok();
  if (!policy.archive_dir.empty()) {
    ArchiveFile file;
    if (Status a = archive_records(*log, first, through, policy.archive_dir, &file); !a.is_ok()) return a;
    out->archive = file.path;
  }
  if (Status r = log->remove_through(through); !r.is_ok()) return r;
  out->records_removed = through - first + 1;
  return Status::ok();
}

}  // namespace basis::storage
