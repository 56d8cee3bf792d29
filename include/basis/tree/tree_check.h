// Whole-tree consistency checks and traversal, for tests and admin tools.
#pragma once

#include <functional>

#include "basis/tree/bytes.h"
#include "basis/tree/node.h"
#include "basis/tree/status.h"

namespace basis::tree {

struct TreeShape {
  size_t leaves = 0;
  size_t internal_nodes = 0;
  int height = 0;
};

// Checks the tree under `root` (every node must be loaded): AVL balances
// match subtree heights, internal keys are the smallest key of their right
// subtree, keys ascend from the -inf sentinel, each leaf's next key is the
// following leaf's key and the last is +inf, the height is `height`, and every
// cached label equals the recomputed one.
Status check_tree(const NodePool& pool, Node* root, int height, TreeShape* shape);

// Calls `fn(key, value)` for every leaf in key order, sentinel included.
void for_each_leaf(const NodePool& pool, const Node* root,
                   const std::function<void(ByteView key, ByteView value)>& fn);

}  // namespace basis::tree
