#include "storage/checkpoint_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "storage/coding.h"
#include "storage/keyspace_iterator.h"

namespace basis::storage {

Status CheckpointStore::create(CheckpointRecord* record, int parallelism,
                               const std::function<void(uint64_t)>& progress) {
  if (Status s = verify_tree(*db_, record->digest, parallelism, &record->node_count, nullptr, progress, keyspace_); !s.is_ok()) {
    return Status(s.kind(), "checkpoint " + std::to_string(record->id) + " not written: " + s.message());
  }
  return write(*record);
}

Status CheckpointStore::write(const CheckpointRecord& record) {
  rocksdb::WriteBatch batch;
  batch.Put(db_->handle(keyspace_.family(Family::kCheckpoints)), keyspace_.key(sequence_key(record.id)), encode(record));
  return db_->write(&batch, true);
}

Status CheckpointStore::read(uint64_t id, CheckpointRecord* out) const {
  std::string key = sequence_key(id), value;
  if (Status s = db_->get(keyspace_.family(Family::kCheckpoints), keyspace_.key(key), &value); !s.is_ok()) return s;
  return decode(value, key, out);
}

Status CheckpointStore::list(std::vector<CheckpointRecord>* out) const {
  out->clear();
  KeyspaceIterator it(*db_, Family::kCheckpoints, keyspace_);
  for (it.SeekToLast(); it.Valid(); it.Prev()) {
    CheckpointRecord rec;
    if (Status s = decode(it.value(), it.key(), &rec); !s.is_ok()) return s;
    out->push_back(std::move(rec));
  }
  return from_rocksdb(it.status(), "listing checkpoints");
}

Status CheckpointStore::remove(uint64_t id) {
  rocksdb::WriteBatch batch;
  batch.Delete(db_->handle(keyspace_.family(Family::kCheckpoints)), keyspace_.key(sequence_key(id)));
  return db_->write(&batch, true);
}

}  // namespace basis::storage
