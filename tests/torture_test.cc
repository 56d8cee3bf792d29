// The torture harness's short seeded run: a few iterations of faults, kills
// and power losses. The long run: build/bin/torture --iterations 1000 (README).
#include <catch2/catch.hpp>

#include "tests/storage_test_util.h"
#include "tests/torture.h"

TEST_CASE("torture: seeded faults, kills and power losses lose no acknowledged batch and no pin", "[torture]") {
  basis::storage::testing::TempDir dir;
  // Every kind of fault: write, sync, read, nospace (mask 15).
  basis::testing::TortureReport r = basis::testing::run_torture(dir.path("store"), 24, 11, 15);
  INFO(r.summary());
  INFO(r.first_problem);
  INFO(r.first_rocksdb_abort);
  REQUIRE(r.iterations == 24);
  REQUIRE(r.kills + r.power_losses > 0);
  REQUIRE(r.acknowledged_batches > 24);
  REQUIRE(r.faults[0] + r.faults[1] + r.faults[2] + r.faults[3] > 0);
  REQUIRE(r.lost_acknowledged == 0);
  REQUIRE(r.lost_pins == 0);
  REQUIRE(r.silent_rollbacks == 0);
  REQUIRE(r.child_crashes == 0);
}
