#include "basis/tree/tree_check.h"

#include <algorithm>
#include <string>

#include "basis/tree/labels.h"

namespace basis::tree {

namespace {

struct Checker {
  const NodePool& pool;
  const Node* previous_leaf = nullptr;
  TreeShape shape;
  Status error;

  bool fail(std::string message) {
    if (error.is_ok()) error = Status(ErrorKind::kCorruption, std::move(message));
    return false;
  }

  // Returns the subtree's height, and its label and smallest key through the
  // out-parameters; false once something is wrong.
  bool walk(const Node* n, int* height, Label* label, ByteView* min_key) {
    if (n->is_label_only()) return fail("node " + to_hex(n->label) + " is not loaded");
    if (n->is_leaf()) {
      ++shape.leaves;
      ByteView key = pool.key(n);
      if (previous_leaf) {
        if (compare_bytes(pool.key(previous_leaf), key) >= 0) return fail("leaf keys out of order at " + to_hex(key));
        if (compare_bytes(pool.next_key(previous_leaf), key) != 0) return fail("next-leaf key of " + to_hex(pool.key(previous_leaf)) + " is not " + to_hex(key));
      }
      previous_leaf = n;
      *height = 0;
      *label = leaf_label(key, pool.value(n), pool.next_key(n));
      *min_key = key;
    } else {
      ++shape.internal_nodes;
      int lh, rh;
      Label ll, rl;
      ByteView lmin, rmin;
      if (!walk(n->left, &lh, &ll, &lmin) || !walk(n->right, &rh, &rl, &rmin)) return false;
      if (n->balance != rh - lh || n->balance < -1 || n->balance > 1) {
        return fail("node with key " + to_hex(pool.key(n)) + " has balance " + std::to_string(n->balance) + " but subtree heights " + std::to_string(lh) + "/" + std::to_string(rh));
      }
      if (compare_bytes(pool.key(n), rmin) != 0) return fail("internal key " + to_hex(pool.key(n)) + " is not the smallest key of its right subtree");
      *height = 1 + std::max(lh, rh);
      *label = internal_label(static_cast<uint8_t>(n->balance), ll, rl);
      *min_key = lmin;
    }
    if (n->label_valid() && n->label != *label) return fail("cached label of a node is stale");
    return true;
  }
};

}  // namespace

Status check_tree(const NodePool& pool, Node* root, int height, TreeShape* shape) {
  Checker c{pool, nullptr, {}, {}};
  int h;
  Label label;
  ByteView min_key;
  if (!c.walk(root, &h, &label, &min_key)) return c.error;
  if (compare_bytes(min_key, Bytes(pool.key_length(), 0x00)) != 0) return Status(ErrorKind::kCorruption, "leftmost leaf is not the -inf sentinel");
  if (compare_bytes(pool.next_key(c.previous_leaf), Bytes(pool.key_length(), 0xff)) != 0) return Status(ErrorKind::kCorruption, "last leaf's next key is not +inf");
  if (h != height) return Status(ErrorKind::kCorruption, "tree height is " + std::to_string(h) + ", the digest says " + std::to_string(height));
  c.shape.height = h;
  if (shape) *shape = c.shape;
  return Status::ok();
}

void for_each_leaf(const NodePool& pool, const Node* root,
                   const std::function<void(ByteView, ByteView)>& fn) {
  if (root->is_leaf()) {
    fn(pool.key(root), pool.value(root));
  } else if (root->is_internal()) {
    for_each_leaf(pool, root->left, fn);
    for_each_leaf(pool, root->right, fn);
  }
}

}  // namespace basis::tree
