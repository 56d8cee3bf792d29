// TREES: the Basis tracker's store (docs/BENCHMARKS.md, "Many trees"): one
// tracker tree of 1,000,000 keys and 1,000 reserve trees of 1,000 keys
// (quick: 100,000 and 100), durable throughput with batches spread over the
// trees and with transactions over the tracker and a reserve (a
// redemption), compared with W2-D measured in the same run; then reopens of
// the whole store to the first proof of every tree with
// recovery_parallelism 1 and 2 (trees_reopen.cc).
#include <unistd.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <thread>

#include "basis/runtime.h"
#include "bench/trees_data.h"
#include "bench/trees_workload.h"
#include "bench/workloads.h"

namespace basis::bench {

using namespace trees;

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kClients = 4;     // client threads; each feeds its own trees
constexpr size_t kInFlight = 16;   // batches a client submits ahead of their answers (W2-D's)
constexpr size_t kBatchSize = 100;  // W2-D's

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Batches of one client thread, answered in order.
struct Pipeline {
  std::deque<std::future<BatchResult>> inflight;
  uint64_t proof_bytes = 0;
  void submit(Runtime& rt, std::vector<OwnedOperation> ops) {
    inflight.push_back(rt.apply(std::move(ops)));
    while (inflight.size() > kInFlight) drain_one();
  }
  void drain_one() {
    BatchResult b = inflight.front().get();
    inflight.pop_front();
    if (!b.status.is_ok()) trees_fail("batch failed: " + b.status.to_string());
    for (const tree::Status& s : b.statuses) {
      if (!s.is_ok()) trees_fail("operation failed: " + s.to_string());
    }
    proof_bytes += b.proof.size();
  }
  void drain() {
    while (!inflight.empty()) drain_one();
  }
};

// Runs `per_client(c)` on kClients threads at once.
template <class Fn>
void on_clients(Fn per_client) {
  std::vector<std::thread> threads;
  for (size_t c = 0; c < kClients; ++c) threads.emplace_back(per_client, c);
  for (auto& t : threads) t.join();
}

struct Store {
  std::unique_ptr<Runtime> rt;
  std::vector<std::shared_ptr<Runtime>> reserves;
  std::shared_ptr<Runtime> tracker;
};

// The tracker's W1 in batches of 1,000 (the most a batch may hold by
// default); each reserve's keys in one batch of InsertOrUpdate.
void load(Store& s, const TreesScale& scale) {
  Pipeline p;
  for (uint64_t i = 0; i < scale.tracker_keys; i += 1000) {
    std::vector<OwnedOperation> ops;
    for (uint64_t k = i; k < std::min(scale.tracker_keys, i + 1000); ++k) {
      ops.push_back({tree::OpType::kInsert, tracker_key(k), tracker_value(k, 0), 0});
    }
    p.submit(*s.tracker, std::move(ops));
  }
  for (uint64_t r = 0; r < scale.reserves; ++r) {
    for (uint64_t i = 0; i < scale.reserve_keys; i += 1000) {
      std::vector<OwnedOperation> ops;
      for (uint64_t j = i; j < std::min(scale.reserve_keys, i + 1000); ++j) {
        ops.push_back({tree::OpType::kInsertOrUpdate, reserve_key(r, j), reserve_value(kTimestampBase, 0), 0});
      }
      p.submit(*s.reserves[r], std::move(ops));
    }
  }
  p.drain();
}

// Batch k of the spread goes to tree k mod (reserves + 1) (the last index is
// the tracker's), sent by client (that index) mod kClients.
void spread(Store& s, const TreesScale& scale, WorkloadResult* r) {
  const uint64_t trees = scale.reserves + 1;
  const uint64_t batches = scale.spread_operations / kBatchSize;
  std::vector<TreeStream> streams(trees);
  for (uint64_t t = 0; t < trees; ++t) {
    streams[t].tracker = t == scale.reserves;
    streams[t].reserve = t;
    streams[t].n = streams[t].tracker ? scale.tracker_keys : scale.reserve_keys;
    streams[t].rng = SplitMix64{streams[t].tracker ? 42 : 1'000'000 + t};
  }
  std::vector<uint64_t> proof_bytes(kClients);
  const auto start = Clock::now();
  on_clients([&](size_t c) {
    Pipeline p;
    for (uint64_t k = 0; k < batches; ++k) {
      const uint64_t t = k % trees;
      if (t % kClients != c) continue;
      Runtime& target = streams[t].tracker ? *s.tracker : *s.reserves[t];
      p.submit(target, streams[t].next_batch(kBatchSize));
    }
    p.drain();
    proof_bytes[c] = p.proof_bytes;
  });
  const double seconds = seconds_since(start);
  r->ops += batches * kBatchSize;
  r->seconds += seconds;
  for (uint64_t b : proof_bytes) r->proof_bytes += b;
  r->extra["trees_ops"] = static_cast<double>(batches * kBatchSize);
  r->extra["trees_seconds"] = seconds;
  r->extra["trees_ops_per_s"] = static_cast<double>(batches * kBatchSize) / seconds;
  r->extra["trees_batches_per_s"] = static_cast<double>(batches) / seconds;
  r->extra["tracker_batches"] = static_cast<double>(streams[scale.reserves].batches);
}

// Redemptions: each transaction updates one tracker key and InsertOrUpdates
// one key of a reserve tree, atomically. Client c touches only tracker keys
// and reserves ≡ c (mod kClients), which it updates in place: the digests do
// not depend on how the clients interleave.
void redemptions(Store& s, const TreesScale& scale, WorkloadResult* r) {
  std::vector<uint64_t> refused(kClients);
  const auto start = Clock::now();
  on_clients([&](size_t c) {
    SplitMix64 rng{7'000 + c};
    const uint64_t reserves_of_client = (scale.reserves - c + kClients - 1) / kClients;
    for (uint64_t i = c; i < scale.transactions; i += kClients) {
      const uint64_t x = rng.next();
      const uint64_t idx = ((x >> 8) % (scale.tracker_keys / kClients)) * kClients + c;
      const uint64_t reserve = (x % reserves_of_client) * kClients + c;
      const uint64_t j = (x >> 40) % scale.reserve_keys;
      std::vector<TransactionPart> parts(2);
      parts[0].tree = kTracker;
      parts[0].operations.push_back({tree::OpType::kUpdate, tracker_key(idx), tracker_value(idx, 500'000'000 + i), 0});
      parts[1].tree = reserve_name(reserve);
      parts[1].operations.push_back({tree::OpType::kInsertOrUpdate, reserve_key(reserve, j),
                                     reserve_value(kTimestampBase + 1'000'000 + i, i), 0});
      TransactionResult t = s.rt->transact(std::move(parts));
      if (!t.status.is_ok()) trees_fail("transaction failed: " + t.status.to_string());
      for (const BatchResult& part : t.parts) {
        for (const tree::Status& op : part.statuses) {
          if (!op.is_ok()) trees_fail("transaction operation failed: " + op.to_string());
        }
      }
    }
  });
  const double seconds = seconds_since(start);
  r->extra["trees_txn"] = static_cast<double>(scale.transactions);
  r->extra["trees_txn_per_s"] = static_cast<double>(scale.transactions) / seconds;
}

// Builds the store in cfg.storage.data_dir and runs the timed phases on it;
// every tree's state when it shut down.
TreeExpectations build_and_churn(const config::Config& cfg, const TreesScale& scale, WorkloadResult* r) {
  Store s;
  trees_phase("creating the store");
  auto start = Clock::now();
  if (tree::Status st = Runtime::open(cfg, &s.rt); !st.is_ok()) trees_fail("open: " + st.to_string());
  r->extra["create_open_ms"] = seconds_since(start) * 1000;
  s.tracker = s.rt->tree(kTracker);
  if (!s.tracker) trees_fail("no tracker tree after open");
  trees_phase("creating " + std::to_string(scale.reserves) + " reserve trees");
  start = Clock::now();
  for (uint64_t i = 0; i < scale.reserves; ++i) {
    const std::string name = reserve_name(i);
    if (tree::Status st = s.rt->create_tree(config::Config::Tree{32, kReserveValueLength, name, 0}); !st.is_ok()) {
      trees_fail("create_tree " + name + ": " + st.to_string());
    }
    s.reserves.push_back(s.rt->tree(name));
    if (!s.reserves.back()) trees_fail("no tree " + name + " after create_tree");
  }
  r->extra["create_reserves_ms"] = seconds_since(start) * 1000;
  trees_phase("loading the trees");
  start = Clock::now();
  load(s, scale);
  r->extra["load_seconds"] = seconds_since(start);
  trees_phase("batches spread over the trees");
  spread(s, scale, r);
  trees_phase("transactions");
  redemptions(s, scale, r);
  TreeExpectations expected = record_digests(*s.rt, scale, r);
  s.reserves.clear();
  s.tracker.reset();
  trees_phase("shutdown");
  start = Clock::now();
  if (tree::Status st = s.rt->shutdown(); !st.is_ok()) trees_fail("shutdown: " + st.to_string());
  r->extra["shutdown_ms"] = seconds_since(start) * 1000;
  return expected;
}

}  // namespace

void trees_phase(const std::string& what) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  std::fprintf(stderr, "basis-bench: trees: %s (CLOCK_MONOTONIC %ld.%06ld)\n", what.c_str(),
               static_cast<long>(now.tv_sec), static_cast<long>(now.tv_nsec / 1000));
}

void trees_fail(const std::string& what) {
  std::fprintf(stderr, "basis-bench: trees: %s\n", what.c_str());
  std::exit(1);
}

TreesScale trees_scale(bool quick) {
  TreesScale s;
  s.reserves = quick ? 100 : 1000;
  s.reserve_keys = 1000;
  s.tracker_keys = quick ? 100'000 : 1'000'000;
  s.spread_operations = quick ? 100'000 : 1'000'000;
  s.transactions = quick ? 1'000 : 4'000;
  return s;
}

void run_trees_workload(bool quick, WorkloadResult* r) { run_trees_at(trees_scale(quick), quick, true, r); }

void run_trees_at(const TreesScale& scale, bool quick, bool with_w2d, WorkloadResult* r) {
  if (scale.reserves < kClients || scale.tracker_keys < kClients || scale.reserve_keys == 0) {
    trees_fail("a scale needs at least 4 reserves, 4 tracker keys and a reserve key");
  }
  r->workload = "trees";
  r->quick = quick;
  r->n = scale.tracker_keys + scale.reserves * scale.reserve_keys;
  r->extra["reserve_trees"] = static_cast<double>(scale.reserves);
  r->extra["reserve_keys"] = static_cast<double>(scale.reserve_keys);
  r->extra["tracker_keys"] = static_cast<double>(scale.tracker_keys);
  r->extra["clients"] = static_cast<double>(kClients);
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("basis-bench-trees-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  config::Config cfg;  // the defaults (sync = always), but quieter: 1,001 trees log their starts
  cfg.logging.level = "warn";
  if (const char* path = std::getenv("BASIS_BENCH_CONFIG"); path && *path) {
    // Another configuration, to see what a setting costs (W2-D beside it reads it too).
    cfg = config::Config();
    if (config::Status st = config::load_file(path, &cfg); !st.is_ok()) trees_fail(st.message());
    std::fprintf(stderr, "basis-bench: configuration from %s\n", path);
  }
  cfg.storage.data_dir = dir;
  cfg.trees.push_back(config::Config::Tree{32, 8, kTracker, 0});  // declared; the reserves are created
  TreeExpectations expected;
  // For profiling the reopens: BASIS_TREES_TEMPLATE=DIR keeps the built
  // store (and what each tree must answer) in DIR, and later runs reopen a
  // copy of it, skipping everything else.
  const char* tmpl = std::getenv("BASIS_TREES_TEMPLATE");
  const bool from_template = tmpl && *tmpl && std::filesystem::exists(tmpl);
  if (from_template) {
    std::filesystem::copy(std::filesystem::path(tmpl) / "store", dir, std::filesystem::copy_options::recursive);
    expected = read_expectations((std::filesystem::path(tmpl) / "expected.txt").string());
    r->final_digest = all_trees_digest(expected);
  } else {
    expected = build_and_churn(cfg, scale, r);
    if (tmpl && *tmpl) {
      std::filesystem::create_directories(tmpl);
      std::filesystem::copy(dir, std::filesystem::path(tmpl) / "store", std::filesystem::copy_options::recursive);
      write_expectations(expected, (std::filesystem::path(tmpl) / "expected.txt").string());
    }
  }
  for (uint32_t parallelism : {1u, 2u}) reopen_trees(cfg, parallelism, expected, r);
  std::filesystem::remove_all(dir);
  if (from_template || !with_w2d) return;
  // The single-tree figure beside it, in a store of its own, as `w2-d`
  // measures it. After the trees: the runtime's logger is the process's,
  // made by the first open, and the trees' store asks for warnings only.
  trees_phase("w2-d");
  WorkloadResult w2d;
  run_durable_workload("W2-D", quick, &w2d);
  r->extra["w2d_ops_per_s"] = w2d.seconds > 0 ? static_cast<double>(w2d.ops) / w2d.seconds : 0.0;
  r->extra["ratio"] = r->extra["trees_ops_per_s"] / r->extra["w2d_ops_per_s"];
  r->text["w2d_final_digest"] = w2d.final_digest;
}

}  // namespace basis::bench
