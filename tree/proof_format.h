// Marker bytes and integer encoding of serialized batch proofs (SPEC-avl.md §7).
#pragma once

#include <cstdint>

#include "basis/tree/bytes.h"

namespace basis::tree::proof_format {

inline constexpr uint8_t kLeaf = 2;       // LeafInPackagedProof
inline constexpr uint8_t kLabel = 3;      // LabelInPackagedProof
inline constexpr uint8_t kEndOfTree = 4;  // EndOfTreeInPackagedProof

inline void put_u32(Bytes* out, uint32_t v) {
  out->push_back(static_cast<uint8_t>(v >> 24));
  out->push_back(static_cast<uint8_t>(v >> 16));
  out->push_back(static_cast<uint8_t>(v >> 8));
  out->push_back(static_cast<uint8_t>(v));
}

}  // namespace basis::tree::proof_format
