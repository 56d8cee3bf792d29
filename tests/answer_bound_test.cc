// tree::bound_answer is an upper bound: for seeded random batches (small key
// spaces, so deletions, failures and repeated keys are common, and values of
// varied sizes), the bytes a batch really returns (old values) and its proof
// never exceed the bound computed before it ran.
#include <catch2/catch.hpp>

#include "tests/tree_test_util.h"
#include "basis/tree/answer_bound.h"

using namespace basis::tree;
using namespace basis::tree::testing;

namespace {

void check_bounds(const TreeParams& params, uint64_t seed, uint32_t key_space) {
  INFO("key length " << params.key_length << " seed " << seed);
  BatchProver prover(params);
  OpGenerator gen(params, seed, key_space);
  Bytes proof;
  for (int batch = 0; batch < 300; ++batch) {
    std::vector<OwnedOp> owned;
    size_t n = 1 + gen.rng()() % 40;
    for (size_t i = 0; i < n; ++i) {
      owned.push_back(gen.next());
      if (!params.value_length && gen.rng()() % 10 == 0) owned.back().value.resize(gen.rng()() % 3000);  // large values
    }
    std::vector<Operation> ops;
    for (const auto& o : owned) ops.push_back(o.op());
    AnswerBound bound;
    REQUIRE(bound_answer(prover, ops, UINT64_MAX, &bound).is_ok());
    const std::optional<uint64_t> quick = fixed_length_bound(prover, ops.size());
    REQUIRE(quick.has_value() == params.value_length.has_value());
    uint64_t returned = 0;
    for (const Operation& op : ops) {
      OpOutcome out;
      if (prover.perform(op, &out).is_ok()) returned += out.old_value.size();
    }
    prover.generate_proof(&proof);
    INFO("batch " << batch);
    REQUIRE(returned <= bound.result_bytes);
    REQUIRE(proof.size() <= bound.proof_bytes);
    if (quick) REQUIRE(returned + proof.size() <= *quick);
  }
}

}  // namespace

TEST_CASE("bound_answer bounds the returned values and the proof of every batch", "[tree][limits]") {
  check_bounds(TreeParams{4, std::nullopt}, 1, 60);
  check_bounds(TreeParams{4, std::nullopt}, 2, 400);
  check_bounds(TreeParams{32, std::nullopt}, 3, 200);
  check_bounds(TreeParams{1, std::nullopt}, 4, 254);
  check_bounds(TreeParams{8, 8}, 5, 100);
}

TEST_CASE("bound_answer stops early once past the limit", "[tree][limits]") {
  TreeParams params{4, std::nullopt};
  BatchProver prover(params);
  Bytes k{1, 2, 3, 4}, big(100'000, 7);
  OpOutcome out;
  REQUIRE(prover.perform(Operation::insert(view(k), view(big)), &out).is_ok());
  Bytes proof;
  prover.generate_proof(&proof);
  std::vector<Operation> ops(1000, Operation::lookup(view(k)));
  AnswerBound bound;
  REQUIRE(bound_answer(prover, ops, 1'000'000, &bound).is_ok());
  REQUIRE(bound.total() > 1'000'000);
  REQUIRE(bound.result_bytes < 2'000'000);  // it stopped soon after passing the limit
}
