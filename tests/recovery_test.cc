// Recovery beyond the normal path: the rebuild from notes and the operator's
// confirmation of a different digest, the path reported, the verification
// of the recovered checkpoint (before serving or in the background), and
// the health checks.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include <chrono>
#include <thread>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"
#include "storage/checkpoint_store.h"
#include "storage/coding.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"
#include "basis/tree/labels.h"

using namespace basis;
using namespace basis::actors;
using basis::storage::testing::TempDir;
using basis::testing::inserts;
using basis::testing::key_of;
using basis::testing::value_of;

namespace {

config::Config config_for(const TempDir& dir) {
  config::Config c;
  c.storage.data_dir = dir.path("data");
  c.logging.level = "off";
  c.persistence.node_cache_size = 16u << 20;
  c.persistence.checkpoint_interval.operations = 1'000'000;  // only the explicit ones
  c.persistence.health_check_interval = std::chrono::milliseconds(0);
  return c;
}

// 2,000 keys in four batches with a checkpoint after each but the last; with
// `removals`, the last batch also removes keys. Returns the final digest.
tree::Digest build(const config::Config& cfg, bool removals) {
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  for (uint64_t b = 0; b < 4; ++b) {
    auto ops = inserts(b * 500, 500);
    if (removals && b == 3) {
      for (uint64_t i = 0; i < 100; ++i) ops.push_back({tree::OpType::kRemove, key_of(i * 7), {}, 0});
    }
    REQUIRE(rt->apply_and_wait(std::move(ops)).status.is_ok());
    if (b < 3) REQUIRE(rt->checkpoint_now().is_ok());
  }
  tree::Digest d = rt->digest();
  REQUIRE(rt->shutdown().is_ok());
  return d;
}

std::unique_ptr<storage::Database> open_closed(const config::Config& cfg) {
  return basis::testing::open_closed_store(cfg.storage.data_dir);
}

// Every checkpoint removed and operation 5 deleted: no replay gets through.
void leave_only_the_notes(const config::Config& cfg) {
  auto db = open_closed(cfg);
  storage::CheckpointStore store(db.get());
  std::vector<storage::CheckpointRecord> list;
  REQUIRE(store.list(&list).is_ok());
  for (const auto& cp : list) REQUIRE(store.remove(cp.id).is_ok());
  REQUIRE(db->raw()->Delete(rocksdb::WriteOptions(), db->handle(storage::Family::kOperations),
                            storage::sequence_key(5)).ok());
  REQUIRE(db->flush().is_ok());
}

}  // namespace

TEST_CASE("a log that cannot be replayed is rebuilt from the notes, and the next open is normal",
          "[recovery]") {
  TempDir dir;
  auto cfg = config_for(dir);
  tree::Digest expected = build(cfg, false);
  leave_only_the_notes(cfg);
  {
    std::unique_ptr<Runtime> rt;
    tree::Status s = Runtime::open(cfg, &rt);
    INFO(s.to_string());
    REQUIRE(s.is_ok());
    REQUIRE(rt->recovery().path == RecoveryPath::kNotesRebuild);
    REQUIRE(rt->recovery().fallbacks.size() == 1);  // the full replay, naming the missing record
    INFO(rt->recovery().fallbacks[0]);
    REQUIRE(rt->recovery().fallbacks[0].find("expected record 5") != std::string::npos);
    REQUIRE(rt->digest() == expected);
    REQUIRE(rt->check_health(true).ok);
    REQUIRE(rt->apply_and_wait(inserts(5000, 10)).status.is_ok());
    expected = rt->digest();
  }
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->recovery().path == RecoveryPath::kLatestCheckpoint);
  REQUIRE(rt->recovery().fallbacks.empty());
  REQUIRE(rt->digest() == expected);
}

TEST_CASE("a rebuilt tree with another digest is served only once the operator names that digest",
          "[recovery]") {
  TempDir dir;
  auto cfg = config_for(dir);
  tree::Digest logged = build(cfg, true);  // removals: the shape depends on history
  leave_only_the_notes(cfg);
  std::unique_ptr<Runtime> rt;
  tree::Status s = Runtime::open(cfg, &rt);
  INFO(s.to_string());
  REQUIRE_FALSE(s.is_ok());
  REQUIRE(s.kind() == tree::ErrorKind::kCorruption);
  const std::string& m = s.message();
  REQUIRE(m.find(tree::to_hex(logged)) != std::string::npos);  // names the digest that may be on chain
  size_t at = m.find("accept_rebuilt_digest = \"");
  REQUIRE(at != std::string::npos);
  std::string rebuilt = m.substr(at + 25, 66);
  REQUIRE(rebuilt != tree::to_hex(logged));

  cfg.persistence.accept_rebuilt_digest = tree::to_hex(logged);  // a digest that is not the rebuilt one
  REQUIRE_FALSE(Runtime::open(cfg, &rt).is_ok());

  cfg.persistence.accept_rebuilt_digest = rebuilt;
  s = Runtime::open(cfg, &rt);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  REQUIRE(rt->recovery().path == RecoveryPath::kNotesRebuild);
  REQUIRE(tree::to_hex(rt->digest()) == rebuilt);
  REQUIRE(rt->check_health(true).ok);
  // The log continues from the accepted tree.
  BatchResult more = rt->apply_and_wait(inserts(9000, 20));
  REQUIRE(more.status.is_ok());
  REQUIRE(tree::to_hex(more.start_digest) == rebuilt);
  tree::Digest now = rt->digest();
  REQUIRE(rt->shutdown().is_ok());
  rt.reset();
  cfg.persistence.accept_rebuilt_digest.clear();
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->recovery().path == RecoveryPath::kLatestCheckpoint);
  REQUIRE(rt->digest() == now);
}

TEST_CASE("health checks pass on a healthy store, periodically and in full", "[recovery][health]") {
  TempDir dir;
  auto cfg = config_for(dir);
  cfg.persistence.health_check_interval = std::chrono::milliseconds(20);
  cfg.persistence.health_check_samples = 16;
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->apply_and_wait(inserts(0, 800)).status.is_ok());
  std::vector<OwnedOperation> changes;
  for (uint64_t i = 0; i < 50; ++i) changes.push_back({tree::OpType::kRemove, key_of(i * 3), {}, 0});
  for (uint64_t i = 1; i < 50; ++i) changes.push_back({tree::OpType::kUpdate, key_of(i * 3 + 1), value_of(i + 7), 0});
  REQUIRE(rt->apply_and_wait(std::move(changes)).status.is_ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (rt->stats().background.health_checks < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  BackgroundStatus st = rt->stats().background;
  INFO(st.last_health.problem);
  REQUIRE(st.health_checks >= 3);
  REQUIRE(st.health_check_failures == 0);
  REQUIRE(st.last_health.keys_checked > 0);
  HealthReport full = rt->check_health(true);
  INFO(full.problem);
  REQUIRE(full.ok);
  REQUIRE(full.keys_checked == 750);
}

TEST_CASE("the recovered checkpoint is verified in the background, or before serving", "[recovery]") {
  TempDir dir;
  auto cfg = config_for(dir);
  tree::Digest expected = build(cfg, false);
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (rt->stats().background.verification == VerificationState::kRunning &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    BackgroundStatus st = rt->stats().background;
    INFO(st.verification_problem);
    REQUIRE(st.verification == VerificationState::kPassed);
    REQUIRE(st.verified_nodes == 2 * 2000 + 1);  // every leaf (and the sentinel) and internal node
  }
  // Damage the leaf of the last key inserted: it is in the latest
  // checkpoint only, and no replay touches it.
  tree::BatchProver model(tree::TreeParams{32, std::nullopt});
  tree::OpOutcome out;
  for (const auto& op : inserts(0, 2000)) REQUIRE(model.perform(op.view(), &out).is_ok());
  REQUIRE(model.digest() == expected);
  tree::BatchProver::Leaf leaf;
  REQUIRE(model.leaf_at(tree::view(key_of(1999)), &leaf).is_ok());
  tree::Label label = tree::leaf_label(tree::view(leaf.key), tree::view(leaf.value), tree::view(leaf.next_key));
  {
    auto db = open_closed(cfg);
    std::string key(reinterpret_cast<const char*>(label.data()), label.size());
    REQUIRE(db->raw()->Delete(rocksdb::WriteOptions(), db->handle(storage::Family::kNodes), key).ok());
    REQUIRE(db->flush().is_ok());
  }
  {
    // Background: served at once, and the verification reports the node.
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    REQUIRE(rt->recovery().path == RecoveryPath::kLatestCheckpoint);
    REQUIRE(rt->digest() == expected);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (rt->stats().background.verification == VerificationState::kRunning &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    BackgroundStatus st = rt->stats().background;
    REQUIRE(st.verification == VerificationState::kFailed);
    REQUIRE(st.verification_problem.find(tree::to_hex(label)) != std::string::npos);
  }
  // Full: the checkpoints that reach the node are refused before serving;
  // recovery ends in the same tree from an older one.
  cfg.persistence.recovery_validation = config::RecoveryValidation::kFull;
  std::unique_ptr<Runtime> rt;
  tree::Status s = Runtime::open(cfg, &rt);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  REQUIRE(rt->recovery().path == RecoveryPath::kOlderCheckpoint);
  REQUIRE(rt->recovery().verified_nodes == 2 * 1500 + 1);
  REQUIRE_FALSE(rt->recovery().fallbacks.empty());
  REQUIRE(rt->recovery().fallbacks[0].find(tree::to_hex(label)) != std::string::npos);
  REQUIRE(rt->digest() == expected);
}
