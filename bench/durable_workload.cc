// W1-D and W2-D: the standard workloads through the whole runtime (actors,
// oplog, node store, checkpoints) with the default configuration, every batch
// acknowledged only once durable.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"
#include "bench/workloads.h"
#include "storage/database.h"
#include "basis/tree/hash.h"

namespace basis::bench {

using namespace basis::actors;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kInFlight = 16;  // batches submitted ahead of their acknowledgement

tree::Bytes key_of(uint64_t i) {
  tree::Label k = benchmark_key(i);
  return tree::Bytes(k.begin(), k.end());
}

tree::Bytes value_of(uint64_t i, uint64_t r) {
  auto v = benchmark_value(i, r);
  return tree::Bytes(v.begin(), v.end());
}

struct Pipeline {
  Runtime* rt;
  std::deque<std::future<BatchResult>> inflight;
  WorkloadResult* r;
  void submit(std::vector<OwnedOperation> ops) {
    r->ops += ops.size();
    inflight.push_back(rt->apply(std::move(ops)));
    while (inflight.size() > kInFlight) drain_one();
  }
  void drain_one() {
    BatchResult b = inflight.front().get();
    inflight.pop_front();
    if (!b.status.is_ok()) {
      std::fprintf(stderr, "basis-bench: batch failed: %s\n", b.status.to_string().c_str());
      std::exit(1);
    }
    r->proof_bytes += b.proof.size();
  }
  void drain() {
    while (!inflight.empty()) drain_one();
  }
};

void w1(Pipeline& p, uint64_t n) {
  for (uint64_t i = 0; i < n;) {
    std::vector<OwnedOperation> ops;
    for (uint64_t end = std::min(n, i + 1000); i < end; ++i) {
      ops.push_back({tree::OpType::kInsert, key_of(i), value_of(i, 0), 0});
    }
    p.submit(std::move(ops));
  }
  p.drain();
}

// Returns how many keys it inserted.
uint64_t w2(Pipeline& p, uint64_t n, uint64_t m) {
  SplitMix64 rng{42};
  uint64_t inserts = 0;
  auto next = [&] { return rng.next(); };
  for (uint64_t j = 0; j < m;) {
    std::vector<OwnedOperation> ops;
    for (uint64_t end = std::min(m, j + 100); j < end; ++j) {
      uint64_t x = next();
      if (x % 10 < 8) {
        uint64_t idx = (x >> 8) % n;
        ops.push_back({tree::OpType::kUpdate, key_of(idx), value_of(idx, j + 1), 0});
      } else {
        ops.push_back({tree::OpType::kInsert, key_of(n + inserts), value_of(n + inserts, 0), 0});
        ++inserts;
      }
    }
    p.submit(std::move(ops));
  }
  p.drain();
  return inserts;
}

uint64_t directory_bytes(const std::string& path) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(path)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

void fail(const tree::Status& s) {
  std::fprintf(stderr, "basis-bench: %s\n", s.to_string().c_str());
  std::exit(1);
}

}  // namespace

void run_durable_workload(const std::string& name, bool quick, WorkloadResult* r) {
  const uint64_t n = quick ? 100'000 : 1'000'000;
  r->workload = name == "W1-D" ? "w1-d" : "w2-d";
  r->quick = quick;
  r->n = n;
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("basis-bench-durable-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  config::Config cfg;  // the defaults, as BENCHMARKS.md asks
  if (const char* path = std::getenv("BASIS_BENCH_CONFIG"); path && *path) {
    // Another configuration, to see what a setting costs (the data directory stays the bench's).
    if (config::Status s = config::load_file(path, &cfg); !s.is_ok()) {
      std::fprintf(stderr, "basis-bench: %s\n", s.message().c_str());
      std::exit(2);
    }
    std::fprintf(stderr, "basis-bench: configuration from %s\n", path);
  }
  cfg.storage.data_dir = dir;
  uint64_t live_keys = n;
  {
    std::unique_ptr<Runtime> rt;
    if (tree::Status s = Runtime::open(cfg, &rt); !s.is_ok()) fail(s);
    Pipeline p{rt.get(), {}, r};
    if (name == "W1-D") {
      auto start = Clock::now();
      w1(p, n);
      r->seconds = std::chrono::duration<double>(Clock::now() - start).count();
    } else {
      WorkloadResult untimed;
      Pipeline setup{rt.get(), {}, &untimed};
      w1(setup, n);
      auto start = Clock::now();
      const uint64_t m = quick ? 100'000 : 1'000'000;
      live_keys = n + w2(p, n, m);
      r->seconds = std::chrono::duration<double>(Clock::now() - start).count();
    }
    // As BENCHMARKS.md measures the disk: after garbage collection and compaction.
    if (tree::Status s = rt->compact(); !s.is_ok()) fail(s);
    Runtime::Stats stats = rt->stats();
    r->extra["stored_nodes"] = static_cast<double>(stats.gc_live_nodes);  // what retained versions reach
    r->extra["gc_failures"] = static_cast<double>(stats.gc_failures);
    auto kept = rt->checkpoints();
    if (!kept.empty()) {
      r->extra["checkpoints_sealed"] = static_cast<double>(kept.front().id);
      // Operations the retained checkpoints span: their nodes are what GC keeps beyond the tree.
      r->extra["retained_span_ops"] = static_cast<double>(kept.front().last_sequence - kept.back().last_sequence);
    }
    r->final_digest = tree::to_hex(rt->digest());
    r->extra["last_sequence"] = static_cast<double>(rt->last_sequence());
    if (tree::Status s = rt->shutdown(); !s.is_ok()) fail(s);
  }
  // Reopen and serve the first proof.
  auto start = Clock::now();
  {
    std::unique_ptr<Runtime> rt;
    if (tree::Status s = Runtime::open(cfg, &rt); !s.is_ok()) fail(s);
    LookupResult first = rt->lookup(key_of(0), true);
    if (!first.status.is_ok()) fail(first.status);
    r->extra["reopen_ms"] = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    (void)rt->shutdown();
  }
  uint64_t bytes = directory_bytes(dir);
  {
    // Where the bytes are: each family's table files; the rest is logs and manifests.
    storage::DatabaseOptions options;
    options.path = dir + "/db";
    options.create_if_missing = false;
    std::unique_ptr<storage::Database> db;
    if (tree::Status s = storage::Database::open(options, &db); !s.is_ok()) fail(s);
    for (auto f : {storage::Family::kNodes, storage::Family::kOperations, storage::Family::kNotes,
                   storage::Family::kCheckpoints, storage::Family::kMetadata}) {
      r->extra["bytes_" + std::string(storage::family_name(f))] = static_cast<double>(db->family_bytes(f));
    }
  }
  r->extra["bytes_on_disk"] = static_cast<double>(bytes);
  r->extra["bytes_on_disk_per_live_key"] = static_cast<double>(bytes) / static_cast<double>(live_keys);
  std::filesystem::remove_all(dir);
}

}  // namespace basis::bench
