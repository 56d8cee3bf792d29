// BLAKE2b-256 of several short messages at once. Independent node labels are
// hashed side by side in SIMD lanes; the result is identical to blake2b256().
#pragma once

#include <cstddef>

#include "basis/tree/bytes.h"

namespace basis::tree {

// Longest message hashed in one BLAKE2b block (an internal label's preimage
// is 66 bytes, a leaf's 1 + 2 * key_length + value bytes).
inline constexpr size_t kSingleBlockBytes = 128;

// out[i] = H(in[i]) for i < count. Messages longer than kSingleBlockBytes or
// empty are hashed one by one.
void blake2b256_many(const ByteView* in, Label* const* out, size_t count);

// True when this machine hashes several messages per call (AVX2).
bool blake2b256_has_lanes();

}  // namespace basis::tree
