// Seeded random operation sequences against a std::map model: values, error
// kinds, AVL balance, key order, the next-leaf chain, labels, and
// prover -> verifier round trips for every batch.
#include <catch2/catch.hpp>

#include "tests/tree_test_util.h"

using namespace basis::tree;
using namespace basis::tree::testing;

namespace {

struct Scenario {
  const char* name;
  TreeParams params;
  uint32_t key_space;
  size_t operations;
};

void check_contents(BatchProver& prover, const Model& model) {
  std::vector<std::pair<Bytes, Bytes>> leaves;
  for_each_leaf(prover.pool(), prover.root(), [&](ByteView k, ByteView v) {
    leaves.emplace_back(Bytes(k.begin(), k.end()), Bytes(v.begin(), v.end()));
  });
  REQUIRE(leaves.size() == model.map().size() + 1);  // + the -inf sentinel
  size_t i = 1;
  for (const auto& [k, v] : model.map()) {
    REQUIRE(leaves[i].first == k);
    REQUIRE(leaves[i].second == v);
    ++i;
  }
}

void run_scenario(const Scenario& sc, uint64_t seed) {
  INFO("scenario " << sc.name << " seed " << seed);
  BatchProver prover(sc.params);
  Model model(sc.params);
  OpGenerator gen(sc.params, seed, sc.key_space);
  Bytes proof;
  size_t done = 0;
  size_t batch_no = 0;
  while (done < sc.operations) {
    size_t batch_size = gen.rng()() % 64;
    Digest start = prover.digest();
    std::vector<OwnedOp> ok_ops;
    std::vector<std::optional<Bytes>> ok_olds;
    for (size_t i = 0; i < batch_size; ++i, ++done) {
      OwnedOp op = gen.next();
      std::optional<Bytes> expected_old;
      ErrorKind expected = model.apply(op, &expected_old);
      Digest before = prover.digest();
      OpOutcome out;
      Status s = prover.perform(op.op(), &out);
      INFO("batch " << batch_no << " op " << i << " " << op_type_name(op.type) << " " << to_hex(view(op.key)));
      REQUIRE(error_kind_name(s.kind()) == error_kind_name(expected));
      if (s.is_ok()) {
        REQUIRE(out.existed == expected_old.has_value());
        if (out.existed) REQUIRE(out.old_value == *expected_old);
        ok_ops.push_back(op);
        ok_olds.push_back(expected_old);
      } else {
        REQUIRE(prover.digest() == before);  // a failed operation changes nothing
      }
    }
    Digest end = prover.digest();
    prover.generate_proof(&proof);
    REQUIRE(prover.digest() == end);

    TreeShape shape;
    Status check = check_tree(prover.pool(), prover.root(), prover.height(), &shape);
    INFO(check.to_string());
    REQUIRE(check.is_ok());
    check_contents(prover, model);

    BatchVerifier verifier(sc.params, start, view(proof));
    REQUIRE(verifier.status().is_ok());
    for (size_t i = 0; i < ok_ops.size(); ++i) {
      OpOutcome out;
      REQUIRE(verifier.perform(ok_ops[i].op(), &out).is_ok());
      REQUIRE(out.existed == ok_olds[i].has_value());
      if (out.existed) REQUIRE(out.old_value == *ok_olds[i]);
    }
    REQUIRE(verifier.digest() == end);
    ++batch_no;
  }
}

}  // namespace

TEST_CASE("random operations agree with a std::map model", "[tree][property]") {
  const Scenario scenarios[] = {
      {"kl32-var", TreeParams{32, std::nullopt}, 3000, 30000},
      {"kl32-fixed8", TreeParams{32, 8}, 500, 20000},
      {"kl8-var-dense", TreeParams{8, std::nullopt}, 64, 20000},
      {"kl1-var", TreeParams{1, std::nullopt}, 254, 10000},
      {"kl4-fixed0", TreeParams{4, 0}, 200, 5000},
  };
  for (const Scenario& sc : scenarios) {
    for (uint64_t seed : {1u, 2u}) run_scenario(sc, seed);
  }
}

TEST_CASE("a what-if proof equals the proof of really applying the operations",
          "[tree][what-if]") {
  TreeParams params{32, std::nullopt};
  OpGenerator gen(params, 7, 400);
  BatchProver a(params), b(params);
  Bytes proof_a, proof_b;
  OpOutcome out;
  for (int round = 0; round < 60; ++round) {
    // Both provers share a history with a pending, unproven batch.
    for (int i = 0; i < 20; ++i) {
      OwnedOp op = gen.next();
      Status sa = a.perform(op.op(), &out);
      Status sb = b.perform(op.op(), &out);
      REQUIRE(sa.kind() == sb.kind());
    }
    if (round % 2 == 0) {
      a.generate_proof(&proof_a);
      b.generate_proof(&proof_b);
    }
    std::vector<OwnedOp> owned;
    for (int i = 0; i < 15; ++i) owned.push_back(gen.next());
    std::vector<Operation> ops;
    for (auto& o : owned) ops.push_back(o.op());

    Digest before = a.digest();
    WhatIfProof what_if;
    REQUIRE(a.prove_operations(ops, &what_if).is_ok());
    REQUIRE(a.digest() == before);

    // The same operations as a real batch of their own on the twin.
    b.end_batch();
    a.end_batch();
    for (size_t i = 0; i < ops.size(); ++i) {
      Status s = b.perform(ops[i], &out);
      REQUIRE(s.kind() == what_if.statuses[i].kind());
      if (s.is_ok()) REQUIRE(out.old_value == what_if.outcomes[i].old_value);
    }
    REQUIRE(b.digest() == what_if.digest);
    b.generate_proof(&proof_b);
    REQUIRE(proof_b == what_if.proof);
    // Bring `a` level again through the real operations.
    for (const Operation& op : ops) (void)a.perform(op, &out);
    a.generate_proof(&proof_a);
    REQUIRE(a.digest() == b.digest());
    TreeShape shape;
    REQUIRE(check_tree(a.pool(), a.root(), a.height(), &shape).is_ok());
  }
}

TEST_CASE("a what-if proof in the middle of a batch leaves the batch's proof unchanged",
          "[tree][what-if]") {
  TreeParams params{32, 8};
  OpGenerator gen(params, 11, 300);
  BatchProver a(params), b(params);
  Bytes proof_a, proof_b;
  OpOutcome out;
  for (int round = 0; round < 40; ++round) {
    for (int half = 0; half < 2; ++half) {
      for (int i = 0; i < 25; ++i) {
        OwnedOp op = gen.next();
        REQUIRE(a.perform(op.op(), &out).kind() == b.perform(op.op(), &out).kind());
      }
      if (half == 0) {
        std::vector<OwnedOp> owned;
        for (int i = 0; i < 10; ++i) owned.push_back(gen.next());
        std::vector<Operation> ops;
        for (auto& o : owned) ops.push_back(o.op());
        WhatIfProof what_if;
        REQUIRE(a.prove_operations(ops, &what_if).is_ok());
      }
    }
    a.generate_proof(&proof_a);
    b.generate_proof(&proof_b);
    REQUIRE(proof_a == proof_b);
    REQUIRE(a.digest() == b.digest());
  }
  REQUIRE(a.pool().live_nodes() == b.pool().live_nodes());  // nothing leaked
}

TEST_CASE("UpdateLongBy follows the reference, including its failure kinds", "[tree][ops]") {
  TreeParams params{4, std::nullopt};
  BatchProver p(params);
  OpOutcome out;
  Bytes k1{0, 0, 0, 1}, k2{0, 0, 0, 2};
  Bytes short_value{1, 2, 3};
  REQUIRE(p.perform(Operation::insert(view(k2), view(short_value)), &out).is_ok());
  REQUIRE(p.perform(Operation::update_long_by(view(k2), 5), &out).kind() == ErrorKind::kLongValueTooShort);
  REQUIRE(p.perform(Operation::update_long_by(view(k2), 0), &out).is_ok());  // δ = 0: always fine
  REQUIRE(p.perform(Operation::update_long_by(view(k1), INT64_MAX), &out).is_ok());
  REQUIRE(p.perform(Operation::update_long_by(view(k1), 1), &out).kind() == ErrorKind::kLongOverflow);
  REQUIRE(p.perform(Operation::update_long_by(view(k1), -INT64_MAX), &out).is_ok());
  REQUIRE(p.get(view(k1), &out).is_ok());
  REQUIRE_FALSE(out.existed);  // reaching zero removes the key
}

TEST_CASE("a key at a sentinel fails alone, after any operation, and the prover goes on",
          "[tree][ops][hostile]") {
  // Before the fix, a key check after a changing operation stopped the prover
  // (the previous operation's "changed" state was read).
  for (TreeParams params : {TreeParams{4, std::nullopt}, TreeParams{4, 8}}) {
    const Bytes neg(4, 0x00), pos(4, 0xff), mid{0x40, 0, 0, 0}, other{0x80, 0, 0, 0};
    const Bytes value(8, 7);
    const OpType types[] = {OpType::kLookup,         OpType::kInsert,         OpType::kUpdate,
                            OpType::kRemove,         OpType::kInsertOrUpdate, OpType::kRemoveIfExists,
                            OpType::kUpdateLongBy};
    for (OpType type : types) {
      for (const Bytes* sentinel : {&neg, &pos}) {
        BatchProver p(params);
        OpOutcome out;
        REQUIRE(p.perform(Operation::insert(view(mid), view(value)), &out).is_ok());  // changes nodes
        Digest before = p.digest();
        Operation hostile{type, view(*sentinel), view(value), 1};
        Status s = p.perform(hostile, &out);
        INFO(op_type_name(type) << " at " << to_hex(view(*sentinel)));
        REQUIRE(s.kind() == (sentinel == &neg ? ErrorKind::kKeyNotAboveNegInfinity
                                              : ErrorKind::kKeyNotBelowPosInfinity));
        REQUIRE(p.status().is_ok());
        REQUIRE(p.digest() == before);
        REQUIRE(p.perform(Operation::insert(view(other), view(value)), &out).is_ok());
        Bytes proof;
        p.generate_proof(&proof);
        BatchVerifier v(params, BatchProver(params).digest(), view(proof));
        REQUIRE(v.status().is_ok());
        REQUIRE(v.perform(Operation::insert(view(mid), view(value)), &out).is_ok());
        REQUIRE(v.perform(Operation::insert(view(other), view(value)), &out).is_ok());
        REQUIRE(v.digest() == p.digest());
      }
    }
  }
}
