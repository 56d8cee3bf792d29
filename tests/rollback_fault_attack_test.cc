// Attacks on rollback (basis/rollback.h) around crashes and storage faults:
// a SIGKILL right after acknowledged rollbacks, failing writes of the
// rollback's record, failing reads while it is prepared.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actors/runtime_access.h"
#include "basis/runtime.h"
#include "tests/rollback_attack_util.h"
#include "tests/runtime_test_util.h"
#include "tests/self_exec.h"
#include "tests/support/fault_file_system.h"

using namespace basis;
using namespace basis::testing::rollback;
using basis::storage::testing::TempDir;
using basis::testing::inserts;
using basis::testing::key_of;

// The child: batches, checkpoints, a rollback, a batch, a rollback past the
// first one (nested), a batch, each acknowledged; then SIGKILL at once, the
// last rollback's checkpoint under way. With BASIS_RB_NO_CHECKPOINTS, every
// node file the checkpoints write fails from the first rollback on: no
// rollback is ever checkpointed, and recovery must replay through them.
TEST_CASE("child: rollbacks then SIGKILL", "[.]") {
  const std::string data = basis::testing::child_env("BASIS_RB_DATA");
  if (data.empty()) return;  // run by the crash test only
  const bool no_checkpoints = !basis::testing::child_env("BASIS_RB_NO_CHECKPOINTS").empty();
  config::Config cfg;
  cfg.storage.data_dir = data;
  cfg.tree.key_length = 32;
  cfg.persistence.node_cache_size = 64u << 20;
  cfg.persistence.checkpoint_interval.operations = 1'000'000;
  cfg.persistence.node_ingest_min_size = 0;  // every seal's nodes in a table file: "ingest-" faults reach them
  cfg.logging.level = "off";
  basis::testing::FaultEnv fault;
  std::unique_ptr<Runtime> rt;
  if (!actors::RuntimeAccess::open(cfg, fault.env.get(), &rt).is_ok()) _exit(3);
  for (uint64_t b = 0; b < 10; ++b) {
    if (!rt->apply_and_wait(inserts(b * 20, 20)).status.is_ok()) _exit(4);
    if ((b == 2 || b == 7) && !rt->checkpoint_now().is_ok()) _exit(5);
  }
  if (no_checkpoints) fault.fs->fail_next(basis::testing::Fault::kWrite, basis::testing::kAllFiles, UINT64_MAX, "ingest-");
  if (!rt->rollback(RollbackTarget::sequence(60)).status.is_ok()) _exit(6);  // 201
  if (!rt->apply_and_wait(inserts(1000, 20)).status.is_ok()) _exit(7);       // 202..221
  if (!rt->rollback(RollbackTarget::sequence(180)).status.is_ok()) _exit(8); // 222, passes 201
  if (!rt->apply_and_wait(inserts(2000, 5)).status.is_ok()) _exit(9);        // 223..227
  RollbackResult last = rt->rollback(RollbackTarget::sequence(225));         // 228
  if (!last.status.is_ok() || last.sequence != 228) _exit(10);
  raise(SIGKILL);
}

TEST_CASE("rollback attack: a SIGKILL right after acknowledged rollbacks, checkpointed or not",
          "[runtime][rollback][attack][crash]") {
  for (bool no_checkpoints : {false, true}) {
    TempDir dir;
    const auto cfg = config_for(dir);
    std::vector<std::pair<std::string, std::string>> env{{"BASIS_RB_DATA", cfg.storage.data_dir}};
    if (no_checkpoints) env.emplace_back("BASIS_RB_NO_CHECKPOINTS", "1");
    pid_t child = basis::testing::run_self("child: rollbacks then SIGKILL", env);
    REQUIRE(child > 0);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    INFO("no_checkpoints " << no_checkpoints << ", exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1));
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
    const tree::Digest expected = memory_digest({{0, 180}, {2000, 3}});
    for (int reopen = 0; reopen < 2; ++reopen) {
      auto rt = open_runtime(cfg);
      REQUIRE(rt->digest() == expected);
      if (no_checkpoints && reopen == 0) {
        for (const auto& c : rt->checkpoints()) REQUIRE(c.last_sequence <= 201);  // the later rollbacks were replayed
      }
      const uint64_t last = reopen == 0 ? 228 : 231;
      REQUIRE(rt->last_sequence() == last);
      HealthReport h = rt->check_health(true);
      INFO(h.problem);
      REQUIRE(h.ok);
      BatchResult more = rt->apply_and_wait(inserts(3000, 2));
      REQUIRE(more.status.is_ok());
      REQUIRE(more.first_sequence == last + 1);
      REQUIRE(more.start_digest == expected);
      if (reopen == 0) {
        require_rollback(*rt, RollbackTarget::sequence(228), expected);  // 231: undo the batch again
      }
      REQUIRE(rt->shutdown().is_ok());
    }
  }
}

// The rollback's record cannot be written: it is refused, the tree stays the
// durable one (reads there), and after a restart the store is whole: at
// the rollback's version only if its record did reach the log.
TEST_CASE("rollback attack: the write of a rollback's record fails", "[runtime][rollback][attack][storage]") {
  for (auto fault : {basis::testing::Fault::kWrite, basis::testing::Fault::kSync}) {
    TempDir dir;
    const auto cfg = config_for(dir);
    const tree::Digest at40 = memory_digest({{0, 40}}), at100 = memory_digest({{0, 100}});
    {
      basis::testing::FaultEnv env;
      std::unique_ptr<Runtime> rt;
      REQUIRE(actors::RuntimeAccess::open(cfg, env.env.get(), &rt).is_ok());
      for (uint64_t b = 0; b < 5; ++b) REQUIRE(rt->apply_and_wait(inserts(b * 20, 20)).status.is_ok());
      REQUIRE(rt->checkpoint_now().is_ok());
      env.fs->fail_next(fault, basis::testing::kWalFile, UINT64_MAX);
      RollbackResult r = rt->rollback(RollbackTarget::sequence(40));
      INFO(basis::testing::fault_name(fault) << ": " << r.status.to_string());
      REQUIRE(!r.status.is_ok());
      REQUIRE(r.sequence == 0);
      REQUIRE(r.digest == at100);
      REQUIRE(env.fs->injected(fault, basis::testing::kWalFile) >= 1);
      REQUIRE(rt->digest() == at100);
      REQUIRE(rt->last_sequence() == 100);
      REQUIRE(rt->lookup(key_of(70), false).outcome.existed);
      // Refused for a while, as batches are.
      REQUIRE(!rt->rollback(RollbackTarget::sequence(40)).status.is_ok());
      REQUIRE(rt->digest() == at100);
      env.fs->clear_faults();
      (void)rt->shutdown();
    }
    auto rt = open_runtime(cfg);
    INFO(basis::testing::fault_name(fault));
    const uint64_t last = rt->last_sequence();
    REQUIRE((last == 100 || last == 101));
    REQUIRE(rt->digest() == (last == 100 ? at100 : at40));
    HealthReport h = rt->check_health(true);
    INFO(h.problem);
    REQUIRE(h.ok);
    require_rollback(*rt, RollbackTarget::sequence(40), at40);
    REQUIRE(rt->check_health(true).ok);
  }
}

// Reading what a rollback builds on fails: refused, nothing changed.
TEST_CASE("rollback attack: the store cannot be read while a rollback is prepared", "[runtime][rollback][attack][storage]") {
  TempDir dir;
  const auto cfg = config_for(dir);
  const tree::Digest at100 = memory_digest({{0, 100}});
  basis::testing::FaultEnv env;
  std::unique_ptr<Runtime> rt;
  REQUIRE(actors::RuntimeAccess::open(cfg, env.env.get(), &rt).is_ok());
  REQUIRE(rt->apply_and_wait(inserts(0, 20)).status.is_ok());
  REQUIRE(rt->checkpoint_now().is_ok());
  for (uint64_t b = 1; b < 5; ++b) REQUIRE(rt->apply_and_wait(inserts(b * 20, 20)).status.is_ok());
  REQUIRE(rt->checkpoint_now().is_ok());
  REQUIRE(rt->compact().is_ok());  // everything in table files
  env.fs->fail_next(basis::testing::Fault::kRead, basis::testing::kTableFile, UINT64_MAX);
  RollbackResult r = rt->rollback(RollbackTarget::sequence(30));
  INFO(r.status.to_string() << ", reads failed: " << env.fs->injected(basis::testing::Fault::kRead));
  env.fs->clear_faults();
  if (r.status.is_ok()) {
    // The reads it needed were cached: then it must be right.
    REQUIRE(r.digest == memory_digest({{0, 30}}));
    REQUIRE(rt->digest() == r.digest);
  } else {
    REQUIRE(r.sequence == 0);
    REQUIRE(rt->last_sequence() == 100);
    REQUIRE(rt->digest() == at100);
  }
  REQUIRE(rt->check_health(true).ok);
}

