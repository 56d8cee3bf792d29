// The batch prover: the one writer of an authenticated AVL+ tree. It applies
// operations one by one, reports the digest at any time, and at the end of a
// batch writes the proof of every successful operation of the batch, byte for
// byte as Ergo's reference prover does (SPEC-avl.md).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "basis/tree/bytes.h"
#include "basis/tree/node.h"
#include "basis/tree/node_resolver.h"
#include "basis/tree/operation.h"
#include "basis/tree/params.h"
#include "basis/tree/status.h"
#include "basis/tree/tree_ops.h"

namespace basis::tree {

// A proof and its outcome for operations that were not applied.
struct WhatIfProof {
  std::vector<Status> statuses;    // one per operation
  std::vector<OpOutcome> outcomes;  // one per operation, meaningful where OK
  Bytes proof;                      // covers the successful operations
  Digest digest{};                  // the tree's digest had they been applied
};

class BatchProver final : private TreeOps {
 public:
  // The empty tree: one sentinel leaf. `params` must validate(). With a
  // resolver, nodes unloaded later (unload_below) are fetched through it.
  explicit BatchProver(const TreeParams& params, NodeResolver* resolver = nullptr);
  // The tree whose digest is `digest`, with every node fetched through
  // `resolver` on first use (`resolver` must outlive the prover). Nothing is
  // read until the first operation.
  BatchProver(const TreeParams& params, const Digest& digest, NodeResolver* resolver);
  ~BatchProver() override;

  using TreeOps::params;

  // Applies `op` within the current batch. A failed operation changes
  // nothing, except a resolver failure in the middle of a deletion: then the
  // prover stops (status() says why) and must be rebuilt.
  Status perform(const Operation& op, OpOutcome* out);

  // Root label || root height of the tree as it is now.
  Digest digest();

  // Writes the proof of the current batch into `proof` and starts a new batch.
  void generate_proof(Bytes* proof);
  // Starts a new batch without writing its proof.
  void end_batch();

  // The proof and digest that `ops` would produce as a batch of their own on
  // top of the tree as it is now, without changing the tree or the current
  // batch. Failed operations are left out of the proof, as in a batch.
  Status prove_operations(std::span<const Operation> ops, WhatIfProof* out);

  // Between batches: calls `fn` for every node of the tree that no node store
  // holds yet (labels computed), parents before children, and from then on
  // counts them as stored. Nodes created and dropped between two calls are
  // never seen. Fails while a batch is pending.
  Status visit_unstored_nodes(const std::function<void(const Node&)>& fn);

  // Forgets which loaded nodes a store holds, so that the next
  // visit_unstored_nodes() hands them all out again (after a node store lost
  // writes it had accepted).
  void forget_stored();

  // Between batches, turns every stored node `depth` levels below the root
  // into a label-only node and releases what hung below it, so that memory
  // stays bounded; later operations fetch those nodes through the resolver
  // again. Unstored nodes stay. Fails while a batch is pending or when there
  // is no resolver. Returns the number of nodes released through `released`.
  Status unload_below(int depth, size_t* released);

  // Reads the value of `key` without recording anything for a proof. Keys
  // fail the checks a Lookup makes (length, the sentinels) with its error.
  Status get(ByteView key, OpOutcome* out);

  // The leaf whose range holds `key` (leaf key <= key < next key), without
  // recording anything: the leaf of `key` itself when it is in the tree.
  // The sentinels' keys are all zero and all 0xFF bytes.
  struct Leaf {
    Bytes key, value, next_key;
  };
  Status leaf_at(ByteView key, Leaf* out);
  // The same leaf's keys and the length of its value, without copying the value.
  struct LeafSummary {
    Bytes key, next_key;
    size_t value_size = 0;
  };
  Status leaf_summary_at(ByteView key, LeafSummary* out);

  // OK unless a resolver failure stopped the prover.
  const Status& status() const { return stopped_; }
  int height() const { return height_; }
  size_t batch_bit_length() const { return bit_len_; }
  const NodePool& pool() const { return pool_; }
  // The root of the current tree (label-only until resolved).
  Node* root() { return root_; }

 private:
  bool next_is_left(ByteView key, Node* r, bool* left) override;
  bool key_matches_leaf(ByteView key, const Node* leaf, bool* match) override;
  bool replay_comparison(int* cmp) override;
  bool resolve(Node* n) override;
  void visit(Node* n) override;
  void retire(Node* n) override;
  void begin_operation() override;

  void pack(Node* n, Bytes* out, bool* previous_was_leaf);
  void truncate_bits(size_t bit_length);
  Status find_leaf(ByteView key, Node** leaf);
  void advance_epoch();
  void renumber(Node* n);
  void discard_what_if(Node* n, uint32_t what_if_epoch);
  void visit_unstored(Node* n, const std::function<void(const Node&)>& fn);
  // `lo` and `hi`: the bounds of n's subtree, which a label-only node keeps.
  size_t unload(Node* n, int depth, ByteView lo, ByteView hi);
  void forget_stored(Node* n);
  size_t release_subtree(Node* n);
  bool batch_pending() const { return bit_len_ > 0 || !retired_.empty() || root_ != start_root_; }

  NodePool pool_;
  NodeResolver* resolver_ = nullptr;
  Status stopped_;

  Node* start_root_ = nullptr;  // the tree as the batch found it
  Bytes bits_;                  // direction bits of the batch, LSB first
  size_t bit_len_ = 0;
  size_t replay_index_ = 0;
  size_t last_right_step_ = 0;
  bool found_ = false;
  uint32_t next_epoch_ = 2;
  std::vector<Node*> retired_;  // released when the batch ends

  // While a what-if batch runs, visits overwrite the stamps of the real
  // batch; these are the nodes whose stamps must be put back.
  bool journaling_ = false;
  uint32_t journal_epoch_ = 0;
  std::vector<Node*> journal_;
};

}  // namespace basis::tree
