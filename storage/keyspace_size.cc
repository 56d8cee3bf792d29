#include "storage/keyspace_size.h"

#include <rocksdb/db.h>

#include "storage/keyspace_iterator.h"

namespace basis::storage {

uint64_t keyspace_bytes(const Database& db, Family family, const Keyspace& keyspace) {
  if (keyspace.is_default()) return db.family_bytes(family);
  rocksdb::ColumnFamilyHandle* handle = db.handle(keyspace.family(family));
  if (handle == nullptr) return 0;  // a read-only store that never held a named tree
  // Both ends as long as t.nodes' prefix extractor reads (the id and 4 bytes
  // of the label): RocksDB asserts that a range's keys are in its domain.
  // Zero bytes after the prefix sort first, so the range is the keyspace's.
  constexpr size_t kDomain = 8;
  std::string lower = keyspace.prefix(), limit = keyspace.upper_bound();
  // An empty upper bound is "no bound" (an id of 0xFF bytes): about the end
  // of the family, enough for an estimate.
  if (limit.empty()) limit = std::string(kDomain + 1, '\xff');
  if (lower.size() < kDomain) lower.resize(kDomain, '\0');
  if (limit.size() < kDomain) limit.resize(kDomain, '\0');
  rocksdb::Range range(lower, limit);
  uint64_t bytes = 0;
  rocksdb::SizeApproximationOptions options;
  options.include_memtables = true;
  options.include_files = true;
  if (!db.raw()->GetApproximateSizes(options, handle, &range, 1, &bytes).ok()) return 0;
  return bytes;
}

Status count_keyspace_records(const Database& db, Family family, const Keyspace& keyspace, uint64_t* out,
                              const std::function<void(uint64_t)>& progress) {
  *out = 0;
  Family stored = keyspace.family(family);
  if (db.handle(stored) == nullptr) return Status::ok();
  rocksdb::ReadOptions options;
  options.fill_cache = false;       // a walk of everything: keep the cache for what is served
  options.total_order_seek = true;  // t.nodes has a prefix extractor
  KeyspaceIterator it(db, family, keyspace, options);  // it maps `family` to the keyspace's
  uint64_t n = 0;
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    if (++n % 4096 == 0 && progress) progress(n);
  }
  if (!it.status().ok()) return from_rocksdb(it.status(), "counting records of " + std::string(family_name(stored)));
  *out = n;
  return Status::ok();
}

}  // namespace basis::storage
