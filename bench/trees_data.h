// The data of the `trees` workload (docs/BENCHMARKS.md, "Many trees"): the
// Basis tracker's trees, one tracker tree keyed as W1 and reserve trees of
// 16-byte values (timestamp ‖ redeemed amount), and the batches that churn
// them. Every stream is a function of the tree and of how many batches that
// tree received before, so each tree's digest is fixed by the data however
// the client threads interleave, as long as one thread feeds one tree.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "basis/batch.h"
#include "bench/benchmark_data.h"

namespace basis::bench::trees {

inline constexpr const char* kTracker = "tracker";
inline constexpr uint32_t kReserveValueLength = 16;
inline constexpr uint64_t kTimestampBase = 1'700'000'000'000;  // ms since the epoch, about late 2023

inline std::string reserve_name(uint64_t r) {
  char name[32];
  std::snprintf(name, sizeof name, "reserve-%04llu", static_cast<unsigned long long>(r));
  return name;
}

inline tree::Bytes bytes_of(const tree::Label& l) { return tree::Bytes(l.begin(), l.end()); }

// The tracker's keys and values are W1's: key(i), value(i, r).
inline tree::Bytes tracker_key(uint64_t i) { return bytes_of(benchmark_key(i)); }
inline tree::Bytes tracker_value(uint64_t i, uint64_t r) {
  auto v = benchmark_value(i, r);
  return tree::Bytes(v.begin(), v.end());
}

// Reserve tree r's key j: BLAKE2b-256 of r and j, 8 bytes little-endian each.
inline tree::Bytes reserve_key(uint64_t r, uint64_t j) {
  uint8_t in[16];
  for (int b = 0; b < 8; ++b) {
    in[b] = static_cast<uint8_t>(r >> (8 * b));
    in[8 + b] = static_cast<uint8_t>(j >> (8 * b));
  }
  return bytes_of(tree::blake2b256(tree::ByteView(in, 16)));
}

// timestamp_ms ‖ redeemed amount, 8 bytes big-endian each.
inline tree::Bytes reserve_value(uint64_t timestamp_ms, uint64_t redeemed) {
  tree::Bytes out(kReserveValueLength);
  for (int b = 7; b >= 0; --b, timestamp_ms >>= 8, redeemed >>= 8) {
    out[b] = static_cast<uint8_t>(timestamp_ms);
    out[8 + b] = static_cast<uint8_t>(redeemed);
  }
  return out;
}

// One tree's churn: the tracker's is W2's (80% updates of the first n keys,
// 20% inserts after them), a reserve's 90% InsertOrUpdate of a key it holds
// and 10% of a new one. `batches` counts this tree's batches so far.
struct TreeStream {
  bool tracker = false;
  uint64_t reserve = 0;   // its index, for a reserve tree
  uint64_t n = 0;         // keys it was loaded with
  SplitMix64 rng{42};
  uint64_t inserted = 0;
  uint64_t operations = 0;
  uint64_t batches = 0;

  std::vector<OwnedOperation> next_batch(size_t size) {
    std::vector<OwnedOperation> ops;
    ops.reserve(size);
    for (size_t k = 0; k < size; ++k, ++operations) {
      const uint64_t x = rng.next();
      if (tracker) {
        if (x % 10 < 8) {
          const uint64_t idx = (x >> 8) % n;
          ops.push_back({tree::OpType::kUpdate, tracker_key(idx), tracker_value(idx, operations + 1), 0});
        } else {
          const uint64_t idx = n + inserted++;
          ops.push_back({tree::OpType::kInsert, tracker_key(idx), tracker_value(idx, 0), 0});
        }
        continue;
      }
      const uint64_t j = x % 10 < 9 ? (x >> 8) % n : n + inserted++;
      ops.push_back({tree::OpType::kInsertOrUpdate, reserve_key(reserve, j),
                     reserve_value(kTimestampBase + operations, (x >> 32) % 1'000'000'000), 0});
    }
    ++batches;
    return ops;
  }
};

}  // namespace basis::bench::trees
