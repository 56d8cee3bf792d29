// The standard in-memory workloads of ../shared/BENCHMARKS.md.
#pragma once

#include <cstdint>
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
};

// Runs W1, W2 or W3 ("w1".."w3", any case). Returns false for an unknown name.
bool run_workload(const std::string& name, bool quick, WorkloadResult* result);

}  // namespace basis::bench
