#include "tree/blake2b_lanes.h"

#include <immintrin.h>

#include <cstring>

#include "basis/tree/hash.h"

namespace basis::tree {

namespace {

// RFC 7693: the initialisation vector and the message schedule.
constexpr uint64_t kIV[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
                             0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
                             0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
constexpr uint8_t kSigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};
// Parameter block of unkeyed BLAKE2b with a 32-byte digest: fanout 1, depth 1.
constexpr uint64_t kParam0 = 0x01010000ULL | kLabelSize;

constexpr size_t kLanes = 4;

__attribute__((target("avx2"))) inline __m256i rotr32(__m256i x) {
  return _mm256_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1));
}
__attribute__((target("avx2"))) inline __m256i rotr24(__m256i x) {
  const __m256i m = _mm256_setr_epi8(3, 4, 5, 6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10, 3, 4, 5,
                                     6, 7, 0, 1, 2, 11, 12, 13, 14, 15, 8, 9, 10);
  return _mm256_shuffle_epi8(x, m);
}
__attribute__((target("avx2"))) inline __m256i rotr16(__m256i x) {
  const __m256i m = _mm256_setr_epi8(2, 3, 4, 5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9, 2, 3, 4,
                                     5, 6, 7, 0, 1, 10, 11, 12, 13, 14, 15, 8, 9);
  return _mm256_shuffle_epi8(x, m);
}
__attribute__((target("avx2"))) inline __m256i rotr63(__m256i x) {
  return _mm256_or_si256(_mm256_add_epi64(x, x), _mm256_srli_epi64(x, 63));
}

#define BASIS_G(a, b, c, d, x, y)            \
  do {                                       \
    a = _mm256_add_epi64(_mm256_add_epi64(a, b), x); \
    d = rotr32(_mm256_xor_si256(d, a));      \
    c = _mm256_add_epi64(c, d);              \
    b = rotr24(_mm256_xor_si256(b, c));      \
    a = _mm256_add_epi64(_mm256_add_epi64(a, b), y); \
    d = rotr16(_mm256_xor_si256(d, a));      \
    c = _mm256_add_epi64(c, d);              \
    b = rotr63(_mm256_xor_si256(b, c));      \
  } while (0)

// Hashes four single-block messages; lane i reads in[i] and writes out[i].
__attribute__((target("avx2"))) void hash_four(const ByteView* in, Label* const* out) {
  alignas(32) uint64_t words[16][kLanes];
  alignas(32) uint64_t lengths[kLanes];
  for (size_t lane = 0; lane < kLanes; ++lane) {
    uint8_t block[kSingleBlockBytes] = {};
    std::memcpy(block, in[lane].data(), in[lane].size());
    for (size_t w = 0; w < 16; ++w) std::memcpy(&words[w][lane], block + 8 * w, 8);  // little-endian
    lengths[lane] = in[lane].size();
  }
  __m256i m[16];
  for (size_t w = 0; w < 16; ++w) m[w] = _mm256_load_si256(reinterpret_cast<const __m256i*>(words[w]));

  const __m256i h0 = _mm256_set1_epi64x(static_cast<long long>(kIV[0] ^ kParam0));
  __m256i v[16];
  v[0] = h0;
  for (size_t i = 1; i < 8; ++i) v[i] = _mm256_set1_epi64x(static_cast<long long>(kIV[i]));
  for (size_t i = 0; i < 4; ++i) v[8 + i] = _mm256_set1_epi64x(static_cast<long long>(kIV[i]));
  // Counter t = message length, and the final-block flag.
  v[12] = _mm256_xor_si256(_mm256_set1_epi64x(static_cast<long long>(kIV[4])),
                           _mm256_load_si256(reinterpret_cast<const __m256i*>(lengths)));
  v[13] = _mm256_set1_epi64x(static_cast<long long>(kIV[5]));
  v[14] = _mm256_set1_epi64x(static_cast<long long>(~kIV[6]));
  v[15] = _mm256_set1_epi64x(static_cast<long long>(kIV[7]));

  for (const auto& s : kSigma) {
    BASIS_G(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);
    BASIS_G(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);
    BASIS_G(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);
    BASIS_G(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);
    BASIS_G(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);
    BASIS_G(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);
    BASIS_G(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);
    BASIS_G(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);
  }

  // The digest is the first four words of h ^ v[0..7] ^ v[8..15].
  alignas(32) uint64_t h[4][kLanes];
  for (size_t i = 0; i < 4; ++i) {
    __m256i hi = i == 0 ? h0 : _mm256_set1_epi64x(static_cast<long long>(kIV[i]));
    __m256i r = _mm256_xor_si256(hi, _mm256_xor_si256(v[i], v[i + 8]));
    _mm256_store_si256(reinterpret_cast<__m256i*>(h[i]), r);
  }
  for (size_t lane = 0; lane < kLanes; ++lane) {
    for (size_t i = 0; i < 4; ++i) std::memcpy(out[lane]->data() + 8 * i, &h[i][lane], 8);
  }
}

#undef BASIS_G

bool detect_lanes() { return __builtin_cpu_supports("avx2"); }

bool fits(ByteView m) { return !m.empty() && m.size() <= kSingleBlockBytes; }

}  // namespace

bool blake2b256_has_lanes() {
  static const bool has = detect_lanes();
  return has;
}

void blake2b256_many(const ByteView* in, Label* const* out, size_t count) {
  const bool lanes = blake2b256_has_lanes();
  ByteView group_in[kLanes];
  Label* group_out[kLanes];
  Label spare[kLanes];
  size_t filled = 0;
  auto flush = [&] {
    if (filled == 1) {
      *group_out[0] = blake2b256(group_in[0]);
    } else if (filled > 1) {
      for (size_t i = filled; i < kLanes; ++i) {  // idle lanes repeat lane 0
        group_in[i] = group_in[0];
        group_out[i] = &spare[i];
      }
      hash_four(group_in, group_out);
    }
    filled = 0;
  };
  for (size_t i = 0; i < count; ++i) {
    if (!lanes || !fits(in[i])) {
      *out[i] = blake2b256(in[i]);
      continue;
    }
    group_in[filled] = in[i];
    group_out[filled] = out[i];
    if (++filled == kLanes) flush();
  }
  flush();
}

}  // namespace basis::tree
