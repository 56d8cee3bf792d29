#include "tree/labels.h"

#include "tree/hash.h"

namespace basis::tree {

Label leaf_label(ByteView key, ByteView value, ByteView next_key) {
  static constexpr uint8_t kLeafPrefix = 0;
  return blake2b256(ByteView(&kLeafPrefix, 1), key, value, next_key);
}

Label internal_label(uint8_t balance_byte, const Label& left, const Label& right) {
  uint8_t buf[2 + 2 * kLabelSize];
  buf[0] = 1;
  buf[1] = balance_byte;
  std::memcpy(buf + 2, left.data(), kLabelSize);
  std::memcpy(buf + 2 + kLabelSize, right.data(), kLabelSize);
  return blake2b256(ByteView(buf, sizeof buf));
}

const Label& ensure_label(const NodePool& pool, Node* n) {
  if (n->label_valid()) return n->label;
  if (n->is_leaf()) {
    n->label = leaf_label(pool.key(n), pool.value(n), pool.next_key(n));
  } else {
    // Label-only nodes are always valid, so this is an internal node. The
    // recursion depth is the height of the changed region of the tree.
    const Label& l = ensure_label(pool, n->left);
    const Label& r = ensure_label(pool, n->right);
    n->label = internal_label(static_cast<uint8_t>(n->balance), l, r);
  }
  n->flags |= Node::kLabelValid;
  return n->label;
}

}  // namespace basis::tree
