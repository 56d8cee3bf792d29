#include "basis/tree/node.h"

#include <algorithm>
#include <cstdlib>
#include <new>

namespace basis::tree {

namespace {
constexpr size_t kFirstSlabBytes = 16 * 1024;
constexpr size_t kMaxSlabBytes = 1024 * 1024;

void copy_or_zero(uint8_t* dst, ByteView src, size_t n) {
  if (src.size() == n) {
    std::memmove(dst, src.data(), n);
  } else {
    std::memset(dst, 0, n);
  }
}
}  // namespace

NodePool::NodePool(uint32_t key_length)
    : key_length_(key_length),
      node_size_((sizeof(Node) + 2 * size_t{key_length} + Node::kInlineValue + 7) & ~size_t{7}) {}

NodePool::~NodePool() {
  // Out-of-line values of live leaves are the only memory outside the slabs.
  for (size_t i = 0; i < slabs_.size(); ++i) {
    uint8_t* end = (i + 1 == slabs_.size()) ? cursor_ : slabs_[i] + slab_sizes_[i];
    for (uint8_t* p = slabs_[i]; p + node_size_ <= end; p += node_size_) {
      Node* n = reinterpret_cast<Node*>(p);
      if (n->kind == NodeKind::kLeaf) free_value(n);
    }
    std::free(slabs_[i]);
  }
}

Node* NodePool::allocate() {
  Node* n;
  if (free_list_) {
    n = free_list_;
    free_list_ = n->left;
  } else {
    if (cursor_ == nullptr || cursor_ + node_size_ > slab_end_) {
      size_t bytes = slab_sizes_.empty() ? kFirstSlabBytes
                                         : std::min(kMaxSlabBytes, slab_sizes_.back() * 2);
      bytes = std::max(bytes, node_size_);
      auto* slab = static_cast<uint8_t*>(std::malloc(bytes));
      if (!slab) throw std::bad_alloc();
      slabs_.push_back(slab);
      slab_sizes_.push_back(bytes);
      slab_bytes_ += bytes;
      cursor_ = slab;
      slab_end_ = slab + bytes;
    }
    n = reinterpret_cast<Node*>(cursor_);
    cursor_ += node_size_;
  }
  ++live_;
  n->left = n->right = nullptr;
  n->created_epoch = 0;
  n->visit_stamp = 0;
  n->value_len = 0;
  n->balance = 0;
  n->flags = 0;
  n->reserved = 0;
  return n;
}

void NodePool::make_label_only_in_place(Node* n, ByteView lo, ByteView hi) {
  if (n->kind == NodeKind::kLeaf) free_value(n);
  copy_or_zero(n->key_data(), lo, key_length_);
  copy_or_zero(n->key_data() + key_length_, hi, key_length_);
  n->kind = NodeKind::kLabelOnly;
  n->left = n->right = nullptr;
  n->balance = 0;
  n->created_epoch = 0;
  n->visit_stamp = 0;
  n->flags = Node::kLabelValid | Node::kStored;
}

void NodePool::release(Node* n) {
  if (n->kind == NodeKind::kLeaf) free_value(n);
  n->kind = NodeKind::kFree;
  n->left = free_list_;
  free_list_ = n;
  --live_;
}

ByteView NodePool::value(const Node* n) const {
  const uint8_t* slot = n->key_data() + 2 * key_length_;
  if (n->value_len <= Node::kInlineValue) return ByteView(slot, n->value_len);
  const uint8_t* heap;
  std::memcpy(&heap, slot, sizeof heap);
  return ByteView(heap, n->value_len);
}

void NodePool::free_value(Node* n) {
  if (n->value_len > Node::kInlineValue) {
    uint8_t* heap;
    std::memcpy(&heap, value_slot(n), sizeof heap);
    std::free(heap);
    heap_value_bytes_ -= n->value_len;
  }
  n->value_len = 0;
}

void NodePool::set_value(Node* n, ByteView value) {
  // `value` may point into `n` itself (a value rewritten unchanged).
  if (n->kind == NodeKind::kLeaf && value.size() == n->value_len) {
    ByteView current = this->value(n);
    if (!value.empty()) std::memmove(const_cast<uint8_t*>(current.data()), value.data(), value.size());
    return;
  }
  uint8_t* heap = nullptr;
  if (value.size() > Node::kInlineValue) {
    heap = static_cast<uint8_t*>(std::malloc(value.size()));
    if (!heap) throw std::bad_alloc();
    std::memcpy(heap, value.data(), value.size());
  }
  uint8_t inline_copy[Node::kInlineValue];
  if (!heap && !value.empty()) std::memcpy(inline_copy, value.data(), value.size());
  if (n->kind == NodeKind::kLeaf) free_value(n);
  n->value_len = static_cast<uint32_t>(value.size());
  if (heap) {
    std::memcpy(value_slot(n), &heap, sizeof heap);
    heap_value_bytes_ += value.size();
  } else if (!value.empty()) {
    std::memcpy(value_slot(n), inline_copy, value.size());
  }
}

Node* NodePool::make_leaf(ByteView key, ByteView value, ByteView next_key, uint32_t epoch) {
  Node* n = allocate();
  n->kind = NodeKind::kLabelOnly;  // no value to free yet
  copy_or_zero(n->key_data(), key, key_length_);
  copy_or_zero(n->key_data() + key_length_, next_key, key_length_);
  set_value(n, value);
  n->kind = NodeKind::kLeaf;
  n->created_epoch = epoch;
  return n;
}

Node* NodePool::make_internal(ByteView key, Node* left, Node* right, int8_t balance,
                              uint32_t epoch) {
  Node* n = allocate();
  n->kind = NodeKind::kInternal;
  copy_or_zero(n->key_data(), key, key_length_);
  n->left = left;
  n->right = right;
  n->balance = balance;
  n->created_epoch = epoch;
  return n;
}

Node* NodePool::make_label_only(const Label& label, ByteView lo, ByteView hi) {
  Node* n = allocate();
  n->kind = NodeKind::kLabelOnly;
  n->label = label;
  copy_or_zero(n->key_data(), lo, key_length_);
  copy_or_zero(n->key_data() + key_length_, hi, key_length_);
  n->flags = Node::kLabelValid | Node::kStored;
  return n;
}

void NodePool::set_leaf(Node* n, ByteView key, ByteView value, ByteView next_key) {
  copy_or_zero(n->key_data(), key, key_length_);
  copy_or_zero(n->key_data() + key_length_, next_key, key_length_);
  set_value(n, value);
  n->invalidate_label();
}

void NodePool::set_key(Node* n, ByteView key) {
  copy_or_zero(n->key_data(), key, key_length_);
  n->invalidate_label();
}

void NodePool::fill_leaf(Node* n, ByteView key, ByteView value, ByteView next_key) {
  copy_or_zero(n->key_data(), key, key_length_);
  copy_or_zero(n->key_data() + key_length_, next_key, key_length_);
  set_value(n, value);
  n->kind = NodeKind::kLeaf;
}

void NodePool::fill_internal(Node* n, ByteView key, const Label& left, const Label& right,
                             int8_t balance) {
  // The key splits the node's bounds (lo, hi) between its children.
  ByteView lo(n->key_data(), key_length_), hi(n->key_data() + key_length_, key_length_);
  n->left = make_label_only(left, lo, key);
  n->right = make_label_only(right, key, hi);
  copy_or_zero(n->key_data(), key, key_length_);
  n->balance = balance;
  n->kind = NodeKind::kInternal;
}

}  // namespace basis::tree
