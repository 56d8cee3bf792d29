// Helpers for tests that drive the runtime: the benchmark's keys and values
// as owned bytes, batches of inserts, and a closed store opened directly.
// Include after <catch2/catch.hpp>.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"
#include "storage/database.h"
#include "tests/storage_test_util.h"

namespace basis::testing {

inline tree::Bytes key_of(uint64_t i) {
  tree::Label k = bench::benchmark_key(i);
  return tree::Bytes(k.begin(), k.end());
}

inline tree::Bytes value_of(uint64_t i, uint64_t r = 0) {
  auto v = bench::benchmark_value(i, r);
  return tree::Bytes(v.begin(), v.end());
}

// Inserts of keys first..first+count-1 with their first values.
inline std::vector<basis::OwnedOperation> inserts(uint64_t first, uint64_t count) {
  std::vector<basis::OwnedOperation> ops;
  for (uint64_t i = first; i < first + count; ++i) ops.push_back({tree::OpType::kInsert, key_of(i), value_of(i), 0});
  return ops;
}

// The database under `data_dir` (32-byte keys, values of any length), while
// no runtime holds it.
inline std::unique_ptr<storage::Database> open_closed_store(const std::string& data_dir) {
  return storage::testing::open_database(data_dir + "/db");
}

}  // namespace basis::testing
