// The crash-test harness: a child process runs the runtime under a seeded
// churn workload and is killed with SIGKILL at random moments; after each
// restart the recovered state must hold every acknowledged batch and be
// exactly a prefix of the submitted batches (its digest equal to an
// in-memory tree's after that prefix), and the store must open unaided.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "basis/runtime.h"

namespace basis::testing {

struct CrashReport {
  uint64_t kills = 0;
  uint64_t acknowledged_batches = 0;  // over all rounds
  uint64_t lost_acknowledged = 0;     // must be 0
  uint64_t digest_mismatches = 0;     // must be 0
  uint64_t failed_opens = 0;          // must be 0
  std::string first_problem;
  bool ok() const { return lost_acknowledged == 0 && digest_mismatches == 0 && failed_opens == 0; }
};

// Batch `b` of the churn of `seed`: 10 to 49 operations of every type on a
// small key space (collisions, removals, failures). The torture harness
// runs the same churn.
constexpr uint64_t kKeySpace = 600;
std::vector<basis::OwnedOperation> batch_ops(uint64_t seed, uint64_t b);

// Runs `kills` rounds in `dir` (created, and reused across rounds).
CrashReport run_crash_harness(const std::string& dir, uint64_t kills, uint64_t seed);

}  // namespace basis::testing
