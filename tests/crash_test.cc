// The crash harness's short run: 30 SIGKILLs of a runtime under churn.
// The long run: build/bin/crash-test --kills 1000 (see README).
#include <catch2/catch.hpp>

#include "tests/crash_harness.h"
#include "tests/storage_test_util.h"

TEST_CASE("30 SIGKILLs under churn: no acknowledged batch lost, every restart a prefix",
          "[crash]") {
  basis::storage::testing::TempDir dir;
  basis::testing::CrashReport r = basis::testing::run_crash_harness(dir.path("store"), 30, 7);
  INFO(r.first_problem);
  REQUIRE(r.kills == 30);
  REQUIRE(r.acknowledged_batches > 30);
  REQUIRE(r.lost_acknowledged == 0);
  REQUIRE(r.digest_mismatches == 0);
  REQUIRE(r.failed_opens == 0);
}
