// Helpers for the rollback attack tests (rollback_attack_test,
// rollback_fault_attack_test). Include after <catch2/catch.hpp>.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "basis/runtime.h"
#include "basis/tree/batch_prover.h"
#include "engine/recovery.h"
#include "tests/runtime_test_util.h"

namespace basis::testing::rollback {

inline const tree::TreeParams kParams{32, std::nullopt};

inline config::Config config_for(const storage::testing::TempDir& dir) {
  config::Config c;
  c.storage.data_dir = dir.path("data");
  c.tree.key_length = 32;
  c.persistence.node_cache_size = 64u << 20;
  c.persistence.checkpoint_interval.operations = 1'000'000;  // checkpoints when a test says
  c.persistence.node_ingest_min_size = 0;  // every seal's nodes in a table file: "ingest-" faults reach them
  c.logging.level = "off";
  return c;
}

// The digest of an in-memory tree after each batch of inserts(first, count), in order.
inline tree::Digest memory_digest(const std::vector<std::pair<uint64_t, uint64_t>>& batches) {
  tree::BatchProver p(kParams);
  tree::OpOutcome out;
  for (auto [first, count] : batches) {
    for (const auto& op : inserts(first, count)) REQUIRE(p.perform(op.view(), &out).is_ok());
    p.end_batch();
  }
  return p.digest();
}

inline std::unique_ptr<Runtime> open_runtime(const config::Config& cfg) {
  std::unique_ptr<Runtime> rt;
  tree::Status s = Runtime::open(cfg, &rt);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  return rt;
}

inline void require_rollback(Runtime& rt, const RollbackTarget& target, const tree::Digest& expected) {
  RollbackResult r = rt.rollback(target);
  INFO(r.status.to_string());
  REQUIRE(r.status.is_ok());
  REQUIRE(r.digest == expected);
  REQUIRE(rt.digest() == expected);
}

}  // namespace basis::testing::rollback
