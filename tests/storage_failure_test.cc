// A write of the operation log fails in the file system (a full disk, an
// I/O error on a write or a sync of the WAL): the batch is refused with a
// clear error, the tree goes back to its durable state (reads and proofs go
// on there), later batches are refused, and after a restart nothing
// acknowledged is lost. A disk budget refuses batches before RocksDB writes.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "basis/runtime.h"
#include "actors/runtime_access.h"
#include "bench/benchmark_data.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"
#include "tests/support/fault_file_system.h"
#include "basis/tree/batch_verifier.h"

using namespace basis;
using basis::storage::testing::TempDir;
using basis::testing::inserts;
using namespace basis::testing;

namespace {

// Opens a runtime whose files all go through `fault`.
std::unique_ptr<basis::Runtime> open_on(const config::Config& cfg, FaultEnv& fault) {
  std::unique_ptr<basis::Runtime> rt;
  tree::Status s = actors::RuntimeAccess::open(cfg, fault.env.get(), &rt);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  return rt;
}

// While the WAL fails (`fault` on its files), a batch is refused with
// `kind`, naming `what`; reads go on at the durable state; writes stay
// refused until a restart, which has every acknowledged batch and writes.
void fail_the_log(Fault fault, tree::ErrorKind kind, const std::string& what, bool comes_back) {
  TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  FaultEnv env;
  tree::BatchProver model(tree::TreeParams{32, std::nullopt});
  tree::OpOutcome out;
  auto rt = open_on(cfg, env);
  for (const auto& op : inserts(0, 100)) REQUIRE(model.perform(op.view(), &out).is_ok());
  REQUIRE(rt->apply_and_wait(inserts(0, 100)).status.is_ok());
  const tree::Digest durable = rt->digest();

  env.fs->fail_next(fault, kWalFile, UINT64_MAX);  // until cleared
  basis::BatchResult failed = rt->apply_and_wait(inserts(100, 50));
  INFO(failed.status.to_string());
  REQUIRE(failed.status.kind() == kind);
  REQUIRE(failed.status.message().find(what) != std::string::npos);
  // The write was tried: the answer says the batch may still turn up (as it
  // does after a failed sync, below), and where to look.
  REQUIRE(failed.status.message().find("may have reached the log") != std::string::npos);
  REQUIRE(failed.status.message().find("from sequence 101") != std::string::npos);
  REQUIRE(env.fs->injected(fault, kWalFile) >= 1);

  // Reads are served, at the durable state: the refused batch is not there.
  basis::Runtime::TreeState state = rt->state();
  REQUIRE(state.digest == durable);
  REQUIRE(state.last_sequence == 100);
  REQUIRE(state.writes.kind() == kind);  // health: refusing_writes, naming why
  REQUIRE(state.writes.message().find(what) != std::string::npos);
  tree::Label refused = bench::benchmark_key(120);
  REQUIRE_FALSE(rt->lookup(tree::Bytes(refused.begin(), refused.end()), false).outcome.existed);
  tree::Label kept = bench::benchmark_key(7);
  tree::Bytes key(kept.begin(), kept.end());
  basis::LookupResult proof = rt->lookup(key, true);
  REQUIRE(proof.status.is_ok());
  REQUIRE(proof.digest == durable);
  {
    tree::BatchVerifier v(tree::TreeParams{32, std::nullopt}, durable, tree::view(proof.proof));
    REQUIRE(v.perform(tree::Operation::lookup(tree::view(key)), &out).is_ok());
    REQUIRE(out.existed);
  }
  // Batches are refused at once for a while, naming why.
  basis::BatchResult at_once = rt->apply_and_wait(inserts(200, 5));
  REQUIRE(at_once.status.kind() == kind);
  REQUIRE(at_once.status.message().find("refused after a storage failure") != std::string::npos);

  // The fault is gone, but RocksDB 7.8 writes nothing more to a WAL that
  // failed (and aborts if resumed): the retries after the back-off are
  // refused, saying to restart. Nothing is resumed.
  env.fs->clear_faults();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past the first back-off
  basis::BatchResult retried = rt->apply_and_wait(inserts(300, 40));
  INFO(retried.status.to_string());
  REQUIRE(retried.status.kind() == kind);
  REQUIRE(retried.status.message().find("restart to write again") != std::string::npos);
  REQUIRE(rt->state().writes.message().find("restart to write again") != std::string::npos);
  REQUIRE(rt->state().restart_needed);  // the daemon exits 75 on it, for its service manager to restart it
  REQUIRE(rt->state().last_sequence == 100);
  (void)rt->shutdown();  // its checkpoint is refused too
  rt.reset();

  // A restart: every acknowledged batch is there, and writing works. After a
  // failed sync the refused batch's records are in the WAL file all the same
  // (only their durability was in doubt): RocksDB replays them, and the
  // refused batch comes back, still a prefix of what was applied.
  rt = open_on(cfg, env);
  const uint64_t recovered = comes_back ? 150 : 100;
  if (comes_back) {
    for (const auto& op : inserts(100, 50)) REQUIRE(model.perform(op.view(), &out).is_ok());
  }
  REQUIRE(rt->state().last_sequence == recovered);
  REQUIRE(rt->digest() == (comes_back ? model.digest() : durable));
  REQUIRE(rt->state().writes.is_ok());
  REQUIRE_FALSE(rt->state().restart_needed);
  basis::BatchResult resumed = rt->apply_and_wait(inserts(300, 40));
  INFO(resumed.status.to_string());
  REQUIRE(resumed.status.is_ok());
  REQUIRE(resumed.first_sequence == recovered + 1);
  for (const auto& op : inserts(300, 40)) REQUIRE(model.perform(op.view(), &out).is_ok());
  REQUIRE(resumed.digest == model.digest());
  REQUIRE(rt->check_health(true).ok);
}

}  // namespace

TEST_CASE("a full disk under the log (ENOSPC) refuses batches until a restart, keeps serving the durable state",
          "[failure]") {
  fail_the_log(Fault::kNoSpace, tree::ErrorKind::kResourceExhausted, "No space left on device", false);
}

TEST_CASE("a failing log sync (EIO) refuses batches until a restart, keeps serving the durable state", "[failure]") {
  fail_the_log(Fault::kSync, tree::ErrorKind::kIOError, "injected sync error", true);
}

TEST_CASE("a failing log write (EIO) refuses batches until a restart, keeps serving the durable state", "[failure]") {
  fail_the_log(Fault::kWrite, tree::ErrorKind::kIOError, "injected write error", false);
}

TEST_CASE("a disk budget refuses batches once reached, keeps reads, and loses nothing acknowledged", "[failure]") {
  TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->apply_and_wait(inserts(0, 10)).status.is_ok());
  REQUIRE(rt->shutdown().is_ok());
  rt.reset();
  uint64_t used = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cfg.storage.data_dir + "/db")) {
    if (e.is_regular_file()) used += e.file_size();
  }
  cfg.storage.max_disk_size = used + (256u << 10);
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  uint64_t acknowledged = 10;
  basis::BatchResult r;
  for (int b = 0; b < 200; ++b) {
    r = rt->apply_and_wait(inserts(acknowledged, 500));
    if (!r.status.is_ok()) break;
    acknowledged += 500;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the budget be measured again
  }
  INFO(r.status.to_string());
  REQUIRE(r.status.kind() == tree::ErrorKind::kResourceExhausted);
  REQUIRE(r.status.message().find("storage.max_disk_size") != std::string::npos);
  REQUIRE(rt->state().last_sequence == acknowledged);  // reads go on, at the durable state
  // The state says writes are refused, and why (the daemon's health answers 503 with it).
  REQUIRE(rt->state().writes.kind() == tree::ErrorKind::kResourceExhausted);
  REQUIRE(rt->state().writes.message().find("storage.max_disk_size") != std::string::npos);
  REQUIRE(rt->check_health(true).ok);
  REQUIRE(rt->shutdown().is_ok());
  rt.reset();
  // More room: nothing acknowledged was lost, and writing works.
  cfg.storage.max_disk_size = 0;
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->state().last_sequence == acknowledged);
  REQUIRE(rt->state().writes.is_ok());
  REQUIRE(rt->apply_and_wait(inserts(acknowledged, 10)).status.is_ok());
}

TEST_CASE("a node that cannot be read refuses the whole batch, and health says so until a full check passes",
          "[failure]") {
  TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  tree::BatchProver model(tree::TreeParams{32, std::nullopt});
  tree::OpOutcome out;
  {
    std::unique_ptr<basis::Runtime> rt;
    REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
    for (uint64_t b = 0; b < 2000; b += 500) REQUIRE(rt->apply_and_wait(inserts(b, 500)).status.is_ok());
    REQUIRE(rt->shutdown().is_ok());  // sealed: the next open reads nodes from table files
  }
  for (const auto& op : inserts(0, 2000)) REQUIRE(model.perform(op.view(), &out).is_ok());
  model.end_batch();
  FaultEnv env;
  auto rt = open_on(cfg, env);
  const basis::Runtime::TreeState before = rt->state();
  REQUIRE(before.storage.is_ok());

  env.fs->fail_next(Fault::kRead, kTableFile, UINT64_MAX);
  basis::BatchResult r = rt->apply_and_wait(inserts(5000, 20));
  env.fs->clear_faults();
  INFO(r.status.to_string());
  REQUIRE(env.fs->injected(Fault::kRead, kTableFile) >= 1);
  REQUIRE((r.status.kind() == tree::ErrorKind::kIOError || r.status.kind() == tree::ErrorKind::kCorruption));

  // The prover is rebuilt from the durable state: none of the batch is there.
  basis::Runtime::TreeState state;
  for (int i = 0; i < 500 && !(state = rt->state()).served; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(state.served);
  REQUIRE(state.last_sequence == 2000);
  REQUIRE(state.digest == model.digest());
  REQUIRE(state.writes.is_ok());
  REQUIRE_FALSE(state.storage.is_ok());  // health: degraded, naming the failed read
  REQUIRE(state.storage.message().find("injected read error") != std::string::npos);

  // Once every leaf and note reads back, health is clear again; batches go in.
  REQUIRE(rt->check_health(true).ok);
  REQUIRE(rt->state().storage.is_ok());
  basis::BatchResult again = rt->apply_and_wait(inserts(5000, 20));
  INFO(again.status.to_string());
  REQUIRE(again.status.is_ok());
  for (const auto& op : inserts(5000, 20)) REQUIRE(model.perform(op.view(), &out).is_ok());
  REQUIRE(again.digest == model.digest());
}
