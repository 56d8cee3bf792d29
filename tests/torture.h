// The torture harness (after NOMT's torture and RocksDB's crash tests): each
// iteration runs a child process with a runtime on the fault-injecting file
// system, seeded random faults (write, sync and read errors, ENOSPC, on the
// WAL and the tables), the crash harness's churn, checkpoints every 50
// operations with node GC after each, and pins of checkpoints. The parent
// SIGKILLs it at a random moment, or the child loses power (unsynced data
// dropped, then _exit). The next child opens without faults and reports what
// it finds; the parent checks that the state is a prefix of the submitted
// batches holding every acknowledged one, and that every answered pin is
// listed and provable at its digest, or that the open is refused with a
// message (counted apart: never silently less).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace basis::testing {

struct TortureReport {
  uint64_t iterations = 0;
  uint64_t kills = 0;            // SIGKILLs by the parent
  uint64_t power_losses = 0;     // children that dropped their unsynced data and died
  uint64_t child_crashes = 0;    // children that died otherwise (an abort, say): findings
  // Children stopped by an assertion inside RocksDB: Debian's RocksDB 7.8 is
  // built with assertions on, and some of its iterators assert on a read
  // error instead of returning it. Counted apart (RocksDB's, not ours) and
  // checked like a kill: the restart after one must lose nothing either.
  uint64_t rocksdb_aborts = 0;
  uint64_t acknowledged_batches = 0;
  uint64_t answered_pins = 0;
  std::array<uint64_t, 4> faults{};  // injected, by Fault (write, sync, read, nospace)
  uint64_t lost_acknowledged = 0;  // acknowledged batches missing after a restart
  uint64_t lost_pins = 0;          // answered pins missing or not provable
  uint64_t silent_rollbacks = 0;   // opens (or roll-backs) at a state that is no such prefix
  uint64_t refused_opens = 0;      // opens refused with a message (the store is then wiped)
  std::string first_problem;
  std::vector<std::string> problems;  // every problem found, up to kMaxProblems
  static constexpr size_t kMaxProblems = 50;
  std::string first_refusal;
  std::string first_rocksdb_abort;  // the assertion RocksDB stopped a child with, first time
  bool ok() const {
    return lost_acknowledged == 0 && lost_pins == 0 && silent_rollbacks == 0 && child_crashes == 0;
  }
  std::string summary() const;
};

// Runs `iterations` rounds in `dir` (created, and reused across rounds),
// injecting the kinds of fault in `fault_mask` (bit 1 << Fault: 1 write,
// 2 sync, 4 read, 8 nospace).
TortureReport run_torture(const std::string& dir, uint64_t iterations, uint64_t seed, unsigned fault_mask = 15);

}  // namespace basis::testing
