#include "storage/oplog.h"


#include <algorithm>
#include <map>
#include <memory>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/coding.h"
#include "storage/keyspace_iterator.h"

namespace basis::storage {

using tree::ErrorKind;

// A note update with first_sequence 0 keeps the key's existing first
// sequence. A stored note that cannot be read fails the write (it is
// retried like any failed write): writing 0 would store a note that reads
// as corrupt and blocks a rebuild from the notes.
Status resolve_first_sequences(const Database& db, const Keyspace& keyspace, std::vector<NoteUpdate>* notes) {
  std::map<tree::Bytes, uint64_t, tree::BytesLess> first;  // within this write
  for (NoteUpdate& n : *notes) {
    if (!n.note) {
      first.erase(n.key);
      continue;
    }
    if (n.note->first_sequence == 0) {
      auto it = first.find(n.key);
      if (it != first.end()) {
        n.note->first_sequence = it->second;
      } else {
        std::string value;
        std::string_view key = chars_of(tree::view(n.key));
        NoteRecord old;
        Status s = db.get(keyspace.family(Family::kNotes), keyspace.key(key), &value);
        if (s.is_ok()) s = decode(value, key, &old);
        if (!s.is_ok()) return Status(s.kind(), "reading the note the batch updates: " + s.message());
        n.note->first_sequence = old.first_sequence;
      }
    }
    first[n.key] = n.note->first_sequence;
  }
  return Status::ok();
}

Status Oplog::open(Database* db, std::unique_ptr<Oplog>* out, const Keyspace& keyspace) {
  std::unique_ptr<Oplog> log(new Oplog(db, keyspace));
  if (Status s = log->refresh(); !s.is_ok()) return s;
  *out = std::move(log);
  return Status::ok();
}

Status Oplog::refresh() {
  uint64_t last = 0;
  std::optional<Digest> digest;
  std::optional<LogBaseRecord> base;
  KeyspaceIterator it(*db_, Family::kOperations, keyspace_);
  it.SeekToLast();
  if (it.Valid()) {
    OperationRecord rec;
    if (Status s = decode(it.value(), it.key(), &rec); !s.is_ok()) return s;
    last = rec.sequence;
    digest = rec.digest_after;
  }
  if (Status s = from_rocksdb(it.status(), "reading the operation log"); !s.is_ok()) return s;
  std::string value;
  Status s = db_->get(keyspace_.family(Family::kMetadata), keyspace_.key(kLogBaseKey), &value);
  if (s.is_ok()) {
    LogBaseRecord b;
    if (Status d = decode(value, kLogBaseKey, &b); !d.is_ok()) return d;
    base = b;
    if (b.sequence >= last) {
      last = b.sequence;
      digest = b.digest;
    }
  } else if (s.kind() != ErrorKind::kNotFound) {
    return s;
  }
  last_sequence_ = last;
  last_digest_ = digest;
  base_ = base;
  return Status::ok();
}

Status Oplog::rebase(uint64_t sequence, const Digest& digest) {
  if (sequence < last_sequence_) {
    return Status(ErrorKind::kInvalidArgument, "cannot rebase the operation log at " + std::to_string(sequence) +
                                                   ", below its last record " + std::to_string(last_sequence_));
  }
  rocksdb::WriteBatch batch;
  batch.Put(db_->handle(keyspace_.family(Family::kMetadata)), keyspace_.key(kLogBaseKey), encode(LogBaseRecord{sequence, digest}));
  if (Status s = db_->write(&batch, true); !s.is_ok()) return s;
  last_sequence_ = sequence;
  last_digest_ = digest;
  base_ = LogBaseRecord{sequence, digest};
  if (keyspace_.is_default()) db_->mark_durable(sequence, true);
  return Status::ok();
}

Status Oplog::stage(std::span<const OperationRecord> records, std::span<const NoteUpdate> notes,
                    rocksdb::WriteBatch* batch, uint64_t* last, std::optional<Digest>* last_digest) {
  if (!records.empty() && records.front().sequence != last_sequence_ + 1) {
    // Another Oplog of this tree may have appended since (a transaction).
    if (Status s = refresh(); !s.is_ok()) return s;
  }
  uint64_t expected = last_sequence_ + 1;
  std::optional<Digest> digest = last_digest_;
  for (const OperationRecord& r : records) {
    if (r.sequence != expected) {
      return Status(ErrorKind::kInvalidArgument, "operation record " + std::to_string(r.sequence) +
                                                     " does not continue the log at " +
                                                     std::to_string(expected));
    }
    if (digest && r.digest_before != *digest) {
      return Status(ErrorKind::kInvalidArgument, "operation record " + std::to_string(r.sequence) +
                                                     ": digest before does not follow the log");
    }
    // digest_before is the previous record's digest_after: only the first
    // record of a write repeats it, so that a reader can start there.
    batch->Put(db_->handle(keyspace_.family(Family::kOperations)), keyspace_.key(sequence_key(r.sequence)),
               encode(r, &r == records.data()));
    digest = r.digest_after;
    ++expected;
  }
  for (const NoteUpdate& n : notes) {
    const std::string key = keyspace_.key(chars_of(tree::view(n.key)));
    if (n.note) {
      batch->Put(db_->handle(keyspace_.family(Family::kNotes)), key, encode(*n.note));
    } else {
      batch->Delete(db_->handle(keyspace_.family(Family::kNotes)), key);
    }
  }
  *last = expected - 1;
  *last_digest = digest;
  return Status::ok();
}

void Oplog::advance(uint64_t last, const std::optional<Digest>& digest, bool sync) {
  last_sequence_ = last;
  last_digest_ = digest;
  // After the write returned, never before: the mark never leads the log.
  // It follows the default tree's log (another tree's has no mark yet).
  if (keyspace_.is_default()) db_->mark_durable(last_sequence_, sync);
}

Status Oplog::append(std::span<const OperationRecord> records, std::span<const NoteUpdate> notes,
                     bool sync) {
  rocksdb::WriteBatch batch;
  uint64_t last = 0;
  std::optional<Digest> digest;
  if (Status s = stage(records, notes, &batch, &last, &digest); !s.is_ok()) return s;
  if (Status s = db_->write(&batch, sync); !s.is_ok()) return s;
  advance(last, digest, sync);
  return Status::ok();
}

Status Oplog::append_together(Database* db, std::span<const Part> parts, bool sync) {
  rocksdb::WriteBatch batch;
  std::vector<std::pair<uint64_t, std::optional<Digest>>> ends(parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    const Part& p = parts[i];
    for (size_t j = 0; j < i; ++j) {
      if (parts[j].log->keyspace_.prefix() == p.log->keyspace_.prefix()) {
        return Status(ErrorKind::kInvalidArgument, "two parts of one write are of the same tree");
      }
    }
    if (Status s = p.log->stage(p.records, p.notes, &batch, &ends[i].first, &ends[i].second); !s.is_ok()) return s;
  }
  if (Status s = db->write(&batch, sync); !s.is_ok()) return s;
  for (size_t i = 0; i < parts.size(); ++i) parts[i].log->advance(ends[i].first, ends[i].second, sync);
  return Status::ok();
}

Status Oplog::scan(uint64_t from, uint64_t to,
                   const std::function<bool(const OperationRecord&)>& fn) const {
  KeyspaceIterator it(*db_, Family::kOperations, keyspace_);
  uint64_t expected = from;
  std::optional<Digest> previous;
  OperationRecord rec;
  for (it.Seek(sequence_key(from)); it.Valid() && expected <= to; it.Next()) {
    std::string_view key = it.key();
    uint64_t seq = 0;
    if (!parse_sequence_key(key, &seq)) {
      return Status(ErrorKind::kCorruption, "operations family holds a key that is no sequence number: " +
                                                tree::to_hex(view_of(key)));
    }
    if (seq != expected) {
      return Status(ErrorKind::kCorruption, "operation log has a gap: expected record " +
                                                std::to_string(expected) + ", found " +
                                                std::to_string(seq));
    }
    bool has_before = true;
    if (Status s = decode(it.value(), key, &rec, &has_before); !s.is_ok()) return s;
    // The first record after a rebase continues from the accepted digest.
    const bool after_base = base_ && seq - 1 == base_->sequence;
    if (!has_before && after_base) {
      rec.digest_before = base_->digest;
    } else if (!has_before) {
      if (!previous) {
        if (Status s = digest_after(seq - 1, &previous); !s.is_ok()) {
          return Status(s.kind(), record_name(kOperations, key) + " leaves its digest before to record " +
                                      std::to_string(seq - 1) + ": " + s.message());
        }
      }
      rec.digest_before = *previous;
    } else if (after_base ? rec.digest_before != base_->digest : previous && rec.digest_before != *previous) {
      return Status(ErrorKind::kCorruption, record_name(kOperations, key) +
                                                ": digest before does not follow record " +
                                                std::to_string(seq - 1));
    }
    previous = rec.digest_after;
    if (!fn(rec)) return Status::ok();
    ++expected;
  }
  if (Status s = from_rocksdb(it.status(), "reading the operation log"); !s.is_ok()) return s;
  uint64_t wanted_end = std::min(to, last_sequence_);
  if (expected <= wanted_end) {
    return Status(ErrorKind::kCorruption, "operation log has a gap: record " +
                                              std::to_string(expected) + " is missing");
  }
  return Status::ok();
}

uint64_t Oplog::first_sequence() const {
  KeyspaceIterator it(*db_, Family::kOperations, keyspace_);
  it.SeekToFirst();
  uint64_t first = 0;
  if (it.Valid() && parse_sequence_key(it.key(), &first)) return first;
  return last_sequence_ + 1;
}

Status Oplog::digest_after(uint64_t sequence, std::optional<Digest>* out) const {
  std::string key = sequence_key(sequence), value;
  Status s = db_->get(keyspace_.family(Family::kOperations), keyspace_.key(key), &value);
  if (s.kind() == ErrorKind::kNotFound) return Status(ErrorKind::kCorruption, record_name(kOperations, key) + " is missing");
  if (!s.is_ok()) return s;
  OperationRecord rec;
  if (Status d = decode(value, key, &rec); !d.is_ok()) return d;
  *out = rec.digest_after;
  return Status::ok();
}

Status Oplog::remove_through(uint64_t through) {
  through = std::min(through, last_sequence_);
  rocksdb::WriteBatch batch;
  if (through == last_sequence_ && last_digest_) {
    // No record will be left to say where the log continues: the base does.
    batch.Put(db_->handle(keyspace_.family(Family::kMetadata)), keyspace_.key(kLogBaseKey), encode(LogBaseRecord{through, *last_digest_}));
  } else if (through >= first_sequence()) {
    // The new first record must say its digest before: the record that
    // did is going.
    std::optional<OperationRecord> next;
    Status s = scan(through + 1, through + 1, [&](const OperationRecord& r) { return next = r, false; });
    if (!s.is_ok()) return s;
    if (!next) return Status(ErrorKind::kCorruption, "operation record " + std::to_string(through + 1) + " is missing");
    batch.Put(db_->handle(keyspace_.family(Family::kOperations)), keyspace_.key(sequence_key(through + 1)), encode(*next, true));
  }
  batch.DeleteRange(db_->handle(keyspace_.family(Family::kOperations)), keyspace_.key(sequence_key(0)),
                    keyspace_.key(sequence_key(through + 1)));
  return db_->write(&batch, true);
}

}  // namespace basis::storage
