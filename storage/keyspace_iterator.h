// An iterator over one keyspace of a column family: RocksDB's own bounds
// keep it inside the keyspace (SeekToFirst and SeekToLast included), and
// key() is the key without the prefix. `db` must outlive it. Not
// thread-safe. No copying.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <rocksdb/db.h>

#include "storage/database.h"
#include "storage/keyspace.h"

namespace basis::storage {

class KeyspaceIterator {
 public:
  KeyspaceIterator(const Database& db, Family family, const Keyspace& keyspace,
                   rocksdb::ReadOptions options = rocksdb::ReadOptions());
  KeyspaceIterator(const KeyspaceIterator&) = delete;
  KeyspaceIterator& operator=(const KeyspaceIterator&) = delete;

  bool Valid() const { return it_->Valid(); }
  void SeekToFirst() { it_->SeekToFirst(); }
  void SeekToLast() { it_->SeekToLast(); }
  void Seek(std::string_view key) { it_->Seek(keyspace_.key(key)); }
  void Next() { it_->Next(); }
  void Prev() { it_->Prev(); }
  rocksdb::Status status() const { return it_->status(); }
  // Without the prefix (the bounds keep every key inside the keyspace).
  std::string_view key() const {
    std::string_view k(it_->key().data(), it_->key().size());
    return k.substr(keyspace_.prefix().size());
  }
  std::string_view value() const { return std::string_view(it_->value().data(), it_->value().size()); }

 private:
  const Keyspace keyspace_;
  const std::string lower_, upper_;
  rocksdb::Slice lower_slice_, upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

}  // namespace basis::storage
