#include "storage/keyspace_iterator.h"

namespace basis::storage {

KeyspaceIterator::KeyspaceIterator(const Database& db, Family family, const Keyspace& keyspace,
                                   rocksdb::ReadOptions options)
    : keyspace_(keyspace), lower_(keyspace.prefix()), upper_(keyspace.upper_bound()) {
  if (!lower_.empty()) {
    lower_slice_ = rocksdb::Slice(lower_);
    options.iterate_lower_bound = &lower_slice_;
  }
  if (!upper_.empty()) {
    upper_slice_ = rocksdb::Slice(upper_);
    options.iterate_upper_bound = &upper_slice_;
  }
  it_.reset(db.raw()->NewIterator(options, db.handle(keyspace.family(family))));
}

}  // namespace basis::storage
