// How a tree reaches nodes that are not in memory: a label in, a node out.
// A tree held wholly in memory never calls its resolver.
#pragma once

#include "basis/tree/bytes.h"
#include "basis/tree/status.h"

namespace basis::tree {

// The stored form of one node: what its label commits to, plus the internal
// node's search key (which the label does not cover).
struct NodeRecord {
  bool is_leaf = false;
  // Leaf: key, value, next_key. Internal: key (the smallest key of the right
  // subtree), balance, left and right labels. A leaf's key and next_key may
  // both be left empty: they are the bounds the path to it gives (the keys
  // of the nearest ancestors it lies right and left of), which the tree
  // knows when it resolves the leaf.
  Bytes key;
  Bytes value;
  Bytes next_key;
  int8_t balance = 0;
  Label left{};
  Label right{};
};

class NodeResolver {
 public:
  virtual ~NodeResolver() = default;
  // Fills `out` with the node whose label is `label`. The tree recomputes the
  // label of what it gets (with a leaf's keys from the path when the record
  // leaves them out) and refuses a mismatch, so an implementation need not
  // check it. Returns kCorruption (or another error) when it cannot.
  virtual Status resolve(const Label& label, NodeRecord* out) = 0;
};

}  // namespace basis::tree
