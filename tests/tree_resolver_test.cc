// A prover opened from a digest alone, reaching its nodes through a resolver,
// behaves exactly like the in-memory prover, and refuses nodes that do not
// match their labels.
#include <catch2/catch.hpp>

#include <map>

#include "tests/tree_test_util.h"
#include "basis/tree/labels.h"

using namespace basis::tree;
using namespace basis::tree::testing;

namespace {

class MapResolver : public NodeResolver {
 public:
  Status resolve(const Label& label, NodeRecord* out) override {
    ++calls;
    auto it = records.find(label);
    if (it == records.end()) return Status(ErrorKind::kCorruption, "node " + to_hex(label) + " is missing");
    *out = it->second;
    if (out->is_leaf && strip_leaf_keys) {
      out->key.clear();  // as the node store keeps leaves: the path gives the keys
      out->next_key.clear();
    }
    return Status::ok();
  }
  std::map<Label, NodeRecord> records;
  size_t calls = 0;
  bool strip_leaf_keys = false;
};

// Copies every node of the prover's (fully labelled) tree into `r`.
void export_nodes(const NodePool& pool, Node* n, MapResolver* r) {
  NodeRecord rec;
  ByteView key = pool.key(n);
  rec.key.assign(key.begin(), key.end());
  if (n->is_leaf()) {
    rec.is_leaf = true;
    ByteView v = pool.value(n), next = pool.next_key(n);
    rec.value.assign(v.begin(), v.end());
    rec.next_key.assign(next.begin(), next.end());
  } else {
    rec.balance = n->balance;
    rec.left = n->left->label;
    rec.right = n->right->label;
    export_nodes(pool, n->left, r);
    export_nodes(pool, n->right, r);
  }
  r->records[n->label] = rec;
}

}  // namespace

TEST_CASE("a resolver-backed prover matches the in-memory prover byte for byte",
          "[tree][resolver]") {
  TreeParams params{32, std::nullopt};
  BatchProver memory(params);
  OpGenerator gen(params, 21, 2000);
  OpOutcome out;
  Bytes proof;
  for (int i = 0; i < 3000; ++i) (void)memory.perform(gen.next().op(), &out);
  memory.generate_proof(&proof);

  MapResolver resolver;
  resolver.strip_leaf_keys = GENERATE(false, true);
  export_nodes(memory.pool(), memory.root(), &resolver);
  BatchProver lazy(params, memory.digest(), &resolver);
  REQUIRE(resolver.calls == 0);  // nothing is read before it is needed
  REQUIRE(lazy.digest() == memory.digest());

  Bytes proof_lazy;
  for (int batch = 0; batch < 30; ++batch) {
    for (int i = 0; i < 50; ++i) {
      OwnedOp op = gen.next();
      OpOutcome a, b;
      Status sa = memory.perform(op.op(), &a);
      Status sb = lazy.perform(op.op(), &b);
      REQUIRE(sa.kind() == sb.kind());
      REQUIRE(a.old_value == b.old_value);
    }
    memory.generate_proof(&proof);
    lazy.generate_proof(&proof_lazy);
    REQUIRE(proof == proof_lazy);
    REQUIRE(memory.digest() == lazy.digest());
  }
  REQUIRE(resolver.calls > 0);
  REQUIRE(resolver.calls < resolver.records.size());  // only what the batches touched
}

TEST_CASE("a node that does not match its label is refused as corruption", "[tree][resolver]") {
  TreeParams params{32, 8};
  BatchProver memory(params);
  OpGenerator gen(params, 22, 100);
  OpOutcome out;
  for (int i = 0; i < 500; ++i) (void)memory.perform(gen.next().op(), &out);
  memory.end_batch();

  SECTION("a tampered leaf value") {
    MapResolver resolver;
    export_nodes(memory.pool(), memory.root(), &resolver);
    for (auto& [label, rec] : resolver.records) {
      if (rec.is_leaf) rec.value[0] ^= 1;
    }
    BatchProver lazy(params, memory.digest(), &resolver);
    Bytes key = gen.key();
    Status s = lazy.perform(Operation::lookup(view(key)), &out);
    REQUIRE(s.kind() == ErrorKind::kCorruption);
    REQUIRE(s.message().find("resolved to a record with label") != std::string::npos);
    REQUIRE(lazy.status().is_ok());  // nothing changed, the prover can go on
  }
  SECTION("a leaf stored without keys below a damaged search key") {
    MapResolver resolver;
    resolver.strip_leaf_keys = true;
    export_nodes(memory.pool(), memory.root(), &resolver);
    // The root's key is what its right subtree's first leaf is checked with.
    NodeRecord& root = resolver.records.at(memory.root()->label);
    REQUIRE_FALSE(root.is_leaf);
    root.key.back() ^= 1;
    BatchProver lazy(params, memory.digest(), &resolver);
    Status s = lazy.perform(Operation::lookup(view(root.key)), &out);
    REQUIRE(s.kind() == ErrorKind::kCorruption);
    REQUIRE(s.message().find("resolved to a record with label") != std::string::npos);
  }
  SECTION("a missing node") {
    MapResolver resolver;
    BatchProver lazy(params, memory.digest(), &resolver);
    Bytes key = gen.key();
    REQUIRE(lazy.get(view(key), &out).kind() == ErrorKind::kCorruption);
  }
}

TEST_CASE("unstored nodes are what a store needs, and unloading keeps proofs exact",
          "[tree][resolver]") {
  TreeParams params{32, std::nullopt};
  BatchProver memory(params);
  MapResolver resolver;
  resolver.strip_leaf_keys = GENERATE(false, true);
  BatchProver lazy(params, memory.digest(), &resolver);
  // The starting sentinel leaf: stored like any other node.
  export_nodes(memory.pool(), memory.root(), &resolver);
  OpGenerator gen(params, 23, 3000);
  Bytes proof_memory, proof_lazy;
  OpOutcome out;
  for (int batch = 0; batch < 80; ++batch) {
    for (int i = 0; i < 60; ++i) {
      OwnedOp op = gen.next();
      OpOutcome a, b;
      REQUIRE(memory.perform(op.op(), &a).kind() == lazy.perform(op.op(), &b).kind());
      REQUIRE(a.old_value == b.old_value);
    }
    memory.generate_proof(&proof_memory);
    lazy.generate_proof(&proof_lazy);
    REQUIRE(proof_memory == proof_lazy);
    REQUIRE(memory.digest() == lazy.digest());
    if (batch % 3 != 2) continue;
    // Store what is not stored yet, as a node writer would every few batches.
    REQUIRE(lazy.visit_unstored_nodes([&](const Node& n) {
      NodeRecord rec;
      ByteView key = lazy.pool().key(&n);
      rec.key.assign(key.begin(), key.end());
      if (n.is_leaf()) {
        rec.is_leaf = true;
        ByteView v = lazy.pool().value(&n), next = lazy.pool().next_key(&n);
        rec.value.assign(v.begin(), v.end());
        rec.next_key.assign(next.begin(), next.end());
      } else {
        rec.balance = n.balance;
        rec.left = n.left->label;
        rec.right = n.right->label;
      }
      // Content-addressed: a label seen before (a value changed and changed
      // back) must come with the same record.
      if (auto it = resolver.records.find(n.label); it != resolver.records.end()) {
        REQUIRE(it->second.key == rec.key);
        REQUIRE(it->second.value == rec.value);
        REQUIRE(it->second.balance == rec.balance);
      }
      resolver.records[n.label] = rec;
    }).is_ok());
    size_t released = 0;
    REQUIRE(lazy.unload_below(batch % 5, &released).is_ok());
    REQUIRE(released > 0);
  }
  REQUIRE(lazy.pool().live_nodes() < memory.pool().live_nodes());
  size_t released = 0;
  Bytes probe = gen.key();
  (void)lazy.perform(Operation::lookup(view(probe)), &out);
  REQUIRE(lazy.unload_below(0, &released).kind() == ErrorKind::kInvalidArgument);  // pending
  REQUIRE(lazy.visit_unstored_nodes([](const Node&) {}).kind() == ErrorKind::kInvalidArgument);
}
