// The parts of the `trees` workload (trees_workload.cc, trees_reopen.cc).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "basis/runtime.h"
#include "bench/workloads.h"

namespace basis::bench {

struct TreesScale {
  uint64_t reserves = 0;      // reserve trees
  uint64_t reserve_keys = 0;  // keys each is loaded with
  uint64_t tracker_keys = 0;  // keys the tracker tree is loaded with
  uint64_t spread_operations = 0;
  uint64_t transactions = 0;
};
TreesScale trees_scale(bool quick);

// The workload at any scale (`quick` only names the variant and W2-D's);
// without W2-D when `with_w2d` is off. For tests.
void run_trees_at(const TreesScale& scale, bool quick, bool with_w2d, WorkloadResult* r);

// What every tree of the store must answer after a reopen.
struct TreeExpectation {
  tree::Digest digest{};
  tree::Bytes key;  // looked up with a proof
  bool present = false;
};
using TreeExpectations = std::map<std::string, TreeExpectation>;

// Every tree's digest (and the key its first proof asks for); a few of the
// digests, and one over all of them, go into r->text.
TreeExpectations record_digests(Runtime& store, const TreesScale& scale, WorkloadResult* r);

// BLAKE2b-256 of every tree's name and digest, in name order.
std::string all_trees_digest(const TreeExpectations& trees);
// One line a tree: name, digest, key (hex) and whether it holds the key.
void write_expectations(const TreeExpectations& trees, const std::string& path);
TreeExpectations read_expectations(const std::string& path);

// Opens the store with `parallelism` and asks every tree for a proof at
// once; reopen_p<N>_ms and its parts into r->extra.
void reopen_trees(config::Config cfg, uint32_t parallelism, const TreeExpectations& expected, WorkloadResult* r);

// A line on stderr naming the phase that starts, with the monotonic clock
// (to cut a `perf record -k mono` profile into phases: perf report --time).
void trees_phase(const std::string& what);
[[noreturn]] void trees_fail(const std::string& what);

}  // namespace basis::bench
