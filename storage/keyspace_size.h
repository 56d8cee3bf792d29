// How much of a family one tree's keyspace takes: for reports (basis-tree
// inspect) on a store whose named trees share the t.* families.
#pragma once

#include <cstdint>
#include <functional>

#include "storage/database.h"
#include "storage/keyspace.h"

namespace basis::storage {

// RocksDB's estimate of the bytes of `keyspace`'s records in `family` (its
// counterpart for a named tree), tables and memtables. For the default tree
// the family's table bytes (Database::family_bytes), as reports always gave.
uint64_t keyspace_bytes(const Database& db, Family family, const Keyspace& keyspace);
// The records of `keyspace` in `family`, counted one by one (a walk of its
// keys: exact, where estimated_keys covers every tree of a t.* family).
// `progress`, when given, hears the count about every 4096 records.
Status count_keyspace_records(const Database& db, Family family, const Keyspace& keyspace, uint64_t* out,
                              const std::function<void(uint64_t)>& progress = {});

}  // namespace basis::storage
