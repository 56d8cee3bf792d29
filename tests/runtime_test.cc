// The runtime end to end: W1 quick through the actors with the reference's
// digest, clean reopen, proofs the verifier accepts, and a SIGKILL that loses
// no acknowledged batch.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <map>
#include <thread>
#include <unistd.h>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"
#include "tests/self_exec.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"
#include "basis/tree/batch_verifier.h"
#include "basis/tree/hash.h"

using namespace basis;
using namespace basis::actors;
using basis::storage::testing::TempDir;

namespace {

// BENCHMARKS.md: W1 quick's final digest, from the reference implementation.
constexpr char kW1QuickDigest[] = "d0cce89d72cd717ecfd3488283c8f5135ad1e95fe84b20fdeb1fe081c690ad4e14";

config::Config config_in(const std::string& data_dir) {
  config::Config c;
  c.storage.data_dir = data_dir;
  c.tree.key_length = 32;
  c.persistence.node_cache_size = 64u << 20;
  c.persistence.checkpoint_interval.operations = 20'000;
  return c;
}

config::Config config_for(const TempDir& dir) { return config_in(dir.path("data")); }

using basis::testing::key_of;
using basis::testing::value_of;

// W1's batches: inserts of keys first..first+count-1.
std::vector<OwnedOperation> w1_batch(uint64_t first, uint64_t count) { return basis::testing::inserts(first, count); }

}  // namespace

TEST_CASE("W1 quick through the runtime gives the reference digest, also after reopening",
          "[runtime]") {
  TempDir dir;
  auto cfg = config_for(dir);
  std::string digest_hex;
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    // Pipelined: many batches in flight, acknowledged as they become durable.
    std::vector<std::future<BatchResult>> inflight;
    for (uint64_t i = 0; i < 100'000; i += 1000) inflight.push_back(rt->apply(w1_batch(i, 1000)));
    uint64_t last = 0;
    for (auto& f : inflight) {
      BatchResult r = f.get();
      REQUIRE(r.status.is_ok());
      REQUIRE(r.last_sequence == last + 1000);
      last = r.last_sequence;
      // Each proof checks out against the digest its batch started from.
      tree::BatchVerifier v(tree::TreeParams{32, std::nullopt}, r.start_digest, tree::view(r.proof));
      REQUIRE(v.status().is_ok());
    }
    digest_hex = tree::to_hex(rt->digest());
    REQUIRE(digest_hex == kW1QuickDigest);
    REQUIRE(rt->last_sequence() == 100'000);
    REQUIRE(rt->shutdown().is_ok());
  }
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->recovery().checkpoint_id > 0);
  REQUIRE(rt->recovery().replayed == 0);  // the shutdown checkpoint covers everything
  REQUIRE(tree::to_hex(rt->digest()) == kW1QuickDigest);

  // A proven lookup verifies against the current digest.
  LookupResult found = rt->lookup(key_of(777), true);
  REQUIRE(found.status.is_ok());
  REQUIRE(found.outcome.existed);
  REQUIRE(found.outcome.old_value == value_of(777, 0));
  tree::BatchVerifier v(tree::TreeParams{32, std::nullopt}, found.digest, tree::view(found.proof));
  tree::OpOutcome out;
  REQUIRE(v.perform(tree::Operation::lookup(tree::view(key_of(777))), &out).is_ok());
  REQUIRE(v.digest() == found.digest);

  // What-if changes nothing; the real batch then gives the same digest.
  auto ops = w1_batch(100'000, 10);
  BatchResult wi = rt->what_if(ops);
  REQUIRE(wi.status.is_ok());
  REQUIRE(tree::to_hex(rt->digest()) == kW1QuickDigest);
  BatchResult real = rt->apply_and_wait(ops);
  REQUIRE(real.digest == wi.digest);
  REQUIRE(real.proof == wi.proof);
  REQUIRE(rt->checkpoint_now().is_ok());
  REQUIRE(rt->checkpoints().front().last_sequence == 100'010);
}

TEST_CASE("failed and lookup-only batches take no sequence numbers, and batch limits hold",
          "[runtime]") {
  TempDir dir;
  auto cfg = config_for(dir);
  cfg.persistence.operation_batch_size = 50;
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->apply_and_wait(w1_batch(0, 10)).last_sequence == 10);
  BatchResult again = rt->apply_and_wait(w1_batch(0, 10));  // all KeyAlreadyExists
  REQUIRE(again.status.is_ok());
  REQUIRE(again.statuses[3].kind() == tree::ErrorKind::kKeyAlreadyExists);
  REQUIRE(again.last_sequence == 10);
  REQUIRE(rt->apply_and_wait({{tree::OpType::kLookup, key_of(1), {}, 0}}).last_sequence == 10);
  BatchResult too_big = rt->apply_and_wait(w1_batch(100, 51));
  REQUIRE(too_big.status.kind() == tree::ErrorKind::kLimitExceeded);
  REQUIRE(rt->last_sequence() == 10);
}

TEST_CASE("child: apply batches until killed", "[.]") {
  std::string dir = basis::testing::child_env("BASIS_CHILD_DIR");
  if (dir.empty()) return;  // run by the SIGKILL test only
  int fd = std::stoi(basis::testing::child_env("BASIS_CHILD_FD"));
  auto cfg = config_in(dir);
  cfg.persistence.checkpoint_interval.operations = 3000;
  std::unique_ptr<Runtime> rt;
  if (!Runtime::open(cfg, &rt).is_ok()) _exit(3);
  for (uint64_t i = 0;; i += 500) {
    BatchResult r = rt->apply_and_wait(w1_batch(i, 500));
    if (!r.status.is_ok()) _exit(4);
    // Tell the parent what was acknowledged: sequence and digest.
    char line[128];
    int n = snprintf(line, sizeof line, "%llu %s\n", static_cast<unsigned long long>(r.last_sequence),
                     tree::to_hex(r.digest).c_str());
    if (write(fd, line, n) != n) _exit(5);
  }
}

TEST_CASE("a SIGKILL loses no acknowledged batch", "[runtime][crash]") {
  TempDir dir;
  auto cfg = config_for(dir);
  cfg.persistence.checkpoint_interval.operations = 3000;
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t child = basis::testing::run_self("child: apply batches until killed",
                                         {{"BASIS_CHILD_DIR", cfg.storage.data_dir},
                                          {"BASIS_CHILD_FD", std::to_string(fds[1])}});
  REQUIRE(child > 0);
  close(fds[1]);
  FILE* acks = fdopen(fds[0], "r");
  unsigned long long seq = 0;
  char hex[80];
  std::map<uint64_t, std::string> acknowledged;
  while (acknowledged.size() < 15 && fscanf(acks, "%llu %79s", &seq, hex) == 2) acknowledged[seq] = hex;
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  while (fscanf(acks, "%llu %79s", &seq, hex) == 2) acknowledged[seq] = hex;  // acknowledged before death
  fclose(acks);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(acknowledged.size() >= 15);

  std::unique_ptr<Runtime> rt;
  tree::Status s = Runtime::open(cfg, &rt);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  uint64_t recovered = rt->last_sequence();
  REQUIRE(recovered >= acknowledged.rbegin()->first);  // nothing acknowledged is lost
  if (acknowledged.count(recovered)) REQUIRE(tree::to_hex(rt->digest()) == acknowledged[recovered]);
  REQUIRE(recovered % 500 == 0);  // whole batches only
}

TEST_CASE("proofs at a retained checkpoint verify against its digest after newer batches",
          "[runtime][checkpoint]") {
  TempDir dir;
  auto cfg = config_for(dir);
  cfg.persistence.checkpoint_retention = 2;
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->apply_and_wait(w1_batch(0, 500)).status.is_ok());
  REQUIRE(rt->checkpoint_now().is_ok());
  basis::CheckpointInfo confirmed = rt->checkpoints().front();
  // Newer batches change the key and the digest.
  std::vector<OwnedOperation> update{{tree::OpType::kUpdate, key_of(42), value_of(42, 9), 0}};
  REQUIRE(rt->apply_and_wait(update).status.is_ok());
  REQUIRE(rt->apply_and_wait(w1_batch(500, 500)).status.is_ok());
  REQUIRE(rt->digest() != confirmed.digest);

  for (LookupResult r : {rt->lookup_at_checkpoint(confirmed.id, key_of(42)),
                         rt->lookup_at_digest(confirmed.digest, key_of(42))}) {
    REQUIRE(r.status.is_ok());
    REQUIRE(r.digest == confirmed.digest);
    REQUIRE(r.outcome.old_value == value_of(42, 0));  // the value as of the checkpoint
    tree::BatchVerifier v(tree::TreeParams{32, std::nullopt}, confirmed.digest, tree::view(r.proof));
    tree::OpOutcome out;
    REQUIRE(v.perform(tree::Operation::lookup(tree::view(key_of(42))), &out).is_ok());
    REQUIRE(out.old_value == value_of(42, 0));
    REQUIRE(v.digest() == confirmed.digest);
  }
  REQUIRE(rt->lookup(key_of(42), false).outcome.old_value == value_of(42, 9));  // latest
  REQUIRE(rt->lookup_at_digest(rt->digest(), key_of(42)).status.kind() == tree::ErrorKind::kNotFound);
  REQUIRE(rt->lookup_at_checkpoint(999, key_of(42)).status.kind() == tree::ErrorKind::kNotFound);
  // Retention keeps the newest two.
  REQUIRE(rt->checkpoint_now().is_ok());
  REQUIRE(rt->apply_and_wait(w1_batch(1000, 10)).status.is_ok());
  REQUIRE(rt->checkpoint_now().is_ok());
  auto list = rt->checkpoints();
  REQUIRE(list.size() == 2);
  REQUIRE(list.back().id > confirmed.id);
}

TEST_CASE("batches in flight are bounded: callers wait, or hear busy", "[runtime][backpressure]") {
  TempDir dir;
  auto cfg = config_for(dir);
  cfg.persistence.max_inflight_batches = 2;
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  std::vector<std::future<BatchResult>> futures;
  size_t busy = 0;
  for (uint64_t i = 0; i < 40; ++i) {
    auto f = rt->try_apply(w1_batch(i * 100, 100));
    // try_apply answers at once when two batches are already in flight.
    if (f.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      BatchResult r = f.get();
      if (r.status.kind() == tree::ErrorKind::kBusy) {
        ++busy;
        futures.push_back(rt->apply(w1_batch(i * 100, 100)));  // waits for a slot instead
        continue;
      }
      REQUIRE(r.status.is_ok());
      continue;
    }
    futures.push_back(std::move(f));
  }
  for (auto& f : futures) REQUIRE(f.get().status.is_ok());
  REQUIRE(busy > 0);
  REQUIRE(rt->last_sequence() == 4000);  // every batch applied exactly once
}

TEST_CASE("the tree in memory stays within node_cache_size and proofs stay exact",
          "[runtime][memory]") {
  TempDir dir;
  auto cfg = config_for(dir);
  cfg.persistence.node_cache_size = 4u << 20;  // the whole W1 quick tree takes ~29 MB
  // Unstored nodes stay in memory until a seal stores them. The test seals
  // every 2,000 operations itself, so the bound does not depend on timing.
  cfg.persistence.checkpoint_interval.operations = 100'000'000;
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    uint64_t peak = 0;
    for (uint64_t i = 0; i < 100'000; i += 1000) {
      BatchResult r = rt->apply_and_wait(w1_batch(i, 1000));
      REQUIRE(r.status.is_ok());
      tree::BatchVerifier v(tree::TreeParams{32, std::nullopt}, r.start_digest, tree::view(r.proof));
      REQUIRE(v.status().is_ok());
      peak = std::max(peak, rt->stats().tree_memory_bytes);
      if (i % 2000 == 1000) REQUIRE(rt->checkpoint_now().is_ok());  // nodes stored, then unloaded
    }
    REQUIRE(tree::to_hex(rt->digest()) == kW1QuickDigest);
    // Half the budget, plus what 2,000 operations load and create between two
    // seals (~17 nodes of 144 bytes each): well under half the whole tree (~29 MB).
    REQUIRE(peak < (10u << 20));
    LookupResult found = rt->lookup(key_of(31'337), true);
    REQUIRE(found.outcome.old_value == value_of(31'337, 0));
    REQUIRE(rt->shutdown().is_ok());
  }
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(tree::to_hex(rt->digest()) == kW1QuickDigest);
}

// A host that keeps its Runtime after shutdown() (found by a helper:
// checkpoints() read the closed store and crashed).
TEST_CASE("after shutdown every call answers that the runtime is shut down, and none touches the closed store",
          "[runtime]") {
  TempDir dir;
  auto cfg = config_for(dir);
  cfg.logging.level = "off";
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->apply_and_wait(w1_batch(0, 10)).status.is_ok());
  REQUIRE(rt->checkpoint_now().is_ok());
  REQUIRE(rt->shutdown().is_ok());
  auto shut = [](const tree::Status& s) { return s.message().find("shut down") != std::string::npos; };
  REQUIRE(shut(rt->apply_and_wait(w1_batch(10, 1)).status));
  REQUIRE(shut(rt->try_apply(w1_batch(10, 1)).get().status));
  REQUIRE(shut(rt->rollback(RollbackTarget::sequence(1)).status));
  REQUIRE(shut(rt->what_if(w1_batch(10, 1)).status));
  REQUIRE(shut(rt->lookup(key_of(1), true).status));
  REQUIRE(shut(rt->lookup_at_checkpoint(1, key_of(1)).status));
  REQUIRE(shut(rt->lookup_at_digest(tree::Digest{}, key_of(1)).status));
  REQUIRE(shut(rt->checkpoint_now()));
  REQUIRE(shut(rt->compact()));
  uint64_t nodes = 0;
  REQUIRE(shut(rt->verify_latest_checkpoint(&nodes)));
  REQUIRE(shut(rt->pin_checkpoint(1)));
  REQUIRE(shut(rt->unpin_checkpoint(1)));
  REQUIRE(rt->checkpoints().empty());
  REQUIRE(rt->pinned_checkpoints().empty());
  REQUIRE(rt->digest() == tree::Digest{});
  REQUIRE(rt->last_sequence() == 0);
  Runtime::TreeState state = rt->state();
  REQUIRE(!state.served);
  REQUIRE(shut(state.writes));
  REQUIRE(rt->stats().checkpoints == 0);
  REQUIRE(rt->restarts() == 0);
  (void)rt->background();
  REQUIRE(!rt->check_health(false).ok);
  std::vector<LogRecord> log;
  REQUIRE(shut(rt->read_log(1, 10, &log)));
  REQUIRE(rt->shutdown().is_ok());  // twice is fine
}
