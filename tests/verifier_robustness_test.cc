// The verifier on proofs it must not trust: truncated, extended, mutated,
// hostile. It must fail (or, for bytes it never reads, succeed unchanged),
// never crash, and never use unbounded memory or recursion.
#include <catch2/catch.hpp>

#include "tests/tree_test_util.h"
#include "tree/proof_format.h"

using namespace basis::tree;
using namespace basis::tree::testing;

namespace {

struct ProvenBatch {
  TreeParams params;
  Digest start{};
  Digest end{};
  Bytes proof;
  std::vector<OwnedOp> ops;  // the successful ones
};

std::vector<ProvenBatch> make_batches(const TreeParams& params, uint64_t seed, int count) {
  BatchProver prover(params);
  OpGenerator gen(params, seed, 500);
  std::vector<ProvenBatch> out;
  OpOutcome o;
  for (int b = 0; b < count; ++b) {
    ProvenBatch pb;
    pb.params = params;
    pb.start = prover.digest();
    int n = 1 + static_cast<int>(gen.rng()() % 40);
    for (int i = 0; i < n; ++i) {
      OwnedOp op = gen.next();
      if (prover.perform(op.op(), &o).is_ok()) pb.ops.push_back(op);
    }
    prover.generate_proof(&pb.proof);
    pb.end = prover.digest();
    out.push_back(std::move(pb));
  }
  return out;
}

// Runs the verifier; returns its digest (nothing on failure) and how many
// bytes of the proof it read.
std::optional<Digest> verify(const ProvenBatch& b, ByteView proof, size_t* used = nullptr) {
  BatchVerifier v(b.params, b.start, proof);
  OpOutcome out;
  for (const OwnedOp& op : b.ops) {
    if (!v.perform(op.op(), &out).is_ok()) return std::nullopt;
  }
  if (used) *used = v.directions_offset() + (v.direction_bits_read() + 7) / 8;
  return v.digest();
}

}  // namespace

TEST_CASE("every truncation of a proof is refused", "[verifier][robustness]") {
  for (const ProvenBatch& b : make_batches(TreeParams{32, std::nullopt}, 3, 30)) {
    REQUIRE(verify(b, view(b.proof)) == b.end);
    for (size_t len = 0; len < b.proof.size(); ++len) {
      auto d = verify(b, ByteView(b.proof.data(), len));
      // Dropping a direction byte that holds none of the bits read is the
      // only truncation that cannot change the result.
      if (d) REQUIRE(*d != b.end);
    }
  }
}

TEST_CASE("bytes appended to a proof are ignored, as in the reference", "[verifier][robustness]") {
  for (const ProvenBatch& b : make_batches(TreeParams{32, 8}, 4, 20)) {
    Bytes extended = b.proof;
    for (int i = 0; i < 17; ++i) extended.push_back(static_cast<uint8_t>(i * 37));
    REQUIRE(verify(b, view(extended)) == b.end);
  }
}

TEST_CASE("randomly mutated proofs are refused unless the mutation is never read",
          "[verifier][robustness]") {
  std::mt19937_64 rng(99);
  for (const ProvenBatch& b : make_batches(TreeParams{32, std::nullopt}, 5, 40)) {
    size_t used = 0;
    REQUIRE(verify(b, view(b.proof), &used) == b.end);
    for (int trial = 0; trial < 200; ++trial) {
      Bytes mutated = b.proof;
      int flips = 1 + static_cast<int>(rng() % 4);
      size_t lowest = mutated.size();
      for (int f = 0; f < flips; ++f) {
        size_t pos = rng() % mutated.size();
        uint8_t x = static_cast<uint8_t>(1 + rng() % 255);
        mutated[pos] ^= x;
        lowest = std::min(lowest, pos);
      }
      auto d = verify(b, view(mutated));
      if (d && *d == b.end) REQUIRE(lowest >= used);
    }
  }
}

TEST_CASE("hostile proofs fail cleanly", "[verifier][robustness]") {
  TreeParams params{32, std::nullopt};
  Bytes key(32, 0x11);
  Operation lookup = Operation::lookup(view(key));
  OpOutcome out;

  SECTION("empty proof") {
    BatchVerifier v(params, Digest{}, ByteView());
    REQUIRE(v.status().kind() == ErrorKind::kInvalidProof);
    REQUIRE(v.perform(lookup, &out).kind() == ErrorKind::kInvalidProof);
    REQUIRE_FALSE(v.digest());
  }
  SECTION("balance byte with an empty stack") {
    Bytes proof{0x00, proof_format::kEndOfTree};
    BatchVerifier v(params, Digest{}, view(proof));
    REQUIRE(v.status().kind() == ErrorKind::kInvalidProof);
  }
  SECTION("a value length far beyond the proof") {
    Bytes proof{proof_format::kLeaf};
    proof.insert(proof.end(), 64, 0x00);
    proof.insert(proof.end(), {0xff, 0xff, 0xff, 0xff});
    BatchVerifier v(params, Digest{}, view(proof));
    REQUIRE(v.status().kind() == ErrorKind::kInvalidProof);
  }
  SECTION("a degenerate tree deeper than any AVL tree") {
    Bytes proof{proof_format::kLabel};
    proof.insert(proof.end(), 32, 0xab);
    for (int i = 0; i < 100000; ++i) {
      proof.push_back(proof_format::kLabel);
      proof.insert(proof.end(), 32, 0xcd);
      proof.push_back(0x00);
    }
    proof.push_back(proof_format::kEndOfTree);
    BatchVerifier v(params, Digest{}, view(proof));
    REQUIRE(v.status().kind() == ErrorKind::kInvalidProof);
  }
  SECTION("operations beyond the revealed part of the tree") {
    // A real proof of a lookup, then a lookup of another key it does not cover.
    auto batches = make_batches(params, 8, 3);
    const ProvenBatch& b = batches.back();
    BatchVerifier v(params, b.start, view(b.proof));
    for (const OwnedOp& op : b.ops) REQUIRE(v.perform(op.op(), &out).is_ok());
    Bytes other(32, 0x7e);
    Status s = v.perform(Operation::lookup(view(other)), &out);
    REQUIRE_FALSE(s.is_ok());
    REQUIRE_FALSE(v.digest());
  }
  SECTION("limits on proof size and operations") {
    auto batches = make_batches(params, 9, 4);
    const ProvenBatch& b = batches.back();
    VerifierLimits small;
    small.max_proof_bytes = b.proof.size() - 1;
    REQUIRE(BatchVerifier(params, b.start, view(b.proof), small).status().kind() ==
            ErrorKind::kLimitExceeded);
    if (!b.ops.empty()) {
      VerifierLimits ops_limit;
      ops_limit.max_operations = b.ops.size() - 1;
      ops_limit.max_deletes = b.ops.size();
      BatchVerifier v(params, b.start, view(b.proof), ops_limit);
      Status last;
      for (const OwnedOp& op : b.ops) last = v.perform(op.op(), &out);
      REQUIRE_FALSE(last.is_ok());
    }
  }
  SECTION("random garbage never crashes") {
    std::mt19937_64 rng(5);
    for (int i = 0; i < 3000; ++i) {
      Bytes proof(rng() % 300);
      for (auto& x : proof) x = static_cast<uint8_t>(rng() % 6);  // mostly markers and balances
      Digest start{};
      BatchVerifier v(params, start, view(proof));
      (void)v.perform(lookup, &out);
      (void)v.digest();
    }
  }
}

TEST_CASE("the reference's record bound", "[verifier]") {
  // n = 1, d = 1, h = 0: t = 1, hnew = 1 -> (2)(1) + 1 + 1 = 4
  REQUIRE(BatchVerifier::record_bound(1, 1, 0) == 4);
  // n = 4, d = 4, h = 3: t = 1 + max(3, 2) = 4, hnew = 6 -> 8*7 + 24 + 1 = 81
  REQUIRE(BatchVerifier::record_bound(4, 4, 3) == 81);
  REQUIRE(BatchVerifier::record_bound(SIZE_MAX, SIZE_MAX, 255) == SIZE_MAX);
}
