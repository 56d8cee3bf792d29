// The batch verifier: from a starting digest and a batch proof it rebuilds
// the part of the tree the proof reveals, replays the batch's operations and
// yields the new digest. Anything it cannot trust (a malformed, truncated or
// hostile proof, an operation the proof does not cover) is a failure status,
// never a crash; once it has failed, every later call fails too.
#pragma once

#include <cstddef>
#include <optional>

#include "basis/tree/bytes.h"
#include "basis/tree/node.h"
#include "basis/tree/operation.h"
#include "basis/tree/params.h"
#include "basis/tree/status.h"
#include "basis/tree/tree_ops.h"

namespace basis::tree {

struct VerifierLimits {
  // When set, at most this many operations, and the proof may hold at most
  // the reference's node bound (SPEC-avl.md §8) for them.
  std::optional<size_t> max_operations;
  // When set, at most this many operations may delete (default: max_operations).
  std::optional<size_t> max_deletes;
  // Larger proofs are refused before they are read.
  size_t max_proof_bytes = size_t{64} << 20;
};

class BatchVerifier final : private TreeOps {
 public:
  BatchVerifier(const TreeParams& params, const Digest& starting_digest, ByteView proof,
                const VerifierLimits& limits = {});
  ~BatchVerifier() override;

  using TreeOps::params;

  // OK while the proof and every operation so far check out.
  const Status& status() const { return failed_; }

  // Replays the next successful operation of the batch.
  Status perform(const Operation& op, OpOutcome* out);

  // The digest after the operations so far, or nothing once failed.
  std::optional<Digest> digest();

  // Direction bits the operations have consumed so far.
  size_t direction_bits_read() const { return bit_pos_; }
  // Offset of the first direction byte within the proof.
  size_t directions_offset() const { return directions_offset_; }

  // The root label that `proof`'s packaged tree commits to, i.e. the digest
  // (less its height byte) the proof claims to start from.
  static Status packaged_root_label(const TreeParams& params, ByteView proof, Label* root);

  // The reference's bound on the number of proof records (SPEC-avl.md §8).
  static size_t record_bound(size_t max_operations, size_t max_deletes, int root_height);

 private:
  bool next_is_left(ByteView key, Node* r, bool* left) override;
  bool key_matches_leaf(ByteView key, const Node* leaf, bool* match) override;
  bool replay_comparison(int* cmp) override;
  bool resolve(Node*) override { return true; }
  void visit(Node*) override {}
  void retire(Node*) override {}
  void begin_operation() override { replay_index_ = bit_pos_; }

  // A verifier with no tree yet (for packaged_root_label).
  BatchVerifier(const TreeParams& params, const VerifierLimits& limits);
  // Rebuilds the revealed tree; checks its root against `starting_digest`
  // unless that is null.
  Status reconstruct(const Digest* starting_digest, ByteView proof);
  bool direction_bit(size_t index) const {
    return (directions_[index >> 3] >> (index & 7)) & 1;
  }

  NodePool pool_;
  VerifierLimits limits_;
  Status failed_;
  ByteView directions_;
  size_t directions_offset_ = 0;
  size_t bit_pos_ = 0;
  size_t replay_index_ = 0;
  size_t last_right_step_ = 0;
  size_t operations_ = 0;
  size_t deletes_ = 0;
};

}  // namespace basis::tree
