#include "basis/tree/batch_verifier.h"

#include <algorithm>
#include <vector>

#include "basis/tree/labels.h"
#include "tree/proof_format.h"

namespace basis::tree {

namespace {

size_t saturating_mul(size_t a, size_t b) {
  size_t r;
  return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}
size_t saturating_add(size_t a, size_t b) {
  size_t r;
  return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}

Status invalid(std::string message) { return Status(ErrorKind::kInvalidProof, std::move(message)); }

}  // namespace

size_t BatchVerifier::record_bound(size_t n, size_t d, int h) {
  size_t log2n = 0;
  while ((size_t{1} << log2n) < n && log2n < 63) ++log2n;  // ceil(log2 n)
  size_t t = 1 + std::max(static_cast<size_t>(h), log2n);
  size_t hnew = t + t / 2;
  size_t per_op = 2 * static_cast<size_t>(h) + 1;
  return saturating_add(
      saturating_add(saturating_mul(saturating_add(n, d), per_op), saturating_mul(d, hnew)), 1);
}

BatchVerifier::BatchVerifier(const TreeParams& params, const Digest& starting_digest,
                             ByteView proof, const VerifierLimits& limits)
    : TreeOps(params, &pool_), pool_(params.key_length), limits_(limits) {
  failed_ = params.validate();
  if (failed_.is_ok()) failed_ = reconstruct(&starting_digest, proof);
}

BatchVerifier::BatchVerifier(const TreeParams& params, const VerifierLimits& limits)
    : TreeOps(params, &pool_), pool_(params.key_length), limits_(limits) {}

Status BatchVerifier::packaged_root_label(const TreeParams& params, ByteView proof, Label* root) {
  if (Status s = params.validate(); !s.is_ok()) return s;
  BatchVerifier v(params, VerifierLimits{});
  v.failed_ = v.reconstruct(nullptr, proof);
  if (v.failed_.is_ok()) *root = v.root_->label;
  return v.failed_;
}

BatchVerifier::~BatchVerifier() = default;  // the pool releases every node

Status BatchVerifier::reconstruct(const Digest* starting_digest, ByteView proof) {
  if (proof.size() > limits_.max_proof_bytes) {
    return Status(ErrorKind::kLimitExceeded, "proof of " + std::to_string(proof.size()) +
                                                 " bytes exceeds the limit of " +
                                                 std::to_string(limits_.max_proof_bytes));
  }
  height_ = starting_digest ? (*starting_digest)[kLabelSize] : 0;  // trusted, as in the reference
  size_t max_records = SIZE_MAX;
  if (limits_.max_operations) {
    max_records = record_bound(*limits_.max_operations,
                               limits_.max_deletes.value_or(*limits_.max_operations), height_);
  }
  const size_t kl = params_.key_length;
  struct Entry {
    Node* node;
    int height;
  };
  std::vector<Entry> stack;
  const Node* previous_leaf = nullptr;
  size_t pos = 0;
  size_t records = 0;
  auto need = [&](size_t n) { return proof.size() - pos >= n; };
  for (;;) {
    if (pos >= proof.size()) return invalid("proof ends before its end-of-tree marker");
    uint8_t marker = proof[pos++];
    if (marker == proof_format::kEndOfTree) break;
    if (++records > max_records) {
      return Status(ErrorKind::kLimitExceeded,
                    "proof holds more than " + std::to_string(max_records) + " nodes");
    }
    if (marker == proof_format::kLabel) {
      if (!need(kLabelSize)) return invalid("proof ends inside a label at byte " + std::to_string(pos));
      Label label;
      std::memcpy(label.data(), proof.data() + pos, kLabelSize);
      pos += kLabelSize;
      stack.push_back({pool_.make_label_only(label), 0});
      previous_leaf = nullptr;
    } else if (marker == proof_format::kLeaf) {
      ByteView key;
      if (previous_leaf) {
        key = pool_.next_key(previous_leaf);
      } else {
        if (!need(kl)) return invalid("proof ends inside a leaf key at byte " + std::to_string(pos));
        key = proof.subspan(pos, kl);
        pos += kl;
      }
      if (!need(kl)) return invalid("proof ends inside a next-leaf key at byte " + std::to_string(pos));
      ByteView next = proof.subspan(pos, kl);
      pos += kl;
      size_t value_len;
      if (params_.value_length) {
        value_len = *params_.value_length;
      } else {
        if (!need(4)) return invalid("proof ends inside a value length at byte " + std::to_string(pos));
        value_len = uint32_t{proof[pos]} << 24 | uint32_t{proof[pos + 1]} << 16 |
                    uint32_t{proof[pos + 2]} << 8 | uint32_t{proof[pos + 3]};
        pos += 4;
      }
      if (!need(value_len)) {
        return invalid("proof ends inside a value of " + std::to_string(value_len) +
                       " bytes at byte " + std::to_string(pos));
      }
      ByteView value = proof.subspan(pos, value_len);
      pos += value_len;
      Node* leaf = pool_.make_leaf(key, value, next, epoch_);
      ensure_label(pool_, leaf);
      stack.push_back({leaf, 0});
      previous_leaf = leaf;
    } else {
      // Any other byte is the balance of an internal node over the last two.
      if (stack.size() < 2) {
        return invalid("internal node at byte " + std::to_string(pos - 1) +
                       " has fewer than two children");
      }
      Entry right = stack.back();
      stack.pop_back();
      Entry left = stack.back();
      stack.pop_back();
      int height = 1 + std::max(left.height, right.height);
      if (height > kMaxDepth) return invalid("the proof's tree is deeper than any AVL tree");
      Node* n = pool_.make_internal({}, left.node, right.node, static_cast<int8_t>(marker), epoch_);
      n->label = internal_label(marker, left.node->label, right.node->label);
      n->flags |= Node::kLabelValid;
      stack.push_back({n, height});
    }
  }
  if (stack.size() != 1) {
    return invalid("proof's tree has " + std::to_string(stack.size()) + " roots, not one");
  }
  root_ = stack.front().node;
  if (starting_digest &&
      std::memcmp(root_->label.data(), starting_digest->data(), kLabelSize) != 0) {
    return invalid("proof's tree has root label " + to_hex(root_->label) +
                   ", the starting digest says " +
                   to_hex(ByteView(starting_digest->data(), kLabelSize)));
  }
  directions_ = proof.subspan(pos);
  directions_offset_ = pos;
  return Status::ok();
}

Status BatchVerifier::perform(const Operation& op, OpOutcome* out) {
  if (!failed_.is_ok()) return failed_;
  if (limits_.max_operations && operations_ >= *limits_.max_operations) {
    failed_ = Status(ErrorKind::kLimitExceeded, "more than " +
                                                    std::to_string(*limits_.max_operations) +
                                                    " operations");
    return failed_;
  }
  ++operations_;
  Status s = apply(op, out);
  if (!s.is_ok()) {
    failed_ = std::move(s);
    return failed_;
  }
  if (deleted_) {
    ++deletes_;
    size_t max_deletes = limits_.max_deletes ? *limits_.max_deletes
                                             : limits_.max_operations.value_or(SIZE_MAX);
    if (deletes_ > max_deletes) {
      failed_ = Status(ErrorKind::kLimitExceeded, "more than " + std::to_string(max_deletes) +
                                                      " deletions");
      return failed_;
    }
  }
  return Status::ok();
}

std::optional<Digest> BatchVerifier::digest() {
  if (!failed_.is_ok()) return std::nullopt;
  return make_digest(ensure_label(pool_, root_), static_cast<uint8_t>(height_));
}

bool BatchVerifier::next_is_left(ByteView, Node*, bool* left) {
  if (bit_pos_ >= directions_.size() * 8) return fail(ErrorKind::kInvalidProof, "proof has too few direction bits");
  bool bit = direction_bit(bit_pos_);
  if (!bit) last_right_step_ = bit_pos_;
  ++bit_pos_;
  *left = bit;
  return true;
}

bool BatchVerifier::key_matches_leaf(ByteView key, const Node* leaf, bool* match) {
  int c = compare_bytes(key, pool_.key(leaf));
  if (c < 0) return fail(ErrorKind::kInvalidProof, "proof leads key " + to_hex(key) + " to a leaf above it");
  if (c == 0) {
    *match = true;
    return true;
  }
  if (compare_bytes(key, pool_.next_key(leaf)) >= 0) {
    return fail(ErrorKind::kInvalidProof, "proof leads key " + to_hex(key) + " to a leaf whose next key is not above it");
  }
  *match = false;
  return true;
}

bool BatchVerifier::replay_comparison(int* cmp) {
  if (replay_index_ >= directions_.size() * 8) return fail(ErrorKind::kInvalidProof, "proof has too few direction bits");
  if (replay_index_ == last_right_step_) {
    *cmp = 0;
  } else {
    *cmp = direction_bit(replay_index_) ? -1 : 1;
  }
  ++replay_index_;
  return true;
}

}  // namespace basis::tree
