// The verifier fuzz target's input format, shared with its seed-corpus writer:
//   byte 0       tree parameters (index into kFuzzParams)
//   byte 1       root height of the starting digest
//   byte 2       number of operations k
//   k times      type byte, key (key_length bytes), value length byte, value,
//                and for UpdateLongBy 8 bytes of delta
//   the rest     the proof
// The starting digest is the proof's own root label, so that mutations reach
// the operations instead of stopping at the root check.
#pragma once

#include "basis/tree/params.h"

namespace basis::tree::fuzz {

inline const TreeParams kFuzzParams[] = {
    TreeParams{32, std::nullopt}, TreeParams{32, 8}, TreeParams{32, 32},
    TreeParams{1, std::nullopt}, TreeParams{8, std::nullopt}, TreeParams{4, 4},
};
inline constexpr size_t kFuzzParamCount = sizeof(kFuzzParams) / sizeof(kFuzzParams[0]);

}  // namespace basis::tree::fuzz
