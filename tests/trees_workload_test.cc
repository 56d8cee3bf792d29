// basis-bench trees at a small scale: every tree's digest is fixed by the
// data whatever the clients' interleaving, a reopen with either
// recovery_parallelism answers every tree's first proof at the digest it had
// (the workload stops the process otherwise), and a template's reopens
// check the digests it kept.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "bench/trees_workload.h"
#include "tests/storage_test_util.h"

using namespace basis::bench;
using basis::storage::testing::TempDir;

namespace {

TreesScale small_scale() {
  TreesScale s;
  s.reserves = 6;
  s.reserve_keys = 50;
  s.tracker_keys = 2'000;
  s.spread_operations = 3'000;
  s.transactions = 40;
  return s;
}

}  // namespace

TEST_CASE("trees workload: digests fixed by the data, reopens answer every tree at them", "[bench][trees]") {
  ::unsetenv("BASIS_TREES_TEMPLATE");
  ::unsetenv("BASIS_BENCH_CONFIG");
  WorkloadResult first, second;
  run_trees_at(small_scale(), true, false, &first);
  run_trees_at(small_scale(), true, false, &second);
  CHECK(first.workload == "trees");
  CHECK(first.extra.at("trees") == 8);  // the default tree, the tracker, 6 reserves
  CHECK(first.ops == 3'000);
  CHECK(first.extra.at("trees_txn") == 40);
  CHECK(first.extra.at("tracker_batches") == 4);  // batches 6, 13, 20, 27 of 30
  for (const char* field : {"reopen_p1_ms", "reopen_p2_ms", "open_p1_ms", "open_p2_ms", "verify_all_p2_ms"}) {
    INFO(field);
    CHECK(first.extra.at(field) > 0);
  }
  CHECK(first.extra.count("w2d_ops_per_s") == 0);
  CHECK(first.final_digest == first.text.at("all_trees_digest"));
  CHECK(first.text.at("reserve_first_digest") != first.text.at("reserve_last_digest"));
  for (const char* field : {"all_trees_digest", "tracker_digest", "reserve_first_digest", "reserve_last_digest"}) {
    INFO(field);
    CHECK(first.text.at(field) == second.text.at(field));
  }

  TempDir dir;
  const std::string tmpl = (std::filesystem::path(dir.path()) / "template").string();
  ::setenv("BASIS_TREES_TEMPLATE", tmpl.c_str(), 1);
  WorkloadResult built, reopened;
  run_trees_at(small_scale(), true, false, &built);
  REQUIRE(std::filesystem::exists(std::filesystem::path(tmpl) / "expected.txt"));
  run_trees_at(small_scale(), true, false, &reopened);  // only the reopens, checked against expected.txt
  ::unsetenv("BASIS_TREES_TEMPLATE");
  CHECK(built.final_digest == first.final_digest);
  CHECK(reopened.final_digest == first.final_digest);
  CHECK(reopened.ops == 0);
  CHECK(reopened.extra.at("reopen_p2_ms") > 0);
}
