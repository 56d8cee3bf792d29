// Supervision of the tree prover: one that dies (out of memory, here a real
// std::bad_alloc from the allocator) is rebuilt from the durable state;
// callers in flight get an error Status, never a hang or an exception; one
// that keeps dying is given up on with a refusal that says so, and the
// runtime still shuts down.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "basis/runtime.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"
#include "tests/support/allocation_faults.h"

using namespace basis;
using namespace basis::actors;
using basis::storage::testing::TempDir;
using namespace std::chrono_literals;

namespace {

// No other code allocates exactly this many bytes: the copy of such a value
// into the tree or its log record is what fails.
constexpr size_t kPoisonedValueBytes = 777'777;

config::Config config_in(const TempDir& dir) {
  config::Config c;
  c.storage.data_dir = dir.path("data");
  c.tree.key_length = 32;  // values of any length
  c.persistence.node_cache_size = 64u << 20;
  c.persistence.checkpoint_interval.operations = 700;
  return c;
}

std::vector<OwnedOperation> poisoned_batch(uint64_t key) {
  return {{tree::OpType::kInsert, basis::testing::key_of(key), tree::Bytes(kPoisonedValueBytes, 0x5a), 0}};
}

// The answer, failing the test if it does not come within `limit`.
BatchResult answer_of(std::future<BatchResult> f, std::chrono::seconds limit = 20s) {
  REQUIRE(f.wait_for(limit) == std::future_status::ready);
  return f.get();
}

// Waits until a prover serves again; false after `limit`.
bool served_within(Runtime& rt, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (rt.state().served) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

struct Model {
  tree::BatchProver prover{tree::TreeParams{32, std::nullopt}};
  uint64_t logged = 0;
  void apply(const std::vector<OwnedOperation>& ops) {
    tree::OpOutcome out;
    for (const auto& op : ops) {
      REQUIRE(prover.perform(op.view(), &out).is_ok());
      ++logged;
    }
    prover.end_batch();
  }
};

}  // namespace

TEST_CASE("a prover that dies is rebuilt from the durable state, and callers get an error, not a hang",
          "[runtime][supervision]") {
  TempDir dir;
  auto cfg = config_in(dir);
  Model model;
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    uint64_t next = 0;
    for (int b = 0; b < 10; ++b, next += 200) {
      auto ops = basis::testing::inserts(next, 200);
      REQUIRE(rt->apply_and_wait(ops).status.is_ok());
      model.apply(ops);
    }
    const uint64_t restarts_before = rt->restarts();

    auto poisoned = poisoned_batch(next);  // built before arming: the caller's copy must not fail
    basis::testing::fail_allocations_of(kPoisonedValueBytes, 1);
    BatchResult dead = answer_of(rt->apply(std::move(poisoned)));
    REQUIRE(basis::testing::failed_allocations() == 1);
    INFO(dead.status.to_string());
    REQUIRE(dead.status.kind() == tree::ErrorKind::kUnavailable);
    // A batch and a read right after it: answered (refused, or by the new
    // prover), never left waiting.
    auto ops = basis::testing::inserts(next + 1, 50);
    BatchResult racing = answer_of(rt->apply(ops));
    if (racing.status.is_ok()) {
      model.apply(ops);
    } else {
      REQUIRE(racing.status.kind() == tree::ErrorKind::kUnavailable);
    }
    LookupResult lookup = rt->lookup(basis::testing::key_of(0), true);
    REQUIRE((lookup.status.is_ok() || lookup.status.kind() == tree::ErrorKind::kUnavailable));

    REQUIRE(served_within(*rt, 10s));
    REQUIRE(rt->restarts() > restarts_before);
    Runtime::TreeState state = rt->state();
    REQUIRE(state.writes.is_ok());
    REQUIRE(state.last_sequence == model.logged);  // every acknowledged batch, nothing else
    REQUIRE(state.digest == model.prover.digest());

    // It serves as before: the value that failed goes in now, proofs hold.
    next += 100;
    auto big = poisoned_batch(next);
    BatchResult r = answer_of(rt->apply(big));
    INFO(r.status.to_string());
    REQUIRE(r.status.is_ok());
    model.apply(big);
    REQUIRE(r.digest == model.prover.digest());
    REQUIRE(rt->check_health(true).ok);
    REQUIRE(rt->checkpoint_now().is_ok());
    REQUIRE(rt->shutdown().is_ok());
  }
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->digest() == model.prover.digest());
  REQUIRE(rt->last_sequence() == model.logged);
}

TEST_CASE("a prover that keeps dying is given up on with a clear refusal, and the runtime still shuts down",
          "[runtime][supervision]") {
  TempDir dir;
  auto cfg = config_in(dir);
  Model model;
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    auto ops = basis::testing::inserts(0, 300);
    REQUIRE(rt->apply_and_wait(ops).status.is_ok());
    model.apply(ops);

    bool given_up = false;
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (!given_up && std::chrono::steady_clock::now() < until) {
      basis::testing::stop_failing_allocations();
      auto poisoned = poisoned_batch(1'000'000);
      basis::testing::fail_allocations_of(kPoisonedValueBytes, UINT64_MAX);
      BatchResult r = answer_of(rt->apply(std::move(poisoned)));
      REQUIRE(r.status.kind() == tree::ErrorKind::kUnavailable);
      given_up = r.status.message().find("not rebuilt again") != std::string::npos;
      if (!given_up) std::this_thread::sleep_for(20ms);
    }
    basis::testing::stop_failing_allocations();
    REQUIRE(given_up);
    // Everything is refused at once and says why; nothing waits.
    Runtime::TreeState state = rt->state();
    REQUIRE_FALSE(state.served);
    REQUIRE(state.writes.kind() == tree::ErrorKind::kUnavailable);
    REQUIRE(state.writes.message().find("restart the service") != std::string::npos);
    REQUIRE(state.restart_needed);  // the daemon exits 75 on it, for its service manager to restart it
    BatchResult refused = answer_of(rt->apply(basis::testing::inserts(300, 10)), 2s);
    REQUIRE(refused.status.kind() == tree::ErrorKind::kUnavailable);
    REQUIRE(rt->lookup(basis::testing::key_of(0), false).status.kind() == tree::ErrorKind::kUnavailable);
    REQUIRE(rt->what_if(basis::testing::inserts(300, 1)).status.kind() == tree::ErrorKind::kUnavailable);
    REQUIRE_FALSE(rt->check_health(false).ok);
    auto stopping = std::async(std::launch::async, [&] { return rt->shutdown(); });
    REQUIRE(stopping.wait_for(20s) == std::future_status::ready);
    REQUIRE(stopping.get().kind() == tree::ErrorKind::kUnavailable);  // no final checkpoint
  }
  // Nothing acknowledged was lost.
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->digest() == model.prover.digest());
  REQUIRE(rt->last_sequence() == model.logged);
}

TEST_CASE("a runtime opened on one thread shuts down from another", "[runtime]") {
  // CAF 0.17 keeps a thread-local reference on every thread that spawns; a
  // host thread that opened the runtime and lives on must not hang shutdown.
  TempDir dir;
  auto cfg = config_in(dir);
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->apply_and_wait(basis::testing::inserts(0, 100)).status.is_ok());
  REQUIRE(rt->pin_checkpoint(999).kind() == tree::ErrorKind::kNotFound);  // a blocking call from this thread
  auto stopping = std::async(std::launch::async, [&] { return rt->shutdown(); });
  REQUIRE(stopping.wait_for(20s) == std::future_status::ready);
  REQUIRE(stopping.get().is_ok());
}
