#include "basis/tree/tree_ops.h"

namespace basis::tree {

namespace {
const char kUnrevealed[] = "the proof does not reveal a node the operation needs";
}

TreeOps::TreeOps(const TreeParams& params, NodePool* pool)
    : params_(params),
      pool_(pool),
      negative_infinity_(params.key_length, 0x00),
      positive_infinity_(params.key_length, 0xff),
      scratch_next_(params.key_length) {}

bool TreeOps::fail(ErrorKind kind, std::string message) {
  error_ = Status(kind, std::move(message));
  return false;
}

Status TreeOps::check_key(ByteView key) const {
  if (compare_bytes(key, view(negative_infinity_)) <= 0) {
    return Status(ErrorKind::kKeyNotAboveNegInfinity, "Key " + to_hex(key) + " is less than -inf");
  }
  if (compare_bytes(key, view(positive_infinity_)) >= 0) {
    return Status(ErrorKind::kKeyNotBelowPosInfinity, "Key " + to_hex(key) + " is more than +inf");
  }
  if (key.size() != params_.key_length) {
    return Status(ErrorKind::kKeyLengthMismatch, "Key " + to_hex(key) + " has " +
                                                     std::to_string(key.size()) +
                                                     " bytes, the tree's keys have " +
                                                     std::to_string(params_.key_length));
  }
  return Status::ok();
}

Status TreeOps::apply(const Operation& op, OpOutcome* out) {
  // Reset first: a key-check failure must not be judged by the previous
  // operation's state (a stale changed_ would stop the prover).
  changed_ = false;
  deleted_ = false;
  out->existed = false;
  out->old_value.clear();
  if (Status s = check_key(op.key); !s.is_ok()) return s;
  begin_operation();
  if (!resolve(root_)) return error_;
  Modified m;
  if (!modify(root_, 0, op, out, &m)) return error_;
  if (m.to_delete) {
    Node* saved = nullptr;
    Deleted d;
    changed_ = true;
    if (!remove(m.node, 0, false, &saved, &d)) return error_;
    deleted_ = true;
    if (d.height_decreased) --height_;
    root_ = d.node;
  } else {
    if (m.height_increased) ++height_;
    root_ = m.node;
  }
  return Status::ok();
}

Node* TreeOps::child(Node* n, bool left) {
  Node* c = left ? n->left : n->right;
  return resolve(c) ? c : nullptr;
}

bool TreeOps::expect_internal(Node* n) {
  if (!n) return false;  // child() failed to resolve it and said why
  if (n->is_internal()) return true;
  return fail(ErrorKind::kInvalidProof, kUnrevealed);
}

bool TreeOps::modify_leaf(Node* r, const Operation& op, OpOutcome* out, Modified* res) {
  bool present = false;
  if (!key_matches_leaf(op.key, r, &present)) return false;
  *res = {r, false, false, false};
  ByteView old = pool_->value(r);
  if (present) {
    out->existed = true;
    out->old_value.assign(old.begin(), old.end());
  }
  if (op.is_lookup()) {
    visit(r);
    return true;
  }
  UpdateDecision d;
  if (Status s = decide_update(op, present ? &old : nullptr, &d); !s.is_ok()) {
    error_ = std::move(s);
    return false;
  }
  if (d.action == UpdateDecision::Action::kStore && params_.value_length &&
      d.value.size() != *params_.value_length) {
    return fail(ErrorKind::kValueLengthMismatch,
                "Value length is fixed and should be " + std::to_string(*params_.value_length) +
                    ", got " + std::to_string(d.value.size()));
  }
  visit(r);
  if (present) {
    if (d.action == UpdateDecision::Action::kRemove) {
      res->to_delete = true;
    } else {
      res->node = update_leaf(r, pool_->key(r), d.value, pool_->next_key(r));
      res->changed = true;
    }
  } else if (d.action == UpdateDecision::Action::kStore) {
    res->node = split_leaf(r, op.key, d.value);
    res->changed = true;
    res->height_increased = true;
  }
  return true;
}

bool TreeOps::modify(Node* r, int depth, const Operation& op, OpOutcome* out, Modified* res) {
  if (r->is_leaf()) return modify_leaf(r, op, out, res);
  if (!expect_internal(r)) return false;
  if (depth > kMaxDepth) return fail(ErrorKind::kInvalidProof, "the tree is deeper than any AVL tree");
  // Visits are recorded on the way back up, so a failed operation marks nothing.
  bool go_left = false;
  if (!next_is_left(op.key, r, &go_left)) return false;
  Node* next = child(r, go_left);
  if (!next) return false;
  Modified sub;
  if (!modify(next, depth + 1, op, out, &sub)) return false;
  visit(r);
  if (!sub.changed) {
    *res = {r, false, false, sub.to_delete};
    return true;
  }
  Node* grown = sub.node;
  if (go_left) {
    if (sub.height_increased && r->balance < 0) {
      if (!expect_internal(grown)) return false;
      if (grown->balance < 0) {  // single right rotation
        Node* new_r = update_internal(r, grown->right, r->right, 0);
        *res = {update_internal(grown, grown->left, new_r, 0), true, false, false};
      } else {
        Node* n = double_right_rotate(r, grown, r->right);
        if (!n) return false;
        *res = {n, true, false, false};
      }
    } else {
      bool increased = sub.height_increased && r->balance == 0;
      int8_t balance = static_cast<int8_t>(sub.height_increased ? r->balance - 1 : r->balance);
      *res = {update_internal(r, grown, r->right, balance), true, increased, false};
    }
  } else {
    if (sub.height_increased && r->balance > 0) {
      if (!expect_internal(grown)) return false;
      if (grown->balance > 0) {  // single left rotation
        Node* new_r = update_internal(r, r->left, grown->left, 0);
        *res = {update_internal(grown, new_r, grown->right, 0), true, false, false};
      } else {
        Node* n = double_left_rotate(r, r->left, grown);
        if (!n) return false;
        *res = {n, true, false, false};
      }
    } else {
      bool increased = sub.height_increased && r->balance == 0;
      int8_t balance = static_cast<int8_t>(sub.height_increased ? r->balance + 1 : r->balance);
      *res = {update_internal(r, r->left, grown, balance), true, increased, false};
    }
  }
  return true;
}

bool TreeOps::rotation_balances(const Node* g, int8_t* left, int8_t* right) {
  switch (g->balance) {
    case 0: *left = 0; *right = 0; return true;
    case -1: *left = 0; *right = 1; return true;
    case 1: *left = -1; *right = 0; return true;
    default:
      return fail(ErrorKind::kInvalidProof, "node balance " + std::to_string(g->balance) +
                                                " is not -1, 0 or 1");
  }
}

Node* TreeOps::double_left_rotate(Node* current_root, Node* left_child, Node* right_child) {
  Node* g = child(right_child, true);
  if (!expect_internal(g)) return nullptr;
  int8_t lb, rb;
  if (!rotation_balances(g, &lb, &rb)) return nullptr;
  Node* new_left = update_internal(current_root, left_child, g->left, lb);
  Node* new_right = update_internal(right_child, g->right, right_child->right, rb);
  return update_internal(g, new_left, new_right, 0);
}

Node* TreeOps::double_right_rotate(Node* current_root, Node* left_child, Node* right_child) {
  Node* g = child(left_child, false);
  if (!expect_internal(g)) return nullptr;
  int8_t lb, rb;
  if (!rotation_balances(g, &lb, &rb)) return nullptr;
  Node* new_right = update_internal(current_root, g->right, right_child, rb);
  Node* new_left = update_internal(left_child, left_child->left, g->left, lb);
  return update_internal(g, new_left, new_right, 0);
}

Node* TreeOps::split_leaf(Node* leaf, ByteView key, ByteView value) {
  changed_ = true;
  ByteView next = pool_->next_key(leaf);
  std::memcpy(scratch_next_.data(), next.data(), next.size());
  Node* left = update_leaf(leaf, pool_->key(leaf), pool_->value(leaf), key);
  Node* right = pool_->make_leaf(key, value, view(scratch_next_), epoch_);
  return pool_->make_internal(key, left, right, 0, epoch_);
}

Node* TreeOps::update_internal(Node* n, Node* left, Node* right, int8_t balance) {
  changed_ = true;
  if (is_new(n)) {
    n->left = left;
    n->right = right;
    n->balance = balance;
    n->invalidate_label();
    return n;
  }
  Node* copy = pool_->make_internal(pool_->key(n), left, right, balance, epoch_);
  retire(n);
  return copy;
}

Node* TreeOps::update_leaf(Node* n, ByteView key, ByteView value, ByteView next_key) {
  changed_ = true;
  if (is_new(n)) {
    pool_->set_leaf(n, key, value, next_key);
    return n;
  }
  Node* copy = pool_->make_leaf(key, value, next_key, epoch_);
  retire(n);
  return copy;
}

Node* TreeOps::update_key(Node* n, ByteView key) {
  changed_ = true;
  if (is_new(n)) {
    pool_->set_key(n, key);
    return n;
  }
  Node* copy = pool_->make_internal(key, n->left, n->right, n->balance, epoch_);
  retire(n);
  return copy;
}

Node* TreeOps::change_next_key_of_max(Node* r, ByteView next_key) {
  visit(r);
  if (r->is_leaf()) return update_leaf(r, pool_->key(r), pool_->value(r), next_key);
  if (!expect_internal(r)) return nullptr;
  Node* right = child(r, false);
  if (!right) return nullptr;
  Node* changed = change_next_key_of_max(right, next_key);
  if (!changed) return nullptr;
  return update_internal(r, r->left, changed, r->balance);
}

Node* TreeOps::change_key_and_value_of_min(Node* r, ByteView key, ByteView value) {
  visit(r);
  if (r->is_leaf()) return update_leaf(r, key, value, pool_->next_key(r));
  if (!expect_internal(r)) return nullptr;
  Node* left = child(r, true);
  if (!left) return nullptr;
  Node* changed = change_key_and_value_of_min(left, key, value);
  if (!changed) return nullptr;
  return update_internal(r, changed, r->right, r->balance);
}

bool TreeOps::remove(Node* r, int depth, bool delete_max, Node** saved, Deleted* res) {
  visit(r);
  if (depth > kMaxDepth) return fail(ErrorKind::kInvalidProof, "the tree is deeper than any AVL tree");
  int direction = 1;
  if (!delete_max && !replay_comparison(&direction)) return false;
  if (!expect_internal(r)) return false;
  // Children are resolved only where this step looks at them: the side the
  // path takes, and the other side when a leaf beside the key is dropped.
  Node* left = r->left;
  Node* right = r->right;
  if (direction <= 0 && !(left = child(r, true))) return false;
  if (direction >= 0 && !(right = child(r, false))) return false;

  if (direction < 0 && left->is_leaf()) {
    return fail(ErrorKind::kInvalidProof, "deletion path ends at a leaf before its key");
  }
  if (direction >= 0 && right->is_leaf()) {
    // Drop r and its right leaf; r's left subtree takes r's place.
    visit(right);
    retire(r);
    retire(right);
    if (delete_max) {
      *saved = right;  // copied into its successor by the caller
      *res = {left, true};
      return true;
    }
    if (direction != 0) return fail(ErrorKind::kInvalidProof, "deletion reached the wrong leaf");
    Node* n = change_next_key_of_max(left, pool_->next_key(right));
    if (!n) return false;
    *res = {n, true};
    return true;
  }
  if (direction == 0 && left->is_leaf()) {
    // Drop r and its left leaf; the leftmost leaf of the right subtree takes
    // over the left leaf's key and value.
    visit(left);
    retire(r);
    retire(left);
    Node* n = change_key_and_value_of_min(right, pool_->key(left), pool_->value(left));
    if (!n) return false;
    *res = {n, true};
    return true;
  }
  return remove_below(r, depth, direction, delete_max, saved, res);
}

bool TreeOps::remove_below(Node* r, int depth, int direction, bool delete_max, Node** saved,
                           Deleted* res) {
  if (direction <= 0) {
    // Going left; delete the maximum of the left subtree when r holds the key.
    Node* left = r->left;
    if (!expect_internal(left)) return false;
    Deleted sub;
    if (!remove(left, depth + 1, direction == 0, saved, &sub)) return false;
    Node* new_root = r;
    if (direction == 0) {
      Node* s = *saved;
      *saved = nullptr;
      if (!s) return fail(ErrorKind::kInvalidProof, "deletion found no leaf to move");
      Node* rk = update_key(r, pool_->key(s));
      Node* rk_right = child(rk, false);
      if (!rk_right) return false;
      Node* moved = change_key_and_value_of_min(rk_right, pool_->key(s), pool_->value(s));
      if (!moved) return false;
      new_root = update_internal(rk, rk->left, moved, rk->balance);
    }
    Node* root_right = child(new_root, false);
    if (!root_right) return false;
    if (sub.height_decreased && new_root->balance > 0) {
      // The left side is now two shorter than the right: rotate.
      visit(root_right);
      if (!expect_internal(root_right)) return false;
      if (root_right->balance < 0) {
        Node* g = child(root_right, true);
        if (!g) return false;
        visit(g);
        Node* n = double_left_rotate(new_root, sub.node, root_right);
        if (!n) return false;
        *res = {n, true};
      } else {
        int8_t s_balance = root_right->balance;
        Node* new_left = update_internal(new_root, sub.node, root_right->left,
                                         static_cast<int8_t>(1 - s_balance));
        int8_t new_balance = static_cast<int8_t>(s_balance - 1);
        Node* n = update_internal(root_right, new_left, root_right->right, new_balance);
        *res = {n, new_balance == 0};
      }
    } else {
      int8_t balance = static_cast<int8_t>(sub.height_decreased ? new_root->balance + 1
                                                                : new_root->balance);
      *res = {update_internal(new_root, sub.node, root_right, balance),
              sub.height_decreased && balance == 0};
    }
    return true;
  }

  // Going right.
  Node* right = r->right;
  if (!expect_internal(right)) return false;
  Deleted sub;
  if (!remove(right, depth + 1, delete_max, saved, &sub)) return false;
  if (sub.height_decreased && r->balance < 0) {
    Node* left = child(r, true);
    if (!left) return false;
    visit(left);
    if (!expect_internal(left)) return false;
    if (left->balance > 0) {
      Node* g = child(left, false);
      if (!g) return false;
      visit(g);
      Node* n = double_right_rotate(r, left, sub.node);
      if (!n) return false;
      *res = {n, true};
    } else {
      int8_t s_balance = left->balance;
      Node* new_right = update_internal(r, left->right, sub.node,
                                        static_cast<int8_t>(-s_balance - 1));
      int8_t new_balance = static_cast<int8_t>(1 + s_balance);
      Node* n = update_internal(left, left->left, new_right, new_balance);
      *res = {n, new_balance == 0};
    }
  } else {
    int8_t balance = static_cast<int8_t>(sub.height_decreased ? r->balance - 1 : r->balance);
    *res = {update_internal(r, r->left, sub.node, balance), sub.height_decreased && balance == 0};
  }
  return true;
}

}  // namespace basis::tree
