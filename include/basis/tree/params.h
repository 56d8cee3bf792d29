// The parameters that fix a tree's byte format.
#pragma once

#include <cstdint>
#include <optional>

#include "basis/tree/status.h"

namespace basis::tree {

struct TreeParams {
  // Every key is exactly this many bytes (>= 1).
  uint32_t key_length = 32;
  // Every value is exactly this many bytes, or any length when unset.
  std::optional<uint32_t> value_length;

  // Limits this implementation enforces on variable-length values, so that a
  // single record stays addressable by the proof's u32 length field.
  static constexpr uint32_t kMaxValueLength = 0x7fffffff;
  // Keys longer than this are rejected: no deployment uses them and they
  // would make proofs and nodes needlessly large.
  static constexpr uint32_t kMaxKeyLength = 1024;

  Status validate() const;
};

}  // namespace basis::tree
