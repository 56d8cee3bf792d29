// The STORAGE workload: W1 made durable by the storage layer alone.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <vector>

#include "bench/benchmark_data.h"
#include "bench/workloads.h"
#include "storage/node_store.h"
#include "storage/oplog.h"
#include "basis/tree/batch_prover.h"
#include "basis/tree/hash.h"

namespace basis::bench {

using namespace basis::tree;
using namespace basis::storage;

namespace {

constexpr size_t kNodeCacheBytes = size_t{64} << 20;
constexpr int kResidentLevels = 18;    // levels of the tree kept in memory
constexpr size_t kMaxLiveNodes = 1 << 21;  // unload beyond this many nodes (~300 MB)
constexpr int kBatchesPerNodeWrite = 8;  // nodes superseded in between are never written

uint64_t directory_bytes(const std::string& path) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(path)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

}  // namespace

void run_storage_workload(bool quick, WorkloadResult* r) {
  using Clock = std::chrono::steady_clock;
  const uint64_t n = quick ? 100'000 : 1'000'000;
  r->workload = "storage";
  r->quick = quick;
  r->n = n;
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("basis-bench-storage-" + std::to_string(::getpid())))
                        .string();
  std::filesystem::remove_all(dir);
  const TreeParams params{32, std::nullopt};
  {
    DatabaseOptions options;
    options.path = dir;
    options.params = params;
    std::unique_ptr<Database> db;
    std::unique_ptr<Oplog> log;
    if (Status s = Database::open(options, &db); !s.is_ok() || !Oplog::open(db.get(), &log).is_ok()) {
      std::fprintf(stderr, "basis-bench: cannot open %s: %s\n", dir.c_str(), s.to_string().c_str());
      std::exit(1);
    }
    NodeStore store(db.get(), kNodeCacheBytes);
    BatchProver empty(params);
    BatchProver prover(params, empty.digest(), &store);
    store.add(*empty.root(), empty.pool());  // the sentinel leaf the root resolves to

    std::vector<OperationRecord> records;
    std::vector<NoteUpdate> notes;
    Bytes proof;
    OpOutcome out;
    uint64_t sequence = 0;
    uint64_t batches = 0;
    auto start = Clock::now();
    for (uint64_t i = 0; i < n;) {
      records.clear();
      notes.clear();
      Digest before = prover.digest();
      for (uint64_t end = std::min(n, i + 1000); i < end; ++i) {
        Label key = benchmark_key(i);
        auto v = benchmark_value(i, 0);
        Bytes value(v.begin(), v.end());
        OperationRecord rec;
        rec.sequence = ++sequence;
        rec.type = OpType::kInsert;
        rec.key.assign(key.begin(), key.end());
        rec.value = value;
        rec.digest_before = before;
        if (Status s = prover.perform(rec.operation(), &out); !s.is_ok()) {
          std::fprintf(stderr, "basis-bench: %s\n", s.to_string().c_str());
          std::exit(1);
        }
        rec.digest_after = before = prover.digest();
        notes.push_back(NoteUpdate{rec.key, NoteRecord{value, rec.sequence}});
        records.push_back(std::move(rec));
      }
      // The batch is acknowledged once its records are durable; nodes can
      // always be rebuilt from the log, so they are written unsynced, seldom.
      Status s = log->append(records, notes, /*sync=*/true);
      prover.generate_proof(&proof);
      r->proof_bytes += proof.size();
      r->ops += records.size();
      if (s.is_ok() && (++batches % kBatchesPerNodeWrite == 0 || i == n)) {
        s = prover.visit_unstored_nodes([&](const Node& node) { store.add(node, prover.pool()); });
        if (s.is_ok()) s = store.flush(false);
        size_t released;
        if (s.is_ok() && prover.pool().live_nodes() > kMaxLiveNodes) {
          s = prover.unload_below(kResidentLevels, &released);
        }
      }
      if (!s.is_ok()) {
        std::fprintf(stderr, "basis-bench: %s\n", s.to_string().c_str());
        std::exit(1);
      }
    }
    r->seconds = std::chrono::duration<double>(Clock::now() - start).count();
    r->final_digest = to_hex(prover.digest());
    (void)store.flush(true);
    (void)db->flush();
    r->extra["node_cache_hit_ratio"] =
        static_cast<double>(store.cache_hits()) / std::max<uint64_t>(1, store.cache_hits() + store.cache_misses());
  }
  uint64_t bytes = directory_bytes(dir);
  r->extra["bytes_on_disk"] = static_cast<double>(bytes);
  r->extra["bytes_on_disk_per_live_key"] = static_cast<double>(bytes) / n;
  std::filesystem::remove_all(dir);
}

}  // namespace basis::bench
