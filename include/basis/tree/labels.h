// Node labels (SPEC-avl.md §3).
#pragma once

#include "basis/tree/bytes.h"
#include "basis/tree/node.h"

namespace basis::tree {

// H(0x00 || key || value || next_key)
Label leaf_label(ByteView key, ByteView value, ByteView next_key);
// H(0x01 || balance || left || right)
Label internal_label(uint8_t balance_byte, const Label& left, const Label& right);

// The label of `n`, computed (and cached) for `n` and every descendant whose
// cached label is stale. Only nodes changed since their label was last
// computed are hashed, and independent ones side by side.
const Label& ensure_label(const NodePool& pool, Node* n);

}  // namespace basis::tree
