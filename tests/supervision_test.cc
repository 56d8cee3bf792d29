// Each supervised actor meets a real I/O fault through the fault-injecting
// file system: the node writer quits on a failed node table and is
// restarted; the checkpointer and the oplog appender answer with the error
// and stay. In every case nothing acknowledged is lost.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "basis/runtime.h"
#include "actors/runtime_access.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"
#include "tests/support/fault_file_system.h"

using namespace basis;
using namespace basis::actors;
using basis::storage::testing::TempDir;
using namespace basis::testing;

namespace {

std::vector<OwnedOperation> w1_batch(uint64_t first, uint64_t count) { return inserts(first, count); }

config::Config seal_on_demand(const TempDir& dir) {
  config::Config c;
  c.storage.data_dir = dir.path("data");
  c.logging.level = "off";
  c.persistence.checkpoint_interval.operations = 100'000'000;  // the test seals, nothing else
  c.persistence.node_ingest_min_size = 0;  // every seal's nodes in a table file: "ingest-" faults reach them
  return c;
}

}  // namespace

namespace {

// A runtime whose files go through `fault`, and an in-memory model of it.
struct FaultedRuntime {
  explicit FaultedRuntime(const config::Config& c) : cfg(c) { reopen(); }
  void reopen() {
    rt.reset();
    tree::Status s = actors::RuntimeAccess::open(cfg, fault.env.get(), &rt);
    INFO(s.to_string());
    REQUIRE(s.is_ok());
  }
  void apply(uint64_t first) {
    auto ops = w1_batch(first, 300);
    BatchResult r = rt->apply_and_wait(ops);
    INFO(r.status.to_string());
    REQUIRE(r.status.is_ok());
    tree::OpOutcome out;
    for (const auto& op : ops) REQUIRE(model.perform(op.view(), &out).is_ok());
    model.end_batch();
    REQUIRE(r.digest == model.digest());
  }
  config::Config cfg;
  FaultEnv fault;
  tree::BatchProver model{tree::TreeParams{32, std::nullopt}};
  std::unique_ptr<Runtime> rt;
};

}  // namespace

TEST_CASE("a failed write of a node table makes the node writer quit, it is restarted and nothing is lost",
          "[runtime][supervision]") {
  TempDir dir;
  FaultedRuntime f(seal_on_demand(dir));
  uint64_t next = 0;
  for (int b = 0; b < 10; ++b, next += 300) f.apply(next);
  // The seal's node table (ingest-*.sst) fails to write: the node writer
  // quits, the checkpoint is not written.
  f.fault.fs->fail_next(Fault::kWrite, kTableFile, 1, "ingest-");
  tree::Status failed = f.rt->checkpoint_now();
  INFO(failed.to_string());
  REQUIRE_FALSE(failed.is_ok());
  REQUIRE(f.fault.fs->injected(Fault::kWrite, kTableFile) == 1);
  for (int wait = 0; wait < 500 && f.rt->restarts() == 0; ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(f.rt->restarts() == 1);
  REQUIRE(f.rt->checkpoints().empty());
  for (int b = 0; b < 5; ++b, next += 300) f.apply(next);
  tree::Status cp = f.rt->checkpoint_now();  // every node is written and verified again
  INFO(cp.to_string());
  REQUIRE(cp.is_ok());
  REQUIRE(f.rt->checkpoints().size() == 1);
  REQUIRE(f.rt->shutdown().is_ok());
  f.reopen();
  REQUIRE(f.rt->recovery().replayed == 0);  // from the checkpoint sealed at shutdown
  REQUIRE(f.rt->digest() == f.model.digest());
  REQUIRE(f.rt->last_sequence() == 15 * 300);
  REQUIRE(f.rt->check_health(true).ok);
}

TEST_CASE("a checkpoint whose record meets a full disk fails with that error, the checkpointer stays, and "
          "writes wait for a restart", "[runtime][supervision]") {
  TempDir dir;
  FaultedRuntime f(seal_on_demand(dir));
  uint64_t next = 0;
  for (int b = 0; b < 10; ++b, next += 300) f.apply(next);
  // No batch is in flight: the next WAL write is the checkpoint record's.
  f.fault.fs->fail_next(Fault::kNoSpace, kWalFile, 1);
  tree::Status failed = f.rt->checkpoint_now();
  INFO(failed.to_string());
  REQUIRE(failed.kind() == tree::ErrorKind::kResourceExhausted);
  REQUIRE(failed.message().find("No space left on device") != std::string::npos);
  REQUIRE(f.fault.fs->injected(Fault::kNoSpace, kWalFile) == 1);
  REQUIRE(f.rt->checkpoints().empty());
  // The WAL failed: the next checkpoint is refused too, saying why, and the
  // checkpointer was never restarted.
  tree::Status again = f.rt->checkpoint_now();
  INFO(again.to_string());
  REQUIRE(again.message().find("restart to write again") != std::string::npos);
  REQUIRE(f.rt->restarts() == 0);
  f.reopen();
  REQUIRE(f.rt->digest() == f.model.digest());
  REQUIRE(f.rt->last_sequence() == 10 * 300);
  REQUIRE(f.rt->checkpoint_now().is_ok());
  REQUIRE(f.rt->checkpoints().size() == 1);
  for (int b = 0; b < 5; ++b, next += 300) f.apply(next);
  REQUIRE(f.rt->shutdown().is_ok());
  f.reopen();
  REQUIRE(f.rt->digest() == f.model.digest());
  REQUIRE(f.rt->last_sequence() == 15 * 300);
}

TEST_CASE("a log write that meets a full disk refuses the batch, the appender stays, and writing waits for a "
          "restart", "[runtime][supervision]") {
  TempDir dir;
  FaultedRuntime f(seal_on_demand(dir));
  uint64_t next = 0;
  for (int b = 0; b < 5; ++b, next += 300) f.apply(next);
  f.fault.fs->fail_next(Fault::kNoSpace, kWalFile, 1);
  BatchResult refused = f.rt->apply_and_wait(w1_batch(next, 300));
  INFO(refused.status.to_string());
  REQUIRE(refused.status.kind() == tree::ErrorKind::kResourceExhausted);
  REQUIRE(f.rt->last_sequence() == 5 * 300);  // the durable state
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past the back-off
  BatchResult retried = f.rt->apply_and_wait(w1_batch(next, 300));
  INFO(retried.status.to_string());
  REQUIRE(retried.status.message().find("restart to write again") != std::string::npos);
  REQUIRE(f.rt->restarts() == 0);
  f.reopen();
  REQUIRE(f.rt->digest() == f.model.digest());
  for (int b = 0; b < 2; ++b, next += 300) f.apply(next);
  REQUIRE(f.rt->shutdown().is_ok());
  f.reopen();
  REQUIRE(f.rt->digest() == f.model.digest());
}
