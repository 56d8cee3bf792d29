// REOPEN: a store of W1 (1,000,000 keys, or 100,000 quick) with 10,000
// operations after its last checkpoint, left by a SIGKILL. Measures the
// reopen (recovery, replay included), the first served proof, and a full
// verification of the checkpoint with recovery_parallelism = 2 (in the
// background, from the end of the reopen).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"
#include "bench/workloads.h"

namespace basis::bench {

using namespace basis::actors;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint64_t kAfterCheckpoint = 10'000;

std::vector<OwnedOperation> inserts(uint64_t first, uint64_t count) {
  std::vector<OwnedOperation> ops;
  for (uint64_t i = first; i < first + count; ++i) {
    tree::Label k = benchmark_key(i);
    auto v = benchmark_value(i, 0);
    ops.push_back({tree::OpType::kInsert, tree::Bytes(k.begin(), k.end()), tree::Bytes(v.begin(), v.end()), 0});
  }
  return ops;
}

void fail(const std::string& what) {
  std::fprintf(stderr, "basis-bench: reopen: %s\n", what.c_str());
  std::exit(1);
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// The child builds the store and dies without shutting down.
void build_killed_store(const config::Config& cfg, uint64_t n) {
  int ready[2];
  if (pipe(ready) != 0) fail("pipe");
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    std::unique_ptr<Runtime> rt;
    if (!Runtime::open(cfg, &rt).is_ok()) _exit(2);
    std::vector<std::future<BatchResult>> inflight;
    for (uint64_t i = 0; i < n; i += 1000) inflight.push_back(rt->apply(inserts(i, 1000)));
    for (auto& f : inflight) if (!f.get().status.is_ok()) _exit(3);
    if (!rt->checkpoint_now().is_ok()) _exit(4);
    for (uint64_t i = n; i < n + kAfterCheckpoint; i += 1000) {
      if (!rt->apply_and_wait(inserts(i, 1000)).status.is_ok()) _exit(5);
    }
    char ok = 1;
    if (::write(ready[1], &ok, 1) != 1) _exit(6);
    ::pause();  // killed here: 10,000 acknowledged operations after the checkpoint
    _exit(0);
  }
  close(ready[1]);
  char ok = 0;
  if (::read(ready[0], &ok, 1) != 1) fail("the store was not built");
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);

}

}  // namespace

void run_reopen_workload(bool quick, WorkloadResult* r) {
  const uint64_t n = quick ? 100'000 : 1'000'000;
  r->workload = "reopen";
  r->quick = quick;
  r->n = n;
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("basis-bench-reopen-" + std::to_string(::getpid()))).string();
  std::filesystem::remove_all(dir);
  config::Config cfg;
  cfg.storage.data_dir = dir;
  cfg.logging.level = "warn";
  cfg.persistence.checkpoint_interval.operations = 100'000'000;  // only the explicit one
  cfg.persistence.recovery_parallelism = 2;

  // For profiling: BASIS_REOPEN_TEMPLATE names a copy of the killed store,
  // made on the first run and reused by later ones.
  const char* tmpl = std::getenv("BASIS_REOPEN_TEMPLATE");
  if (tmpl && std::filesystem::exists(tmpl)) {
    std::filesystem::copy(tmpl, dir, std::filesystem::copy_options::recursive);
  } else {
    build_killed_store(cfg, n);
    if (tmpl) std::filesystem::copy(dir, tmpl, std::filesystem::copy_options::recursive);
  }

  auto start = Clock::now();
  std::unique_ptr<Runtime> rt;
  if (tree::Status s = Runtime::open(cfg, &rt); !s.is_ok()) fail(s.to_string());
  auto opened = Clock::now();
  r->extra["reopen_ms"] = ms_since(start);
  tree::Label k = benchmark_key(n + kAfterCheckpoint - 1);
  LookupResult first = rt->lookup(tree::Bytes(k.begin(), k.end()), true);
  if (!first.status.is_ok() || !first.outcome.existed) fail("first proof: " + first.status.to_string());
  r->extra["first_proof_ms"] = ms_since(start);
  r->extra["open_ms"] = rt->recovery().open_ms;
  r->extra["load_ms"] = rt->recovery().load_ms;
  r->extra["replay_ms"] = rt->recovery().replay_ms;
  r->extra["replayed"] = static_cast<double>(rt->recovery().replayed);
  r->final_digest = tree::to_hex(rt->digest());
  r->ops = rt->recovery().replayed;
  r->seconds = r->extra["reopen_ms"] / 1000;

  // The full verification runs in the background from the end of open()
  // (recovery_validation = "background", the default).
  for (;;) {
    BackgroundStatus st = rt->background();  // cheap: polled every millisecond
    if (st.verification == VerificationState::kRunning) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    if (st.verification != VerificationState::kPassed) fail("background verification: " + st.verification_problem);
    r->extra["full_verify_ms"] = ms_since(opened);
    r->extra["verified_nodes"] = static_cast<double>(st.verified_nodes);
    break;
  }
  (void)rt->shutdown();
  rt.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace basis::bench
