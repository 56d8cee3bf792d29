// Tree nodes and the pool that owns them.
//
// Every node of one tree has the same size: a 64-byte header, then key and
// next-leaf key (key_length bytes each) and a 16-byte value slot that holds
// short values inline and points to a heap copy of longer ones. The uniform
// size lets a label-only node be turned into the full node it stands for in
// place, so every parent that shares it sees the loaded node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "basis/tree/bytes.h"

namespace basis::tree {

enum class NodeKind : uint8_t { kLeaf = 0, kInternal = 1, kLabelOnly = 2, kFree = 3 };

struct Node {
  static constexpr size_t kInlineValue = 16;
  static constexpr uint8_t kLabelValid = 1;  // `label` matches the contents
  static constexpr uint8_t kRetired = 2;     // queued for release by its owner
  static constexpr uint8_t kStored = 4;      // a node store holds this node

  Label label;
  Node* left;
  Node* right;
  uint32_t created_epoch;  // nodes of the current epoch may change in place
  uint32_t visit_stamp;    // equal to the batch's epoch when the batch visited it
  uint32_t value_len;
  NodeKind kind;
  int8_t balance;
  uint8_t flags;
  uint8_t reserved;

  bool is_leaf() const { return kind == NodeKind::kLeaf; }
  bool is_internal() const { return kind == NodeKind::kInternal; }
  bool is_label_only() const { return kind == NodeKind::kLabelOnly; }
  bool label_valid() const { return flags & kLabelValid; }
  void invalidate_label() { flags &= static_cast<uint8_t>(~kLabelValid); }

  uint8_t* key_data() { return reinterpret_cast<uint8_t*>(this + 1); }
  const uint8_t* key_data() const { return reinterpret_cast<const uint8_t*>(this + 1); }
};
static_assert(sizeof(Node) == 64, "node header must stay one cache line");

// Allocates, fills and releases the nodes of one tree. Not thread-safe.
// Destroying the pool releases every node it handed out.
class NodePool {
 public:
  explicit NodePool(uint32_t key_length);
  ~NodePool();
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;

  uint32_t key_length() const { return key_length_; }

  ByteView key(const Node* n) const { return ByteView(n->key_data(), key_length_); }
  ByteView next_key(const Node* n) const {
    return ByteView(n->key_data() + key_length_, key_length_);
  }
  ByteView value(const Node* n) const;

  Node* make_leaf(ByteView key, ByteView value, ByteView next_key, uint32_t epoch);
  // `key` may be empty (a verifier does not know internal keys): it is zeroed.
  Node* make_internal(ByteView key, Node* left, Node* right, int8_t balance, uint32_t epoch);
  // A label-only node keeps the bounds of the subtree it stands for in its
  // key slots (key(): the first leaf's key, next_key(): the last leaf's next
  // key), so that a leaf resolved into it can be stored without its keys.
  Node* make_label_only(const Label& label, ByteView lo = {}, ByteView hi = {});

  // In-place edits. Each invalidates the node's label.
  void set_leaf(Node* n, ByteView key, ByteView value, ByteView next_key);
  void set_key(Node* n, ByteView key);

  // Turns a label-only node into a loaded one in place (its label stays).
  // fill_internal gives the children the bounds that follow from the node's.
  void fill_leaf(Node* n, ByteView key, ByteView value, ByteView next_key);
  void fill_internal(Node* n, ByteView key, const Label& left, const Label& right,
                     int8_t balance);

  // Turns a loaded node back into a label-only one (its children are not
  // touched: the caller releases them).
  void make_label_only_in_place(Node* n, ByteView lo, ByteView hi);

  void release(Node* n);

  size_t live_nodes() const { return live_; }
  size_t node_size() const { return node_size_; }
  // Bytes held: node blocks plus out-of-line values. Released blocks stay
  // with the pool for reuse, so this is a high-water mark.
  size_t memory_bytes() const { return slab_bytes_ + heap_value_bytes_; }
  // Bytes of the nodes in use now.
  size_t live_bytes() const { return live_ * node_size_ + heap_value_bytes_; }

 private:
  Node* allocate();
  void set_value(Node* n, ByteView value);
  void free_value(Node* n);
  uint8_t* value_slot(Node* n) const { return n->key_data() + 2 * key_length_; }

  uint32_t key_length_;
  size_t node_size_;
  std::vector<uint8_t*> slabs_;
  std::vector<size_t> slab_sizes_;
  uint8_t* cursor_ = nullptr;  // next never-used block of the newest slab
  uint8_t* slab_end_ = nullptr;
  Node* free_list_ = nullptr;  // linked through `left`
  size_t live_ = 0;
  size_t slab_bytes_ = 0;
  size_t heap_value_bytes_ = 0;
};

}  // namespace basis::tree
