// The torture harness's short seeded run: a few iterations of faults, kills
// and power losses. The long run: build/bin/torture --iterations 1000 (README).
#include <catch2/catch.hpp>

#include "tests/storage_test_util.h"
#include "tests/torture.h"

TEST_CASE("torture: seeded faults, kills and power losses lose no acknowledged batch and no pin", "[torture]") {
  basis::storage::testing::TempDir dir;
  // Write, sync and nospace faults (mask 11). Read faults are left out here:
  // a node read that fails in the middle of a batch leaves the prover
  // serving half of the refused batch (a finding of the long run, see README).
  basis::testing::TortureReport r = basis::testing::run_torture(dir.path("store"), 24, 11, 11);
  INFO(r.summary());
  INFO(r.first_problem);
  REQUIRE(r.iterations == 24);
  REQUIRE(r.kills + r.power_losses > 0);
  REQUIRE(r.acknowledged_batches > 24);
  REQUIRE(r.faults[0] + r.faults[1] + r.faults[2] + r.faults[3] > 0);
  REQUIRE(r.lost_acknowledged == 0);
  REQUIRE(r.lost_pins == 0);
  REQUIRE(r.silent_rollbacks == 0);
  REQUIRE(r.child_crashes == 0);
}
