#include "bench/workloads.h"

#include "bench/benchmark_data.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "basis/tree/batch_prover.h"
#include "basis/tree/hash.h"

namespace basis::bench {

using namespace basis::tree;

namespace {

using Clock = std::chrono::steady_clock;

using Key = std::array<uint8_t, 32>;
using Value = std::array<uint8_t, 8>;

Key key_of(uint64_t i) { return benchmark_key(i); }
Value value_of(uint64_t i, uint64_t r) { return benchmark_value(i, r); }

TreeParams basis_params() { return TreeParams{32, std::nullopt}; }

// One batch's operations, generated before the timer starts.
struct Batch {
  std::vector<Key> keys;
  std::vector<Value> values;
  std::vector<Operation> ops;
  void clear() {
    keys.clear();
    values.clear();
    ops.clear();
  }
  void add(OpType type, const Key& k, const Value* v) {
    keys.push_back(k);
    if (v) values.push_back(*v);
    ops.push_back({type, {}, {}, 0});
  }
  // Views are bound once the vectors stop growing.
  void bind() {
    size_t vi = 0;
    for (size_t i = 0; i < ops.size(); ++i) {
      ops[i].key = ByteView(keys[i]);
      if (ops[i].type != OpType::kLookup) ops[i].value = ByteView(values[vi++]);
    }
  }
};

// Applies the batch, then writes its proof and reads the digest, as every
// workload does after each batch. Returns the proof size.
size_t run_batch(BatchProver* prover, Batch* batch, Bytes* proof, double* seconds) {
  batch->bind();
  OpOutcome out;
  auto start = Clock::now();
  for (const Operation& op : batch->ops) {
    Status s = prover->perform(op, &out);
    if (!s.is_ok()) {
      std::fprintf(stderr, "basis-bench: operation failed: %s\n", s.to_string().c_str());
      std::exit(1);
    }
  }
  prover->generate_proof(proof);
  Digest d = prover->digest();
  *seconds += std::chrono::duration<double>(Clock::now() - start).count();
  (void)d;
  return proof->size();
}

// W1: insert key(i) -> value(i, 0) for i < n in batches of 1,000.
void build_w1(BatchProver* prover, uint64_t n, WorkloadResult* r) {
  Batch batch;
  Bytes proof;
  for (uint64_t i = 0; i < n;) {
    batch.clear();
    for (uint64_t end = std::min(n, i + 1000); i < end; ++i) {
      Value v = value_of(i, 0);
      batch.add(OpType::kInsert, key_of(i), &v);
    }
    r->proof_bytes += run_batch(prover, &batch, &proof, &r->seconds);
    r->ops += batch.ops.size();
  }
}

void run_w2(BatchProver* prover, uint64_t n, uint64_t m, WorkloadResult* r) {
  SplitMix64 rng{42};
  Batch batch;
  Bytes proof;
  uint64_t inserts = 0;
  for (uint64_t j = 0; j < m;) {
    batch.clear();
    for (uint64_t end = std::min(m, j + 100); j < end; ++j) {
      uint64_t x = rng.next();
      if (x % 10 < 8) {
        uint64_t idx = (x >> 8) % n;
        Value v = value_of(idx, j + 1);
        batch.add(OpType::kUpdate, key_of(idx), &v);
      } else {
        Value v = value_of(n + inserts, 0);
        batch.add(OpType::kInsert, key_of(n + inserts), &v);
        ++inserts;
      }
    }
    r->proof_bytes += run_batch(prover, &batch, &proof, &r->seconds);
    r->ops += batch.ops.size();
  }
}

void run_w3(BatchProver* prover, uint64_t n, uint64_t lookups, WorkloadResult* r) {
  SplitMix64 rng{42};
  Batch batch;
  Bytes proof;
  for (uint64_t j = 0; j < lookups;) {
    batch.clear();
    for (uint64_t end = std::min(lookups, j + 100); j < end; ++j) {
      batch.add(OpType::kLookup, key_of((rng.next() >> 8) % n), nullptr);
    }
    r->proof_bytes += run_batch(prover, &batch, &proof, &r->seconds);
    r->ops += batch.ops.size();
  }
}

}  // namespace

bool run_workload(const std::string& raw_name, bool quick, WorkloadResult* r) {
  std::string name = raw_name;
  std::transform(name.begin(), name.end(), name.begin(), ::toupper);
  const uint64_t n = quick ? 100'000 : 1'000'000;
  if (name == "STORAGE") {
    run_storage_workload(quick, r);
    return true;
  }
  if (name == "REOPEN") {
    run_reopen_workload(quick, r);
    return true;
  }
  if (name == "HTTP") {
    run_http_workload(quick, r);
    return true;
  }
  if (name == "TREES") {
    run_trees_workload(quick, r);
    return true;
  }
  if (name == "ROLLBACK") {
    run_rollback_workload(quick, r);
    return true;
  }
  if (name == "W1-D" || name == "W2-D") {
    run_durable_workload(name, quick, r);
    return true;
  }
  r->workload = name;
  r->quick = quick;
  r->n = n;
  BatchProver prover(basis_params());
  if (name == "W1") {
    build_w1(&prover, n, r);
  } else if (name == "W2" || name == "W3") {
    WorkloadResult untimed;
    build_w1(&prover, n, &untimed);
    if (name == "W2") {
      run_w2(&prover, n, quick ? 100'000 : 1'000'000, r);
    } else {
      run_w3(&prover, n, 100'000, r);
    }
  } else {
    return false;
  }
  r->final_digest = to_hex(prover.digest());
  return true;
}

}  // namespace basis::bench
