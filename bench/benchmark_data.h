// The deterministic data of docs/BENCHMARKS.md, shared by the benchmarks
// and the tests that check against the reference's digests.
#pragma once

#include <cstdint>

#include "basis/tree/bytes.h"
#include "basis/tree/hash.h"

namespace basis::bench {

// key(i) = BLAKE2b-256 of i as 8 bytes little-endian.
inline tree::Label benchmark_key(uint64_t i) {
  uint8_t le[8];
  for (int b = 0; b < 8; ++b) le[b] = static_cast<uint8_t>(i >> (8 * b));
  return tree::blake2b256(tree::ByteView(le, 8));
}

// value(i, r) = i * 1000 + r as 8 bytes big-endian.
inline std::array<uint8_t, 8> benchmark_value(uint64_t i, uint64_t r) {
  uint64_t v = i * 1000 + r;
  std::array<uint8_t, 8> out;
  for (int b = 7; b >= 0; --b, v >>= 8) out[b] = static_cast<uint8_t>(v);
  return out;
}

// The only random stream of the workloads.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

}  // namespace basis::bench
