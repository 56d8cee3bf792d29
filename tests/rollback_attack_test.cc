// Attacks on rollback (basis/rollback.h): the notes it leaves, versions it
// must reach, long chains of rollbacks, ordering with batches in flight
// (crashes and storage faults: rollback_fault_attack_test). Each test states the promise it
// holds the implementation to; the expected digests come from an in-memory
// tree given exactly the operations that survive.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <random>
#include <thread>

#include "actors/runtime_access.h"
#include "basis/runtime.h"
#include "basis/tree/batch_prover.h"
#include "engine/recovery.h"
#include "storage/oplog.h"
#include "tests/rollback_attack_util.h"
#include "tests/runtime_test_util.h"
#include "tests/support/fault_file_system.h"

using namespace basis;
using basis::storage::testing::TempDir;
using basis::testing::inserts;
using basis::testing::key_of;
using namespace basis::testing::rollback;

namespace {

// The last-resort rebuild of a closed store from its notes.
tree::Status rebuild_closed_from_notes(const config::Config& cfg, tree::Digest* digest) {
  auto db = basis::testing::open_closed_store(cfg.storage.data_dir);
  engine::Recovered r;
  tree::Status s = engine::rebuild_from_notes(db.get(), cfg, &r);
  *digest = r.rebuilt_digest;
  return s;
}

}  // namespace

// The whole log replayed, from the empty tree, through its rollbacks.
tree::Status rebuild_closed_from_log(const config::Config& cfg, tree::Digest* digest) {
  auto db = basis::testing::open_closed_store(cfg.storage.data_dir);
  engine::Recovered r;
  tree::Status s = engine::replay_whole_log(db.get(), cfg, &r);
  if (s.is_ok()) *digest = r.prover->digest();
  return s;
}

// Recovery's last resort, the notes, rebuilds the log's digest only when no
// key ever left the tree and came back: keys a rollback brings back get the
// rollback's sequence as their first (their first insertion in that version
// is not known from the notes), so a rebuild from the notes is refused, as
// after a removal (docs/DESIGN.md, "Rollback"); the log still rebuilds it.
// (Attacks found by a helper: the notes rebuild was expected to succeed.)
TEST_CASE("rollback attack: after a rollback to the empty tree and back, a notes rebuild is refused, the log's is not",
          "[runtime][rollback][attack]") {
  TempDir dir;
  const auto cfg = config_for(dir);
  const tree::Digest full = memory_digest({{0, 10}, {10, 10}, {20, 10}});
  {
    auto rt = open_runtime(cfg);
    for (uint64_t b = 0; b < 3; ++b) REQUIRE(rt->apply_and_wait(inserts(b * 10, 10)).status.is_ok());
    REQUIRE(rt->digest() == full);
    require_rollback(*rt, RollbackTarget::sequence(0), tree::BatchProver(kParams).digest());
    require_rollback(*rt, RollbackTarget::sequence(30), full);
    HealthReport h = rt->check_health(true);
    INFO(h.problem);
    REQUIRE(h.ok);
    REQUIRE(rt->shutdown().is_ok());
  }
  tree::Digest rebuilt{};
  tree::Status s = rebuild_closed_from_notes(cfg, &rebuilt);
  INFO(s.to_string());
  REQUIRE(s.kind() == tree::ErrorKind::kCorruption);  // 30 keys share the rollback's sequence
  REQUIRE(rebuild_closed_from_log(cfg, &rebuilt).is_ok());
  REQUIRE(rebuilt == full);
  auto rt = open_runtime(cfg);  // the refused rebuild changed nothing
  REQUIRE(rt->digest() == full);
}

TEST_CASE("rollback attack: a key that comes back loses its place in the notes' order, and the notes rebuild says so",
          "[runtime][rollback][attack]") {
  TempDir dir;
  const auto cfg = config_for(dir);
  // Key 0 first, then keys 1..20; then back to the empty tree, keys 1..20
  // inserted again, and back to the version with all 21: key 0 is the only
  // one that comes back, and must go before the others in a rebuild.
  const tree::Digest all = memory_digest({{0, 1}, {1, 20}});
  {
    auto rt = open_runtime(cfg);
    REQUIRE(rt->apply_and_wait(inserts(0, 1)).status.is_ok());
    REQUIRE(rt->apply_and_wait(inserts(1, 20)).status.is_ok());
    REQUIRE(rt->digest() == all);
    require_rollback(*rt, RollbackTarget::sequence(0), tree::BatchProver(kParams).digest());
    REQUIRE(rt->apply_and_wait(inserts(1, 20)).status.is_ok());
    require_rollback(*rt, RollbackTarget::sequence(21), all);
    REQUIRE(rt->check_health(true).ok);
    REQUIRE(rt->shutdown().is_ok());
  }
  tree::Digest rebuilt{};
  tree::Status s = rebuild_closed_from_notes(cfg, &rebuilt);
  INFO(s.to_string());
  // Key 0's note says the rollback inserted it, after keys 1..20: another
  // tree, refused, naming the digest that would be accepted.
  REQUIRE(s.kind() == tree::ErrorKind::kCorruption);
  REQUIRE(s.message().find("accept_rebuilt_digest") != std::string::npos);
  REQUIRE(rebuild_closed_from_log(cfg, &rebuilt).is_ok());
  REQUIRE(rebuilt == all);
}

// The version a retained checkpoint holds is reachable, but the keys an
// earlier rollback in the range undone changed are known only from log
// records retention removed: the rollback is refused, naming why and where
// it could go instead (it was a Corruption, 500, before), and changes nothing.
TEST_CASE("rollback attack: back to a retained checkpoint past an earlier rollback whose range was trimmed",
          "[runtime][rollback][attack]") {
  TempDir dir;
  auto cfg = config_for(dir);
  cfg.persistence.checkpoint_retention = 2;
  cfg.persistence.operation_log_retention = std::chrono::milliseconds(1);
  auto rt = open_runtime(cfg);
  REQUIRE(rt->apply_and_wait(inserts(0, 5)).status.is_ok());  // 1..5
  REQUIRE(rt->checkpoint_now().is_ok());
  REQUIRE(rt->apply_and_wait(inserts(5, 5)).status.is_ok());  // 6..10
  REQUIRE(rt->checkpoint_now().is_ok());
  const tree::Digest at10 = rt->digest();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // older than the log's retention
  require_rollback(*rt, RollbackTarget::sequence(5), memory_digest({{0, 5}}));  // 11
  REQUIRE(rt->checkpoint_now().is_ok());  // the rollback's own checkpoint is done; retention ran
  std::vector<CheckpointInfo> checkpoints = rt->checkpoints();
  uint64_t at10_id = 0;
  for (const auto& c : checkpoints) {
    if (c.last_sequence == 10) at10_id = c.id;
  }
  REQUIRE(at10_id != 0);
  std::vector<LogRecord> log;
  REQUIRE(!rt->read_log(10, 1, &log).is_ok());  // 1..10 are gone
  REQUIRE(rt->read_log(11, 1, &log).is_ok());

  const tree::Digest now = rt->digest();
  const uint64_t last = rt->last_sequence();
  RollbackResult r = rt->rollback(RollbackTarget::checkpoint(at10_id));
  INFO(r.status.to_string());
  REQUIRE(r.status.kind() == tree::ErrorKind::kInvalidArgument);
  REQUIRE(r.status.message().find("hold the rollback at 11") != std::string::npos);
  REQUIRE(r.status.message().find("at or after operation 11") != std::string::npos);
  REQUIRE(rt->digest() == now);
  REQUIRE(rt->last_sequence() == last);
  REQUIRE(rt->check_health(true).ok);
  (void)at10;
}

// An operator who undoes and redoes: each rollback nests the one before, by
// digest, "the newest version with it" is the one before the last rollback.
TEST_CASE("rollback attack: undo and redo by digest many times over", "[runtime][rollback][attack]") {
  TempDir dir;
  auto cfg = config_for(dir);
  auto rt = open_runtime(cfg);
  REQUIRE(rt->apply_and_wait(inserts(0, 10)).status.is_ok());
  const tree::Digest before = rt->digest();
  REQUIRE(rt->apply_and_wait(inserts(10, 10)).status.is_ok());
  const tree::Digest after = rt->digest();
  for (int i = 0; i < 80; ++i) {
    const tree::Digest& to = i % 2 == 0 ? before : after;
    RollbackResult r = rt->rollback(RollbackTarget::to_digest(to));
    INFO("rollback " << i << ": " << r.status.to_string());
    REQUIRE(r.status.is_ok());  // was refused at 65: "rollbacks nest too deep"
    REQUIRE(rt->digest() == to);
  }
  REQUIRE(rt->check_health(true).ok);
}

TEST_CASE("rollback attack: to the empty tree and back again across restarts with batches between", "[runtime][rollback][attack]") {
  TempDir dir;
  auto cfg = config_for(dir);
  const tree::Digest empty = tree::BatchProver(kParams).digest();
  const tree::Digest full = memory_digest({{0, 30}});
  {
    auto rt = open_runtime(cfg);
    REQUIRE(rt->apply_and_wait(inserts(0, 30)).status.is_ok());
    RollbackResult r = rt->rollback(RollbackTarget::to_digest(empty));
    INFO(r.status.to_string());
    REQUIRE(r.status.is_ok());
    REQUIRE(r.rolled_back_to == 0);
    REQUIRE(r.sequence == 31);
    REQUIRE(r.undone == 30);
    REQUIRE(rt->digest() == empty);
    REQUIRE(!rt->lookup(key_of(3), false).outcome.existed);
    REQUIRE(rt->check_health(true).ok);
    REQUIRE(rt->shutdown().is_ok());
  }
  {
    auto rt = open_runtime(cfg);
    REQUIRE(rt->digest() == empty);
    REQUIRE(rt->last_sequence() == 31);
    BatchResult b = rt->apply_and_wait(inserts(100, 5));
    REQUIRE(b.status.is_ok());
    REQUIRE(b.first_sequence == 32);
    REQUIRE(b.digest == memory_digest({{100, 5}}));
    require_rollback(*rt, RollbackTarget::sequence(30), full);
    require_rollback(*rt, RollbackTarget::sequence(36), memory_digest({{100, 5}}));  // undo the undo
    REQUIRE(rt->check_health(true).ok);
    REQUIRE(rt->shutdown().is_ok());
  }
  auto rt = open_runtime(cfg);
  REQUIRE(rt->digest() == memory_digest({{100, 5}}));
  REQUIRE(rt->last_sequence() == 38);
  REQUIRE(rt->check_health(true).ok);
}

// Batches in flight before and after a rollback submitted from another
// thread, checkpoints lagging, garbage collected after every checkpoint,
// reads all along: whatever order they met in, the tree is the version
// rolled back to plus exactly the batches logged after the rollback, in
// their order; a restart agrees.
TEST_CASE("rollback attack: batches in flight around a rollback from another thread, with lagging checkpoints",
          "[runtime][rollback][attack]") {
  for (int round = 0; round < 4; ++round) {
    TempDir dir;
    auto cfg = config_for(dir);
    cfg.persistence.checkpoint_interval.operations = 20;
    cfg.persistence.checkpoint_lag_limit = 10;
    cfg.persistence.node_gc_every = 1;
    cfg.persistence.checkpoint_retention = 3;
    cfg.persistence.max_inflight_batches = 8;
    if (round == 2) cfg.persistence.checkpoint_interval.every = std::chrono::seconds(1);  // time-based
    constexpr uint64_t kBatch = 10, kBefore = 20, kAfter = 20;
    std::vector<std::future<BatchResult>> results;
    RollbackResult back;
    tree::Digest final_digest{};
    {
      auto rt = open_runtime(cfg);
      std::atomic<bool> done{false};
      std::thread reader([&] {
        while (!done) {
          (void)rt->digest();
          (void)rt->lookup(key_of(3), round == 1);
        }
      });
      for (uint64_t b = 0; b < kBefore; ++b) results.push_back(rt->apply(inserts(b * kBatch, kBatch)));
      std::thread roller([&] { back = rt->rollback(RollbackTarget::sequence(50)); });
      if (round == 3) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      for (uint64_t b = kBefore; b < kBefore + kAfter; ++b) results.push_back(rt->apply(inserts(b * kBatch, kBatch)));
      roller.join();
      for (auto& f : results) f.wait();
      done = true;
      reader.join();
      INFO(back.status.to_string());
      REQUIRE(back.status.is_ok());
      REQUIRE(back.rolled_back_to == 50);
      REQUIRE(back.undone == back.sequence - 1 - 50);
      std::vector<std::pair<uint64_t, uint64_t>> surviving{{0, 50}};
      std::vector<std::pair<uint64_t, uint64_t>> later;  // first sequence, batch
      for (uint64_t b = 0; b < results.size(); ++b) {
        BatchResult r = results[b].get();
        INFO("batch " << b << ": " << r.status.to_string());
        REQUIRE(r.status.is_ok());
        REQUIRE(r.first_sequence != back.sequence);
        if (b < kBefore) REQUIRE(r.first_sequence < back.sequence);  // submitted before
        if (r.first_sequence > back.sequence) later.emplace_back(r.first_sequence, b);
      }
      std::sort(later.begin(), later.end());
      for (auto [seq, b] : later) surviving.emplace_back(b * kBatch, kBatch);
      final_digest = memory_digest(surviving);
      REQUIRE(rt->digest() == final_digest);
      REQUIRE(rt->last_sequence() == back.sequence + later.size() * kBatch);
      HealthReport h = rt->check_health(true);
      INFO(h.problem);
      REQUIRE(h.ok);
      REQUIRE(rt->shutdown().is_ok());
    }
    auto rt = open_runtime(cfg);
    REQUIRE(rt->digest() == final_digest);
    REQUIRE(rt->check_health(true).ok);
  }
}

// "Start over" again and again: each rollback to the empty tree holds all
// the earlier ones in its range, each of those all the ones before it. The
// log stays small (two records a round): each rollback must cost about
// the records it reads, never one scan per path through the nesting.
TEST_CASE("rollback attack: many rollbacks to the empty tree, each over all the earlier ones",
          "[runtime][rollback][attack]") {
  TempDir dir;
  auto cfg = config_for(dir);
  auto rt = open_runtime(cfg);
  const tree::Digest empty = tree::BatchProver(kParams).digest();
  for (uint64_t round = 0; round < 30; ++round) {
    REQUIRE(rt->apply_and_wait(inserts(round, 1)).status.is_ok());
    auto started = std::chrono::steady_clock::now();
    RollbackResult r = rt->rollback(RollbackTarget::sequence(0));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    INFO("round " << round << " (" << seconds << " s): " << r.status.to_string().substr(0, 300));
    REQUIRE(r.status.is_ok());  // was refused at round 19 (39 records): "a rollback undoes at most 1000000 log records"
    REQUIRE(r.digest == empty);
    REQUIRE(seconds < 2);  // took twice as long each round: 1.5 s at round 19
  }
  REQUIRE(rt->last_sequence() == 60);
  REQUIRE(rt->check_health(true).ok);
}

// Random single operations of every kind on a few keys, and rollbacks to
// random earlier versions (over earlier rollbacks, often): after each, the
// digest is the one the log had at that version, and every note matches
// its leaf (the keys a rollback rewrites are all the keys that differ).
TEST_CASE("rollback attack: random operations and rollbacks keep digests and notes right", "[runtime][rollback][attack]") {
  TempDir dir;
  auto cfg = config_for(dir);
  cfg.persistence.checkpoint_interval.operations = 7;
  cfg.persistence.checkpoint_retention = 1000;
  auto rt = open_runtime(cfg);
  std::vector<tree::Digest> at{rt->digest()};  // at[s]: the digest after operation s
  std::mt19937_64 random(15);
  const tree::OpType types[] = {tree::OpType::kInsert, tree::OpType::kUpdate, tree::OpType::kInsertOrUpdate,
                                tree::OpType::kRemove, tree::OpType::kRemoveIfExists};
  for (int step = 0; step < 200; ++step) {
    if (random() % 4 == 0) {
      const uint64_t to = random() % at.size();
      RollbackResult r = rt->rollback(RollbackTarget::sequence(to));
      INFO("step " << step << ": rollback to " << to << ": " << r.status.to_string().substr(0, 300));
      REQUIRE(r.status.is_ok());
      REQUIRE(r.digest == at[to]);
      if (r.sequence) at.push_back(r.digest);
    } else {
      const uint64_t k = random() % 12;
      std::vector<OwnedOperation> op{{types[random() % 5], key_of(k), basis::testing::value_of(k, random() % 3), 0}};
      BatchResult b = rt->apply_and_wait(std::move(op));
      REQUIRE(b.status.is_ok());
      if (b.last_sequence + 1 > at.size()) at.push_back(b.digest);
    }
    REQUIRE(rt->last_sequence() + 1 == at.size());
    HealthReport h = rt->check_health(true);
    INFO("step " << step << ": " << h.problem);
    REQUIRE(h.ok);
  }
  REQUIRE(rt->shutdown().is_ok());
  rt = open_runtime(cfg);
  REQUIRE(rt->digest() == at.back());
  REQUIRE(rt->check_health(true).ok);
}

// Undo and redo while no checkpoint can be written (the node files fail):
// a restart must replay the rollbacks, each of which builds the version
// before the last one. That must cost about the log, not a build per path:
// twice the rounds, about twice the time.
namespace {

void undo_redo_then_restart(int rounds) {
  TempDir dir;
  auto cfg = config_for(dir);
  const tree::Digest before = memory_digest({{0, 10}}), after = memory_digest({{0, 20}});
  {
    basis::testing::FaultEnv env;
    std::unique_ptr<Runtime> rt;
    REQUIRE(actors::RuntimeAccess::open(cfg, env.env.get(), &rt).is_ok());
    REQUIRE(rt->apply_and_wait(inserts(0, 5)).status.is_ok());
    REQUIRE(rt->checkpoint_now().is_ok());
    env.fs->fail_next(basis::testing::Fault::kWrite, basis::testing::kAllFiles, UINT64_MAX, "ingest-");
    REQUIRE(rt->apply_and_wait(inserts(5, 5)).status.is_ok());
    REQUIRE(rt->apply_and_wait(inserts(10, 10)).status.is_ok());
    for (int i = 0; i < rounds; ++i) {
      RollbackResult r = rt->rollback(RollbackTarget::to_digest(i % 2 == 0 ? before : after));
      INFO("rollback " << i << ": " << r.status.to_string());
      REQUIRE(r.status.is_ok());
    }
    REQUIRE(rt->digest() == (rounds % 2 == 0 ? after : before));
    for (const auto& c : rt->checkpoints()) REQUIRE(c.last_sequence == 5);
    (void)rt->shutdown();
    REQUIRE(env.fs->injected(basis::testing::Fault::kWrite) > 0);
  }
  auto rt = open_runtime(cfg);
  REQUIRE(rt->digest() == (rounds % 2 == 0 ? after : before));
  REQUIRE(rt->last_sequence() == 20 + static_cast<uint64_t>(rounds));
  REQUIRE(rt->check_health(true).ok);
}

}  // namespace

// Building a version by replaying through each rollback's own version again
// grew as Fibonacci(k + 2) with k rounds of undo and redo between
// checkpoints (2,584 builds after 16 rounds, 5.7 million after 32: hours).
// Along the version's chain (engine/version_chain.h) 40 rounds take well
// under a second, so a regression shows as a timeout, not as a bound on time.
TEST_CASE("rollback attack: a restart after undo and redo with every checkpoint failing",
          "[runtime][rollback][attack][recovery]") {
  undo_redo_then_restart(40);
}
