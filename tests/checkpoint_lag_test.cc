// Under a load the checkpoints cannot keep up with, batches wait for them
// instead of letting the log run ahead: every batch is still applied once,
// in order, with the same results, and recovery has a bounded log to replay.
#include <catch2/catch.hpp>

#include <future>

#include "basis/runtime.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"

using namespace basis;
using basis::storage::testing::TempDir;

TEST_CASE("batches wait for a lagging checkpoint and keep their order", "[runtime][checkpoint]") {
  TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  cfg.persistence.checkpoint_interval.operations = 50;  // far less than the batches keep coming
  cfg.persistence.checkpoint_lag_limit = 200;
  tree::BatchProver model(tree::TreeParams{32, std::nullopt});
  std::vector<tree::Digest> expected;
  std::vector<std::future<basis::BatchResult>> results;
  const uint64_t batches = 150, size = 100;
  {
    std::unique_ptr<basis::Runtime> rt;
    REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
    for (uint64_t b = 0; b < batches; ++b) {
      auto ops = basis::testing::inserts(b * size, size);
      tree::OpOutcome out;
      for (const auto& op : ops) REQUIRE(model.perform(op.view(), &out).is_ok());
      model.end_batch();
      expected.push_back(model.digest());
      results.push_back(rt->apply(std::move(ops)));  // not waiting: the log runs ahead of the seals
    }
    for (uint64_t b = 0; b < batches; ++b) {
      basis::BatchResult r = results[b].get();
      REQUIRE(r.status.is_ok());
      REQUIRE(r.digest == expected[b]);
      REQUIRE(r.first_sequence == b * size + 1);
    }
    REQUIRE(rt->digest() == model.digest());
    basis::Runtime::Stats stats = rt->stats();
    INFO("stalled batches: " << stats.stalled_batches);
    REQUIRE(stats.stalled_batches > 0);
    // The newest checkpoint is never far behind the log.
    auto kept = rt->checkpoints();
    REQUIRE_FALSE(kept.empty());
    // (a sealed window, the limit, and the batch that crossed it)
    REQUIRE(rt->last_sequence() - kept.front().last_sequence <= 3 * (200 + size));
    REQUIRE(rt->shutdown().is_ok());
  }
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->digest() == model.digest());
}
