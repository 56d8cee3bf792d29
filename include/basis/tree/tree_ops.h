// The AVL+ modification and deletion algorithms (SPEC-avl.md §6), shared by
// the batch prover and the batch verifier. They differ only in the hooks:
// where directions come from, how a leaf is matched, how a node that is not
// in memory is reached, and whether visits are recorded.
#pragma once

#include <string>

#include "basis/tree/bytes.h"
#include "basis/tree/node.h"
#include "basis/tree/operation.h"
#include "basis/tree/params.h"
#include "basis/tree/status.h"

namespace basis::tree {

// The outcome of one successful operation: the value stored under the key
// before it (for a Lookup, the value looked up).
struct OpOutcome {
  bool existed = false;
  Bytes old_value;  // empty unless `existed`
};

class TreeOps {
 public:
  TreeOps(const TreeOps&) = delete;
  TreeOps& operator=(const TreeOps&) = delete;
  virtual ~TreeOps() = default;

  const TreeParams& params() const { return params_; }

 protected:
  // The reference's checks of an operation's key, in its order: above -inf,
  // below +inf, the tree's key length.
  Status check_key(ByteView key) const;
  TreeOps(const TreeParams& params, NodePool* pool);

  // Checks the key, then modifies (and if needed deletes). On a failure in
  // the update function or the key checks nothing has changed; on any other
  // failure (a proof or a resolver that cannot be trusted) the tree may be
  // half-modified and the caller must stop using it.
  Status apply(const Operation& op, OpOutcome* out);

  // Where the search goes at internal node `r`; appends or consumes a bit.
  virtual bool next_is_left(ByteView key, Node* r, bool* left) = 0;
  // Whether the search for `key` ends at `leaf` with the key present.
  virtual bool key_matches_leaf(ByteView key, const Node* leaf, bool* match) = 0;
  // The recorded comparison at the next level of a deletion: -1, 0 or +1.
  virtual bool replay_comparison(int* cmp) = 0;
  // Makes `n` a loaded node if it is label-only and this side can load it.
  virtual bool resolve(Node* n) = 0;
  virtual void visit(Node* n) = 0;
  // `n` has left the current tree.
  virtual void retire(Node* n) = 0;

  // Records a failure in `error_` and returns false, for the hooks' use.
  bool fail(ErrorKind kind, std::string message);
  // Called before the search of each operation.
  virtual void begin_operation() {}

  // No AVL tree the digest's height byte can describe is deeper than this;
  // refusing deeper paths bounds recursion on hostile proofs.
  static constexpr int kMaxDepth = 300;

  const TreeParams params_;
  NodePool* const pool_;
  Bytes negative_infinity_;
  Bytes positive_infinity_;
  Node* root_ = nullptr;
  int height_ = 0;
  uint32_t epoch_ = 1;  // nodes created in this epoch change in place
  Status error_;
  bool changed_ = false;   // the current operation has begun to change nodes
  bool deleted_ = false;   // the last successful operation removed a leaf

 private:
  struct Modified {
    Node* node;
    bool changed;
    bool height_increased;
    bool to_delete;
  };
  struct Deleted {
    Node* node;
    bool height_decreased;
  };

  bool modify(Node* r, int depth, const Operation& op, OpOutcome* out, Modified* res);
  bool modify_leaf(Node* r, const Operation& op, OpOutcome* out, Modified* res);
  bool remove(Node* r, int depth, bool delete_max, Node** saved, Deleted* res);
  bool remove_below(Node* r, int depth, int direction, bool delete_max, Node** saved,
                    Deleted* res);
  Node* change_next_key_of_max(Node* r, ByteView next_key);
  Node* change_key_and_value_of_min(Node* r, ByteView key, ByteView value);

  Node* child(Node* n, bool left);
  bool expect_internal(Node* n);
  bool rotation_balances(const Node* g, int8_t* left, int8_t* right);
  Node* double_left_rotate(Node* current_root, Node* left_child, Node* right_child);
  Node* double_right_rotate(Node* current_root, Node* left_child, Node* right_child);

  bool is_new(const Node* n) const { return n->created_epoch == epoch_; }
  Node* update_internal(Node* n, Node* left, Node* right, int8_t balance);
  Node* update_leaf(Node* n, ByteView key, ByteView value, ByteView next_key);
  Node* update_key(Node* n, ByteView key);
  Node* split_leaf(Node* leaf, ByteView key, ByteView value);

  Bytes scratch_next_;  // a leaf's next key, kept while the leaf is rewritten
};

}  // namespace basis::tree
