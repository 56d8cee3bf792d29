// HTTP: W2's batches sent by many concurrent clients over loopback to a
// basis-treed this benchmark starts on a store that already holds W1. Every
// answer means durable; its latency is measured from the client's side.
// Batches run concurrently, so their order (and the final digest) varies.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"
#include "bench/workloads.h"

namespace basis::bench {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

constexpr int kClients = 32;

void fail(const std::string& what) {
  std::fprintf(stderr, "basis-bench: http: %s\n", what.c_str());
  std::exit(1);
}

std::string hex(const uint8_t* p, size_t n) { return tree::to_hex(tree::ByteView(p, n)); }

// W1 written straight through the runtime (not timed).
void preload(const config::Config& cfg, uint64_t n) {
  std::unique_ptr<basis::Runtime> rt;
  if (tree::Status s = basis::Runtime::open(cfg, &rt); !s.is_ok()) fail(s.to_string());
  std::deque<std::future<basis::BatchResult>> inflight;
  for (uint64_t i = 0; i < n; i += 1000) {
    std::vector<basis::OwnedOperation> ops;
    for (uint64_t k = i; k < std::min(n, i + 1000); ++k) {
      tree::Label key = benchmark_key(k);
      auto v = benchmark_value(k, 0);
      ops.push_back({tree::OpType::kInsert, tree::Bytes(key.begin(), key.end()), tree::Bytes(v.begin(), v.end()), 0});
    }
    inflight.push_back(rt->apply(std::move(ops)));
    while (inflight.size() > 16) {
      if (!inflight.front().get().status.is_ok()) fail("preload batch failed");
      inflight.pop_front();
    }
  }
  for (auto& f : inflight) if (!f.get().status.is_ok()) fail("preload batch failed");
  if (!rt->shutdown().is_ok()) fail("preload shutdown");
}

// W2's batches of 100 as request bodies.
std::vector<std::string> w2_bodies(uint64_t n, uint64_t m) {
  SplitMix64 rng{42};
  uint64_t inserts = 0;
  std::vector<std::string> bodies;
  for (uint64_t j = 0; j < m;) {
    json ops = json::array();
    for (uint64_t end = std::min(m, j + 100); j < end; ++j) {
      uint64_t x = rng.next();
      bool update = x % 10 < 8;
      uint64_t idx = update ? (x >> 8) % n : n + inserts++;
      tree::Label k = benchmark_key(idx);
      auto v = benchmark_value(idx, update ? j + 1 : 0);
      ops.push_back({{"type", update ? "Update" : "Insert"}, {"key", hex(k.data(), k.size())},
                     {"value", hex(v.data(), v.size())}});
    }
    bodies.push_back(json{{"ops", ops}}.dump());
  }
  return bodies;
}

pid_t start_daemon(const std::string& config, int* port) {
  std::string exe = (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "basis-treed").string();
  int out[2];
  if (pipe(out) != 0) fail("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(exe.c_str(), exe.c_str(), "--config", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* in = fdopen(out[0], "r");
  char host[64];
  if (fscanf(in, "listening on %63[^:]:%d", host, port) != 2) fail("the daemon did not start (" + exe + ")");
  fclose(in);
  return pid;
}

}  // namespace

void run_http_workload(bool quick, WorkloadResult* r) {
  const uint64_t n = quick ? 100'000 : 1'000'000, m = n;
  r->workload = "http";
  r->quick = quick;
  r->n = n;
  std::string dir = (std::filesystem::temp_directory_path() / ("basis-bench-http-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  config::Config cfg;
  cfg.storage.data_dir = dir + "/data";
  cfg.logging.level = "warn";
  cfg.server.listen = "127.0.0.1:0";
  preload(cfg, n);
  std::string config_path = dir + "/basis-treed.toml";
  std::ofstream(config_path) << cfg.to_toml();
  int port = 0;
  pid_t daemon = start_daemon(config_path, &port);

  std::vector<std::string> bodies = w2_bodies(n, m);
  std::atomic<size_t> next{0};
  std::vector<std::vector<double>> latencies(kClients);
  std::atomic<bool> failed{false};
  // Every client connects first (untimed): the figures are batches', not
  // connection setups'.
  std::atomic<int> connected{0};
  Clock::time_point started;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      client.set_read_timeout(60, 0);
      if (!client.Get("/v1/digest")) failed = true;
      if (++connected == kClients) started = Clock::now();
      while (connected < kClients) std::this_thread::yield();
      for (size_t i = next++; i < bodies.size() && !failed; i = next++) {
        auto t0 = Clock::now();
        auto res = client.Post("/v1/batch", bodies[i], "application/json");
        if (!res || res->status != 200) {
          failed = true;
          std::string why = res ? std::to_string(res->status) + " " + res->body
                                : "no answer: " + httplib::to_string(res.error());
          std::fprintf(stderr, "basis-bench: http: batch %zu: %s\n", i, why.c_str());
          return;
        }
        latencies[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    });
  }
  for (auto& t : clients) t.join();
  r->seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (failed) fail("a batch failed");
  {
    httplib::Client client("127.0.0.1", port);
    auto d = client.Get("/v1/digest");
    if (d && d->status == 200) r->final_digest = json::parse(d->body)["digest"];
  }
  kill(daemon, SIGTERM);
  int status = 0;
  waitpid(daemon, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("the daemon did not stop cleanly");
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  r->ops = m;
  r->extra["clients"] = kClients;
  r->extra["batches_per_sec"] = static_cast<double>(all.size()) / r->seconds;
  r->extra["p50_ms"] = all[all.size() / 2];
  r->extra["p99_ms"] = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  std::filesystem::remove_all(dir);
}

}  // namespace basis::bench
