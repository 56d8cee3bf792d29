// libFuzzer target: the batch prover against a std::map model (SPEC-avl.md
// §4). Every operation's error kind and old value must match the model, a
// failed operation must leave the digest alone and the prover running, every
// batch's proof must replay through a BatchVerifier to the prover's digest with
// the same results, the tree must pass check_tree, and what-if proofs must
// change nothing. Any disagreement aborts (a finding). See prover_fuzz_input.h
// for the input format.
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <span>
#include <vector>

#include "tests/fuzz/prover_fuzz_input.h"
#include "tests/tree_test_util.h"

using namespace basis::tree;
using namespace basis::tree::fuzz;
using basis::tree::testing::Model;
using basis::tree::testing::OwnedOp;

namespace {

[[noreturn]] void finding(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "prover_fuzz finding: %s %s\n", what, detail.c_str());
  std::abort();
}

#define EXPECT(cond, detail) \
  do {                       \
    if (!(cond)) finding(#cond, detail); \
  } while (0)

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  Bytes bytes(size_t n) {
    Bytes b(n);
    for (auto& x : b) x = byte();
    return b;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// The model plus the key checks (§4.1 steps 1-3) that Model leaves out.
struct Expectation {
  ErrorKind kind;
  std::optional<Bytes> old;
};

ErrorKind key_check(const TreeParams& params, const Bytes& key) {
  Bytes lo(params.key_length, 0x00), hi(params.key_length, 0xff);
  if (compare_bytes(view(key), view(lo)) <= 0) return ErrorKind::kKeyNotAboveNegInfinity;
  if (compare_bytes(view(key), view(hi)) >= 0) return ErrorKind::kKeyNotBelowPosInfinity;
  if (key.size() != params.key_length) return ErrorKind::kKeyLengthMismatch;
  return ErrorKind::kOk;
}

Expectation expect(Model& model, const TreeParams& params, const OwnedOp& op) {
  if (ErrorKind k = key_check(params, op.key); k != ErrorKind::kOk) return {k, {}};
  Expectation e;
  e.kind = model.apply(op, &e.old);
  return e;
}

// The stored value of `key` read as a long, when it is one (>= 8 bytes).
std::optional<int64_t> stored_long(const Model& model, const Bytes& key) {
  auto it = model.map().find(key);
  if (it == model.map().end() || it->second.size() < 8) return std::nullopt;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | it->second[i];
  return static_cast<int64_t>(v);
}

Bytes read_key(Reader& in, const TreeParams& params, const Model& model) {
  const uint32_t kl = params.key_length;
  uint8_t k = in.byte();
  switch (k >> 5) {
    case kKeyRaw: return in.bytes(kl);
    case kKeySentinel: {
      Bytes key(kl, (k & 1) ? 0xff : 0x00);
      if (k & 2) key.back() = (k & 1) ? 0xfe : 0x01;  // the first key inside
      return key;
    }
    case kKeyWrongLength: return in.bytes((k & 1) ? kl + 1 : kl - 1);
    case kKeyStored:
      if (!model.map().empty()) {
        auto it = model.map().begin();
        std::advance(it, in.byte() % model.map().size());
        return it->first;
      }
      [[fallthrough]];
    default: {
      Bytes key(kl, 0);
      key.back() = kl == 1 ? k : (k & 0x7f);
      return key;
    }
  }
}

Bytes read_value(Reader& in, const TreeParams& params) {
  uint8_t v = in.byte();
  size_t len;
  if (params.value_length) {
    len = *params.value_length;
    if (v >= kWrongValueLength) len = (v & 1) || len == 0 ? len + 1 + (v & 6) : len - 1;
  } else {
    len = v % 24;
  }
  return in.bytes(len);
}

int64_t read_delta(Reader& in, const Model& model, const Bytes& key) {
  uint8_t d = in.byte();
  std::optional<int64_t> old = stored_long(model, key);
  switch (d % 8) {
    case kDeltaZero: return 0;
    case kDeltaPlusByte: return in.byte();
    case kDeltaMinusByte: return -static_cast<int64_t>(in.byte());
    case kDeltaRaw: {
      uint64_t v = 0;
      for (int i = 0; i < 8; ++i) v = v << 8 | in.byte();
      return static_cast<int64_t>(v);
    }
    case kDeltaMax: return std::numeric_limits<int64_t>::max();
    case kDeltaMin: return std::numeric_limits<int64_t>::min();
    case kDeltaCancel:
      // -INT64_MIN overflows; INT64_MIN + INT64_MAX is -1 (NegativeResult) instead.
      if (!old) return -1;
      return *old == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -*old;
    default:
      if (!old) return 1;
      if (d & 8) return *old < 0 ? std::numeric_limits<int64_t>::max() : -*old - 1;
      return *old < 0 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max() - *old;
  }
}

OwnedOp read_op(Reader& in, uint8_t c, const TreeParams& params, const Model& model) {
  OwnedOp op;
  op.type = static_cast<OpType>(c % 7);
  op.key = read_key(in, params, model);
  if (op.type == OpType::kInsert || op.type == OpType::kUpdate || op.type == OpType::kInsertOrUpdate) {
    op.value = read_value(in, params);
  }
  if (op.type == OpType::kUpdateLongBy) op.delta = read_delta(in, model, op.key);
  return op;
}

std::string describe(const OwnedOp& op) {
  return std::string(op_type_name(op.type)) + " key " + to_hex(view(op.key)) + " value " +
         to_hex(view(op.value)) + " delta " + std::to_string(op.delta);
}

void same_outcome(const OpOutcome& out, const std::optional<Bytes>& old, const std::string& detail) {
  EXPECT(out.existed == old.has_value(), detail);
  if (old) EXPECT(out.old_value == *old, detail);
}

// The read path against the model. get (what the runtime answers lookups
// without a proof from) checks keys as a Lookup does. leaf_at sees the -inf
// sentinel as a leaf: its key is all zero bytes, its value vl zero bytes
// (empty when vl is unset), and checks only the length.
void check_reads(BatchProver& prover, const Model& model, const Bytes& key) {
  const TreeParams& params = prover.params();
  OpOutcome out;
  BatchProver::Leaf leaf;
  Status g = prover.get(view(key), &out), l = prover.leaf_at(view(key), &leaf);
  ErrorKind key_kind = key_check(params, key);
  EXPECT(g.kind() == key_kind, "get " + to_hex(view(key)) + ": " + g.to_string());
  if (key.size() != params.key_length) {
    EXPECT(l.kind() == ErrorKind::kKeyLengthMismatch, "leaf_at of a wrong-length key: " + l.to_string());
    return;
  }
  EXPECT(l.is_ok(), l.to_string());
  const Bytes lo(params.key_length, 0x00), hi(params.key_length, 0xff);
  const Bytes sentinel_value(params.value_length.value_or(0), 0);
  auto it = model.map().upper_bound(key);  // the first key above `key`
  Bytes want_next = it == model.map().end() ? hi : it->first;
  Bytes want_key = lo, want_value = sentinel_value;
  if (it != model.map().begin()) {
    --it;
    want_key = it->first;
    want_value = it->second;
  }
  EXPECT(leaf.key == want_key && leaf.value == want_value && leaf.next_key == want_next, "leaf_at " + to_hex(view(key)));
  if (key_kind != ErrorKind::kOk) return;
  bool at_leaf = want_key == key;
  EXPECT(out.existed == at_leaf && (!at_leaf || out.old_value == want_value), "get " + to_hex(view(key)));
}

// One batch's successful operations and what they returned, for the verifier.
struct Batch {
  Digest start{};
  std::vector<OwnedOp> ops;
  std::vector<std::optional<Bytes>> olds;
};

void check_tree_matches(BatchProver& prover, const Model& model) {
  TreeShape shape;
  Status s = check_tree(prover.pool(), prover.root(), prover.height(), &shape);
  EXPECT(s.is_ok(), s.to_string());
  EXPECT(shape.leaves == model.map().size() + 1, "leaf count");  // + the -inf sentinel
  auto it = model.map().begin();
  bool first = true;
  for_each_leaf(prover.pool(), prover.root(), [&](ByteView k, ByteView v) {
    if (first) {  // the -inf sentinel
      first = false;
      return;
    }
    EXPECT(it != model.map().end(), "a leaf the model does not hold");
    EXPECT(compare_bytes(k, view(it->first)) == 0 && compare_bytes(v, view(it->second)) == 0,
           "leaf " + to_hex(k));
    ++it;
  });
  EXPECT(it == model.map().end(), "the tree lacks a key the model holds");
}

void verify_batch(const TreeParams& params, const Batch& batch, const Bytes& proof, const Digest& end) {
  BatchVerifier verifier(params, batch.start, view(proof));
  EXPECT(verifier.status().is_ok(), verifier.status().to_string());
  for (size_t i = 0; i < batch.ops.size(); ++i) {
    OpOutcome out;
    Status s = verifier.perform(batch.ops[i].op(), &out);
    EXPECT(s.is_ok(), s.to_string() + " at " + describe(batch.ops[i]));
    same_outcome(out, batch.olds[i], "verifier " + describe(batch.ops[i]));
  }
  std::optional<Digest> d = verifier.digest();
  EXPECT(d && *d == end, "verifier digest");
}

void end_batch(BatchProver& prover, const Model& model, Batch* batch, bool with_proof) {
  Digest end = prover.digest();
  if (with_proof) {
    Bytes proof;
    prover.generate_proof(&proof);
    EXPECT(prover.digest() == end, "generate_proof changed the digest");
    verify_batch(prover.params(), *batch, proof, end);
  } else {
    prover.end_batch();
    EXPECT(prover.digest() == end, "end_batch changed the digest");
  }
  check_tree_matches(prover, model);
  *batch = Batch{};
  batch->start = end;
}

// prove_operations on `ops`: the statuses and outcomes of a model copy, the
// proof replaying to its digest, and the prover's digest unchanged.
void what_if(BatchProver& prover, const Model& model, const std::vector<OwnedOp>& owned) {
  std::vector<Operation> ops;
  for (const OwnedOp& o : owned) ops.push_back(o.op());
  Digest before = prover.digest();
  WhatIfProof w;
  Status s = prover.prove_operations(std::span<const Operation>(ops), &w);
  EXPECT(s.is_ok(), s.to_string());
  EXPECT(prover.digest() == before, "prove_operations changed the digest");
  EXPECT(w.statuses.size() == ops.size() && w.outcomes.size() == ops.size(), "what-if sizes");
  Model copy = model;
  Batch batch;
  batch.start = before;
  for (size_t i = 0; i < owned.size(); ++i) {
    Expectation e = expect(copy, prover.params(), owned[i]);
    EXPECT(w.statuses[i].kind() == e.kind, "what-if " + describe(owned[i]) + ": " + w.statuses[i].to_string());
    if (e.kind != ErrorKind::kOk) continue;
    same_outcome(w.outcomes[i], e.old, "what-if " + describe(owned[i]));
    batch.ops.push_back(owned[i]);
    batch.olds.push_back(e.old);
  }
  verify_batch(prover.params(), batch, w.proof, w.digest);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  uint8_t p = in.byte();
  TreeParams params;
  params.key_length = kKeyLengths[p % 6];
  int vl = kValueLengths[(p / 6) % 8];
  if (vl >= 0) params.value_length = static_cast<uint32_t>(vl);

  BatchProver prover(params);
  Model model(params);
  Batch batch;
  batch.start = prover.digest();
  while (!in.done()) {
    uint8_t c = in.byte();
    if (c >= kEndWithoutProof) {
      end_batch(prover, model, &batch, false);
    } else if (c >= kWhatIf) {
      size_t n = in.byte() % 16;
      std::vector<OwnedOp> ops;
      // Keys "from the model" come from the tree as it is, as they would
      // for a caller asking what a batch would do.
      for (size_t i = 0; i < n; ++i) ops.push_back(read_op(in, in.byte() % 7, params, model));
      what_if(prover, model, ops);
    } else if (c >= kEndBatch) {
      end_batch(prover, model, &batch, true);
    } else {
      OwnedOp op = read_op(in, c, params, model);
      check_reads(prover, model, op.key);
      Digest before = prover.digest();
      Expectation e = expect(model, params, op);
      OpOutcome out;
      Status s = prover.perform(op.op(), &out);
      EXPECT(s.kind() == e.kind, describe(op) + ": got " + s.to_string() + ", the model says " +
                                     std::string(error_kind_name(e.kind)));
      EXPECT(prover.status().is_ok(), prover.status().to_string());
      if (s.is_ok()) {
        same_outcome(out, e.old, describe(op));
        batch.ops.push_back(op);
        batch.olds.push_back(e.old);
      } else {
        EXPECT(prover.digest() == before, "a failed " + describe(op) + " changed the digest");
      }
    }
  }
  end_batch(prover, model, &batch, true);
  return 0;
}
