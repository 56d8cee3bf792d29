#include "basis/tree/labels.h"

#include <algorithm>
#include <vector>

#include "tree/blake2b_lanes.h"
#include "basis/tree/hash.h"

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

namespace {

// Reused buffers: the stale nodes grouped by level (0 = only fresh children
// below), and the preimages of one level.
struct LabelScratch {
  std::vector<std::vector<Node*>> levels;
  Bytes preimages;
  std::vector<size_t> offsets;
  std::vector<ByteView> views;
  std::vector<Label*> outs;
};

int collect_stale(Node* n, LabelScratch& s) {
  if (n->label_valid()) return -1;  // label-only nodes are always valid
  int level = 0;
  if (n->is_internal()) {
    level = 1 + std::max(collect_stale(n->left, s), collect_stale(n->right, s));
  }
  if (s.levels.size() <= static_cast<size_t>(level)) s.levels.resize(level + 1);
  s.levels[level].push_back(n);
  return level;
}

void append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

}  // namespace

const Label& ensure_label(const NodePool& pool, Node* n) {
  if (n->label_valid()) return n->label;
  thread_local LabelScratch s;
  for (auto& level : s.levels) level.clear();
  collect_stale(n, s);
  // Nodes of one level do not depend on each other: hash them side by side.
  for (auto& level : s.levels) {
    s.preimages.clear();
    s.offsets.clear();
    for (Node* x : level) {
      s.offsets.push_back(s.preimages.size());
      if (x->is_leaf()) {
        s.preimages.push_back(0);
        append(s.preimages, pool.key(x));
        append(s.preimages, pool.value(x));
        append(s.preimages, pool.next_key(x));
      } else {
        s.preimages.push_back(1);
        s.preimages.push_back(static_cast<uint8_t>(x->balance));
        append(s.preimages, ByteView(x->left->label));
        append(s.preimages, ByteView(x->right->label));
      }
    }
    s.views.clear();
    s.outs.clear();
    for (size_t i = 0; i < level.size(); ++i) {
      size_t end = i + 1 < level.size() ? s.offsets[i + 1] : s.preimages.size();
      s.views.emplace_back(s.preimages.data() + s.offsets[i], end - s.offsets[i]);
      s.outs.push_back(&level[i]->label);
    }
    blake2b256_many(s.views.data(), s.outs.data(), level.size());
    for (Node* x : level) x->flags |= Node::kLabelValid;
  }
  return n->label;
}

}  // namespace basis::tree
