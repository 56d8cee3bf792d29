#include "basis/tree/batch_prover.h"

#include <limits>

#include "basis/tree/labels.h"
#include "tree/proof_format.h"

namespace basis::tree {

BatchProver::BatchProver(const TreeParams& params, NodeResolver* resolver)
    : TreeOps(params, &pool_), pool_(params.key_length), resolver_(resolver) {
  Bytes empty_value(params.value_length.value_or(0), 0);
  root_ = pool_.make_leaf(view(negative_infinity_), view(empty_value), view(positive_infinity_),
                          0);
  ensure_label(pool_, root_);
  start_root_ = root_;
}

BatchProver::BatchProver(const TreeParams& params, const Digest& digest, NodeResolver* resolver)
    : TreeOps(params, &pool_), pool_(params.key_length), resolver_(resolver) {
  Label label;
  std::memcpy(label.data(), digest.data(), kLabelSize);
  root_ = pool_.make_label_only(label, view(negative_infinity_), view(positive_infinity_));
  height_ = digest[kLabelSize];
  start_root_ = root_;
}

BatchProver::~BatchProver() = default;  // the pool releases every node

Status BatchProver::perform(const Operation& op, OpOutcome* out) {
  if (!stopped_.is_ok()) return stopped_;
  const size_t rollback_bits = bit_len_;
  Status s = apply(op, out);
  if (!s.is_ok()) {
    if (changed_) {
      // Nodes were already replaced: the tree can no longer be trusted.
      stopped_ = Status(ErrorKind::kCorruption, "prover stopped: " + s.to_string());
      return stopped_;
    }
    truncate_bits(rollback_bits);
  }
  return s;
}

void BatchProver::truncate_bits(size_t bit_length) {
  bit_len_ = bit_length;
  bits_.resize((bit_length + 7) / 8);
  if (bit_length & 7) bits_.back() &= static_cast<uint8_t>((1u << (bit_length & 7)) - 1);
}

Digest BatchProver::digest() {
  return make_digest(ensure_label(pool_, root_), static_cast<uint8_t>(height_));
}

void BatchProver::begin_operation() {
  replay_index_ = bit_len_;
  found_ = false;
}

bool BatchProver::next_is_left(ByteView key, Node* r, bool* left) {
  bool go_left;
  if (found_) {
    go_left = true;
  } else {
    int c = std::memcmp(key.data(), r->key_data(), params_.key_length);
    if (c == 0) {
      found_ = true;  // one step right, then left down to the leaf
      last_right_step_ = bit_len_;
      go_left = false;
    } else {
      go_left = c < 0;
    }
  }
  if ((bit_len_ & 7) == 0) bits_.push_back(0);
  if (go_left) bits_.back() |= static_cast<uint8_t>(1u << (bit_len_ & 7));
  ++bit_len_;
  *left = go_left;
  return true;
}

bool BatchProver::key_matches_leaf(ByteView, const Node*, bool* match) {
  // The search met the key on its way down iff the key is present.
  *match = found_;
  found_ = false;
  return true;
}

bool BatchProver::replay_comparison(int* cmp) {
  if (replay_index_ >= bit_len_) {
    return fail(ErrorKind::kCorruption, "deletion replays past the recorded path");
  }
  if (replay_index_ == last_right_step_) {
    *cmp = 0;
  } else {
    *cmp = (bits_[replay_index_ >> 3] >> (replay_index_ & 7)) & 1 ? -1 : 1;
  }
  ++replay_index_;
  return true;
}

bool BatchProver::resolve(Node* n) {
  if (!n->is_label_only()) return true;
  if (!resolver_) {
    return fail(ErrorKind::kCorruption, "node " + to_hex(n->label) + " is not in memory");
  }
  NodeRecord rec;
  if (Status s = resolver_->resolve(n->label, &rec); !s.is_ok()) {
    error_ = std::move(s);
    return false;
  }
  if (rec.is_leaf && rec.key.empty() && rec.next_key.empty()) {
    // Stored without its keys: they are the bounds the path gave this node.
    ByteView lo = pool_.key(n), hi = pool_.next_key(n);
    rec.key.assign(lo.begin(), lo.end());
    rec.next_key.assign(hi.begin(), hi.end());
  }
  Label actual;
  bool shape_ok = rec.key.size() == params_.key_length;
  if (rec.is_leaf) {
    shape_ok = shape_ok && rec.next_key.size() == params_.key_length &&
               (!params_.value_length || rec.value.size() == *params_.value_length);
    actual = leaf_label(view(rec.key), view(rec.value), view(rec.next_key));
  } else {
    actual = internal_label(static_cast<uint8_t>(rec.balance), rec.left, rec.right);
  }
  if (!shape_ok || actual != n->label) {
    return fail(ErrorKind::kCorruption,
                "node " + to_hex(n->label) + " resolved to a record with label " +
                    to_hex(actual) + (shape_ok ? "" : " and the wrong key or value length"));
  }
  if (rec.is_leaf) {
    pool_.fill_leaf(n, view(rec.key), view(rec.value), view(rec.next_key));
  } else {
    pool_.fill_internal(n, view(rec.key), rec.left, rec.right, rec.balance);
  }
  return true;
}

void BatchProver::visit(Node* n) {
  if (journaling_ && n->visit_stamp == journal_epoch_) journal_.push_back(n);
  n->visit_stamp = epoch_;
}

void BatchProver::retire(Node* n) {
  if (n->flags & Node::kRetired) return;
  n->flags |= Node::kRetired;
  retired_.push_back(n);
}

void BatchProver::pack(Node* n, Bytes* out, bool* previous_was_leaf) {
  if (n->visit_stamp != epoch_ || n->is_label_only()) {
    out->push_back(proof_format::kLabel);
    const Label& label = ensure_label(pool_, n);
    out->insert(out->end(), label.begin(), label.end());
    *previous_was_leaf = false;
    return;
  }
  if (n->is_leaf()) {
    out->push_back(proof_format::kLeaf);
    if (!*previous_was_leaf) {
      ByteView key = pool_.key(n);
      out->insert(out->end(), key.begin(), key.end());
    }
    ByteView next = pool_.next_key(n);
    out->insert(out->end(), next.begin(), next.end());
    ByteView value = pool_.value(n);
    if (!params_.value_length) proof_format::put_u32(out, static_cast<uint32_t>(value.size()));
    out->insert(out->end(), value.begin(), value.end());
    *previous_was_leaf = true;
    return;
  }
  pack(n->left, out, previous_was_leaf);
  pack(n->right, out, previous_was_leaf);
  out->push_back(static_cast<uint8_t>(n->balance));
}

void BatchProver::generate_proof(Bytes* proof) {
  proof->clear();
  bool previous_was_leaf = false;
  pack(start_root_, proof, &previous_was_leaf);
  proof->push_back(proof_format::kEndOfTree);
  proof->insert(proof->end(), bits_.begin(), bits_.end());
  end_batch();
}

void BatchProver::end_batch() {
  ensure_label(pool_, root_);  // the next batch's starting tree is fully labelled
  for (Node* n : retired_) pool_.release(n);
  retired_.clear();
  start_root_ = root_;
  bits_.clear();
  bit_len_ = 0;
  advance_epoch();
}

void BatchProver::advance_epoch() {
  if (next_epoch_ == std::numeric_limits<uint32_t>::max()) {
    // Once per four billion batches: make every node old and unvisited again.
    renumber(root_);
    next_epoch_ = 2;
  }
  epoch_ = next_epoch_++;
}

void BatchProver::renumber(Node* n) {
  n->created_epoch = 0;
  n->visit_stamp = 0;
  if (n->is_internal()) {
    renumber(n->left);
    renumber(n->right);
  }
}

Status BatchProver::get(ByteView key, OpOutcome* out) {
  out->existed = false;
  out->old_value.clear();
  // As a Lookup would: a sentinel is no key of the tree (its leaf is not a
  // value anyone stored, and no proof covers it).
  if (!stopped_.is_ok()) return stopped_;
  if (Status s = check_key(key); !s.is_ok()) return s;
  Leaf leaf;
  if (Status s = leaf_at(key, &leaf); !s.is_ok()) return s;
  if (compare_bytes(view(leaf.key), key) == 0) {
    out->existed = true;
    out->old_value = std::move(leaf.value);
  }
  return Status::ok();
}

Status BatchProver::find_leaf(ByteView key, Node** leaf) {
  if (!stopped_.is_ok()) return stopped_;
  if (key.size() != params_.key_length) {
    return Status(ErrorKind::kKeyLengthMismatch, "Key " + to_hex(key) + " has the wrong length");
  }
  Node* n = root_;
  bool found = false;
  for (;;) {
    if (!resolve(n)) return error_;
    if (n->is_leaf()) break;
    if (found) {
      n = n->left;
      continue;
    }
    int c = std::memcmp(key.data(), n->key_data(), params_.key_length);
    found = c == 0;
    n = c < 0 ? n->left : n->right;
  }
  *leaf = n;
  return Status::ok();
}

Status BatchProver::leaf_at(ByteView key, Leaf* out) {
  Node* n = nullptr;
  if (Status s = find_leaf(key, &n); !s.is_ok()) return s;
  ByteView k = pool_.key(n), v = pool_.value(n), next = pool_.next_key(n);
  out->key.assign(k.begin(), k.end());
  out->value.assign(v.begin(), v.end());
  out->next_key.assign(next.begin(), next.end());
  return Status::ok();
}

Status BatchProver::leaf_summary_at(ByteView key, LeafSummary* out) {
  Node* n = nullptr;
  if (Status s = find_leaf(key, &n); !s.is_ok()) return s;
  ByteView k = pool_.key(n), next = pool_.next_key(n);
  out->key.assign(k.begin(), k.end());
  out->next_key.assign(next.begin(), next.end());
  out->value_size = pool_.value(n).size();
  return Status::ok();
}

Status BatchProver::prove_operations(std::span<const Operation> ops, WhatIfProof* out) {
  if (!stopped_.is_ok()) return stopped_;
  // Run the operations as a batch of their own in a fresh epoch, so that
  // nothing of the real batch changes in place, then throw that batch away.
  Node* const saved_root = root_;
  const int saved_height = height_;
  Node* const saved_start = start_root_;
  Bytes saved_bits = std::move(bits_);
  const size_t saved_bit_len = bit_len_;
  const size_t saved_last_right = last_right_step_;
  const uint32_t main_epoch = epoch_;
  const size_t retired_mark = retired_.size();

  bits_.clear();
  bit_len_ = 0;
  start_root_ = root_;
  advance_epoch();
  const uint32_t what_if_epoch = epoch_;
  journaling_ = true;
  journal_epoch_ = main_epoch;

  out->statuses.assign(ops.size(), Status::ok());
  out->outcomes.assign(ops.size(), OpOutcome{});
  for (size_t i = 0; i < ops.size() && stopped_.is_ok(); ++i) {
    out->statuses[i] = perform(ops[i], &out->outcomes[i]);
  }
  Status result = stopped_;
  if (result.is_ok()) {
    out->proof.clear();
    bool previous_was_leaf = false;
    pack(start_root_, &out->proof, &previous_was_leaf);
    out->proof.push_back(proof_format::kEndOfTree);
    out->proof.insert(out->proof.end(), bits_.begin(), bits_.end());
    out->digest = digest();
  }

  // Undo: free what the what-if batch created, un-retire what it replaced.
  discard_what_if(root_, what_if_epoch);
  for (size_t i = retired_mark; i < retired_.size(); ++i) {
    Node* n = retired_[i];
    if (n->created_epoch == what_if_epoch) {
      pool_.release(n);
    } else {
      n->flags &= static_cast<uint8_t>(~Node::kRetired);
    }
  }
  retired_.resize(retired_mark);
  for (Node* n : journal_) n->visit_stamp = main_epoch;
  journal_.clear();
  journaling_ = false;
  root_ = saved_root;
  height_ = saved_height;
  start_root_ = saved_start;
  bits_ = std::move(saved_bits);
  bit_len_ = saved_bit_len;
  last_right_step_ = saved_last_right;
  epoch_ = main_epoch;
  return result;
}

void BatchProver::discard_what_if(Node* n, uint32_t what_if_epoch) {
  // Nodes of the what-if epoch form the top of the what-if tree: every
  // ancestor of a replaced node was replaced too.
  if (n->created_epoch != what_if_epoch || (n->flags & Node::kRetired)) return;
  if (n->is_internal()) {
    discard_what_if(n->left, what_if_epoch);
    discard_what_if(n->right, what_if_epoch);
  }
  pool_.release(n);
}

Status BatchProver::visit_unstored_nodes(const std::function<void(const Node&)>& fn) {
  if (!stopped_.is_ok()) return stopped_;
  if (batch_pending()) {
    return Status(ErrorKind::kInvalidArgument, "cannot hand out nodes while a batch is pending");
  }
  // Between batches no node changes in place, so a stored node's subtree is
  // stored too: the unstored nodes form the top of the tree.
  visit_unstored(root_, fn);
  return Status::ok();
}

void BatchProver::visit_unstored(Node* n, const std::function<void(const Node&)>& fn) {
  if (n->flags & Node::kStored) return;
  fn(*n);
  n->flags |= Node::kStored;
  if (n->is_internal()) {
    visit_unstored(n->left, fn);
    visit_unstored(n->right, fn);
  }
}

void BatchProver::forget_stored() { forget_stored(root_); }

void BatchProver::forget_stored(Node* n) {
  if (n->is_label_only()) return;  // only reachable through the store: it is there
  n->flags &= static_cast<uint8_t>(~Node::kStored);
  if (n->is_internal()) {
    forget_stored(n->left);
    forget_stored(n->right);
  }
}

Status BatchProver::unload_below(int depth, size_t* released) {
  *released = 0;
  if (!stopped_.is_ok()) return stopped_;
  if (!resolver_) return Status(ErrorKind::kInvalidArgument, "unloading needs a resolver");
  if (depth < 0) return Status(ErrorKind::kInvalidArgument, "unload depth must be >= 0");
  if (batch_pending()) {
    return Status(ErrorKind::kInvalidArgument, "cannot unload while a batch is pending");
  }
  *released = unload(root_, depth, view(negative_infinity_), view(positive_infinity_));
  return Status::ok();
}

size_t BatchProver::unload(Node* n, int depth, ByteView lo, ByteView hi) {
  if (n->is_label_only()) return 0;
  if (depth > 0 || !(n->flags & Node::kStored)) {
    // An unstored node stays; below it, stored subtrees may still go.
    int below = depth > 0 ? depth - 1 : 0;
    if (!n->is_internal()) return 0;
    ByteView key = pool_.key(n);
    return unload(n->left, below, lo, key) + unload(n->right, below, key, hi);
  }
  size_t released = 0;
  if (n->is_internal()) released = release_subtree(n->left) + release_subtree(n->right);
  pool_.make_label_only_in_place(n, lo, hi);
  return released;
}

size_t BatchProver::release_subtree(Node* n) {
  size_t released = 1;
  if (n->is_internal()) released += release_subtree(n->left) + release_subtree(n->right);
  pool_.release(n);
  return released;
}

}  // namespace basis::tree
