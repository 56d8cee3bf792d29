// The standard in-memory workloads of docs/BENCHMARKS.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace basis::bench {

struct WorkloadResult {
  std::string workload;
  bool quick = false;
  uint64_t n = 0;    // keys in the tree the workload starts from (W1: keys inserted)
  uint64_t ops = 0;  // timed operations
  double seconds = 0;
  uint64_t proof_bytes = 0;
  std::string final_digest;
  std::map<std::string, double> extra;  // workload-specific figures
  std::map<std::string, std::string> text;  // workload-specific strings (digests), after the figures
};

// Runs W1, W2, W3, STORAGE, W1-D, W2-D, REOPEN, HTTP, ROLLBACK or TREES (any case). Returns false for an unknown name.
bool run_workload(const std::string& name, bool quick, WorkloadResult* result);

// STORAGE: W1 through the node store and the operation log (no actors): every
// batch's records appended in one synced write, its new nodes written
// unsynced, memory bounded by unloading stored subtrees.
void run_storage_workload(bool quick, WorkloadResult* result);

// W1-D or W2-D: through the whole runtime with the default configuration
// (or the file BASIS_BENCH_CONFIG names), every batch acknowledged once
// durable; also reopen_ms, the time to reopen and serve the first proof, and
// the bytes on disk (per family) after Runtime::compact.
void run_durable_workload(const std::string& name, bool quick, WorkloadResult* result);

// REOPEN: W1 plus 10,000 operations after the last checkpoint, killed; then
// reopen_ms, first_proof_ms and full_verify_ms (recovery_parallelism = 2).
void run_reopen_workload(bool quick, WorkloadResult* result);

// HTTP: W2's batches from many concurrent clients to a basis-treed started
// on W1; batches_per_sec, p50_ms and p99_ms of durable latency.
void run_http_workload(bool quick, WorkloadResult* result);

// ROLLBACK: W1 through the runtime, then 100, 1,000 and 10,000 W2-like
// operations each undone by a rollback to W1's version: rollback_<n>_ms to
// the durable answer, and W1's reference digest as the final one.
void run_rollback_workload(bool quick, WorkloadResult* result);

// TREES: one tracker tree of 1,000,000 keys and 1,000 reserve trees of 1,000
// keys in one store (quick: 100,000 and 100); durable batches spread over the
// trees from several clients and transactions over two trees, against W2-D
// run first in the same process; then the reopen of the whole store to the
// first proof of every tree with recovery_parallelism 1 and 2.
void run_trees_workload(bool quick, WorkloadResult* result);

}  // namespace basis::bench
