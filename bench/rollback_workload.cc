// ROLLBACK: W1 through the runtime, then W2-like batches of updates and
// inserts undone by rollbacks of 100, 1,000 and 10,000 operations, each back
// to W1's version (whose digest is the reference's). rollback_<n>_ms is the
// time from the call to its durable answer (building the version from the
// latest checkpoint at or before it, the notes, the synced record), with no
// checkpoint in flight to wait for.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"
#include "bench/workloads.h"

namespace basis::bench {

namespace {

using Clock = std::chrono::steady_clock;

tree::Bytes bytes_of(const tree::Label& l) { return tree::Bytes(l.begin(), l.end()); }

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "basis-bench: %s\n", what.c_str());
  std::exit(1);
}

void apply(Runtime& rt, std::vector<OwnedOperation> ops) {
  BatchResult b = rt.apply_and_wait(std::move(ops));
  if (!b.status.is_ok()) fail("batch failed: " + b.status.to_string());
}

}  // namespace

void run_rollback_workload(bool quick, WorkloadResult* r) {
  const uint64_t n = quick ? 100'000 : 1'000'000;
  r->workload = "rollback";
  r->quick = quick;
  r->n = n;
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("basis-bench-rollback-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  config::Config cfg;
  cfg.storage.data_dir = dir;
  cfg.logging.level = "warn";
  {
    std::unique_ptr<Runtime> rt;
    if (tree::Status s = Runtime::open(cfg, &rt); !s.is_ok()) fail(s.to_string());
    for (uint64_t i = 0; i < n; i += 1000) {
      std::vector<OwnedOperation> ops;
      for (uint64_t k = i; k < std::min(n, i + 1000); ++k) {
        auto v = benchmark_value(k, 0);
        ops.push_back({tree::OpType::kInsert, bytes_of(benchmark_key(k)), tree::Bytes(v.begin(), v.end()), 0});
      }
      apply(*rt, std::move(ops));
    }
    const tree::Digest w1 = rt->digest();
    const uint64_t w1_sequence = rt->last_sequence();
    SplitMix64 rng{42};
    uint64_t inserted = 0, round = 0;
    for (uint64_t undo : {uint64_t{100}, uint64_t{1000}, uint64_t{10'000}}) {
      for (uint64_t j = 0; j < undo; j += 100) {
        std::vector<OwnedOperation> ops;
        for (uint64_t k = j; k < std::min(undo, j + 100); ++k) {
          uint64_t x = rng.next();
          if (x % 10 < 8) {
            uint64_t idx = (x >> 8) % n;
            auto v = benchmark_value(idx, ++round);
            ops.push_back({tree::OpType::kUpdate, bytes_of(benchmark_key(idx)), tree::Bytes(v.begin(), v.end()), 0});
          } else {
            const uint64_t idx = n + inserted++;
            auto v = benchmark_value(idx, 0);
            ops.push_back({tree::OpType::kInsert, bytes_of(benchmark_key(idx)), tree::Bytes(v.begin(), v.end()), 0});
          }
        }
        apply(*rt, std::move(ops));
      }
      // Untimed: the checkpoint in flight (a rollback waits for it) is done.
      if (tree::Status s = rt->checkpoint_now(); !s.is_ok()) fail(s.to_string());
      const auto started = Clock::now();
      RollbackResult back = rt->rollback(RollbackTarget::sequence(w1_sequence));
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
      if (!back.status.is_ok()) fail("rollback failed: " + back.status.to_string());
      if (back.digest != w1 || rt->digest() != w1) fail("the rollback did not return to W1's digest");
      r->extra["rollback_" + std::to_string(undo) + "_ms"] = ms;
      r->extra["undone_" + std::to_string(undo)] = static_cast<double>(back.undone);
      r->ops += undo;
      r->seconds += ms / 1000;
    }
    r->final_digest = tree::to_hex(rt->digest());
    if (tree::Status s = rt->shutdown(); !s.is_ok()) fail(s.to_string());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace basis::bench
