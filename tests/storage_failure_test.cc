// A write of the operation log fails, as on a full disk: the batch is refused
// with a clear error, the tree goes back to its durable state (reads and
// proofs go on there), later batches are refused until writing is tried
// again, and once writes work nothing acknowledged is lost.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "actors/runtime.h"
#include "bench/benchmark_data.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"
#include "tree/batch_verifier.h"

using namespace basis;
using basis::storage::testing::TempDir;
using basis::testing::inserts;

TEST_CASE("a failed log write refuses batches, keeps serving the durable state, and resumes", "[failure]") {
  TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  tree::BatchProver model(tree::TreeParams{32, std::nullopt});
  tree::OpOutcome out;
  std::unique_ptr<actors::Runtime> rt;
  REQUIRE(actors::Runtime::open(cfg, &rt).is_ok());
  for (const auto& op : inserts(0, 100)) REQUIRE(model.perform(op.view(), &out).is_ok());
  REQUIRE(rt->apply_and_wait(inserts(0, 100)).status.is_ok());
  const tree::Digest durable = rt->digest();

  rt->inject_write_errors(true);
  actors::BatchResult failed = rt->apply_and_wait(inserts(100, 50));
  INFO(failed.status.to_string());
  REQUIRE(failed.status.kind() == tree::ErrorKind::kIOError);
  REQUIRE(failed.status.message().find("No space left on device") != std::string::npos);

  // Reads are served, at the durable state: the refused batch is not there.
  actors::Runtime::TreeState state = rt->state();
  REQUIRE(state.digest == durable);
  REQUIRE(state.last_sequence == 100);
  tree::Label refused = bench::benchmark_key(120);
  REQUIRE_FALSE(rt->lookup(tree::Bytes(refused.begin(), refused.end()), false).outcome.existed);
  tree::Label kept = bench::benchmark_key(7);
  tree::Bytes key(kept.begin(), kept.end());
  actors::LookupResult proof = rt->lookup(key, true);
  REQUIRE(proof.status.is_ok());
  REQUIRE(proof.digest == durable);
  {
    tree::BatchVerifier v(tree::TreeParams{32, std::nullopt}, durable, tree::view(proof.proof));
    REQUIRE(v.perform(tree::Operation::lookup(tree::view(key)), &out).is_ok());
    REQUIRE(out.existed);
  }
  // Batches are refused at once for a while, naming why.
  actors::BatchResult at_once = rt->apply_and_wait(inserts(200, 5));
  REQUIRE(at_once.status.kind() == tree::ErrorKind::kIOError);
  REQUIRE(at_once.status.message().find("refused after a storage failure") != std::string::npos);

  // Space returns: writing is tried again after the back-off, and works.
  rt->inject_write_errors(false);
  actors::BatchResult resumed;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    resumed = rt->apply_and_wait(inserts(300, 40));
  } while (!resumed.status.is_ok() && std::chrono::steady_clock::now() < deadline);
  INFO(resumed.status.to_string());
  REQUIRE(resumed.status.is_ok());
  REQUIRE(resumed.first_sequence == 101);  // the refused batch took no sequence numbers
  for (const auto& op : inserts(300, 40)) REQUIRE(model.perform(op.view(), &out).is_ok());
  REQUIRE(resumed.digest == model.digest());
  REQUIRE(rt->shutdown().is_ok());
  rt.reset();

  REQUIRE(actors::Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->state().last_sequence == 140);
  REQUIRE(rt->digest() == model.digest());
  REQUIRE(rt->check_health(true).ok);
}

TEST_CASE("a disk budget refuses batches once reached, keeps reads, and loses nothing acknowledged", "[failure]") {
  TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  std::unique_ptr<actors::Runtime> rt;
  REQUIRE(actors::Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->apply_and_wait(inserts(0, 10)).status.is_ok());
  REQUIRE(rt->shutdown().is_ok());
  rt.reset();
  uint64_t used = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(cfg.storage.data_dir + "/db")) {
    if (e.is_regular_file()) used += e.file_size();
  }
  cfg.storage.max_disk_size = used + (256u << 10);
  REQUIRE(actors::Runtime::open(cfg, &rt).is_ok());
  uint64_t acknowledged = 10;
  actors::BatchResult r;
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
  REQUIRE(actors::Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->state().last_sequence == acknowledged);
  REQUIRE(rt->state().writes.is_ok());
  REQUIRE(rt->apply_and_wait(inserts(acknowledged, 10)).status.is_ok());
}
