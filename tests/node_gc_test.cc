// Node garbage collection under churn: after many checkpoints with a small
// retention, every node in `nodes` is reachable from a retained checkpoint,
// every node a retained checkpoint reaches is there, and the tree is whole,
// including nodes that died and were born again with the same label.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include <random>
#include <unordered_set>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"
#include "storage/checkpoint_store.h"
#include "storage/node_gc.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"
#include "basis/tree/labels.h"

using namespace basis;
using basis::storage::testing::TempDir;
using basis::testing::key_of;
using basis::testing::value_of;

namespace {

// Applies `ops` to the runtime and to the in-memory model alike.
void apply(basis::Runtime* rt, tree::BatchProver* model, std::vector<basis::OwnedOperation> ops) {
  tree::OpOutcome out;
  for (const auto& op : ops) (void)model->perform(op.view(), &out);
  model->end_batch();
  REQUIRE(rt->apply_and_wait(std::move(ops)).status.is_ok());
  REQUIRE(rt->digest() == model->digest());
}

// The labels of the leaves of keys 0..count-1.
std::vector<tree::Label> leaf_labels(tree::BatchProver* model, uint64_t count) {
  std::vector<tree::Label> labels;
  for (uint64_t i = 0; i < count; ++i) {
    tree::BatchProver::Leaf leaf;
    REQUIRE(model->leaf_at(tree::view(key_of(i)), &leaf).is_ok());
    labels.push_back(tree::leaf_label(tree::view(leaf.key), tree::view(leaf.value), tree::view(leaf.next_key)));
  }
  return labels;
}

uint64_t count_nodes(storage::Database* db) {
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db->raw()->NewIterator(ro, db->handle(storage::Family::kNodes)));
  uint64_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  return n;
}

}  // namespace

TEST_CASE("garbage collection under churn keeps exactly the nodes retained versions reach", "[gc]") {
  TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  cfg.persistence.checkpoint_retention = 3;
  cfg.persistence.node_gc_every = 1;  // after every checkpoint
  cfg.persistence.checkpoint_interval.operations = 1'000'000;
  cfg.persistence.node_cache_size = 2u << 20;  // small: the tree is unloaded and read back
  tree::BatchProver model(tree::TreeParams{32, std::nullopt});
  std::mt19937_64 random(7);
  const uint64_t keys = 3000;
  std::vector<tree::Label> first_leaves;
  {
    std::unique_ptr<basis::Runtime> rt;
    REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
    for (uint64_t b = 0; b < keys; b += 500) {
      std::vector<basis::OwnedOperation> ops;
      for (uint64_t i = b; i < b + 500; ++i) ops.push_back({tree::OpType::kInsert, key_of(i), value_of(i, 0), 0});
      apply(rt.get(), &model, std::move(ops));
    }
    REQUIRE(rt->checkpoint_now().is_ok());
    first_leaves = leaf_labels(&model, keys);
    apply(rt.get(), &model, {{tree::OpType::kRemove, key_of(1234), {}, 0}});
    REQUIRE(rt->checkpoint_now().is_ok());
    // W2-like churn: updates of random keys and new keys, a checkpoint after
    // each round, so that old versions leave retention and their nodes die.
    uint64_t next_key = keys;
    for (int round = 0; round < 12; ++round) {
      std::vector<basis::OwnedOperation> ops;
      for (int j = 0; j < 150; ++j) {
        uint64_t x = random();
        uint64_t idx = (x >> 8) % keys;
        if (idx == 1234) continue;
        if (x % 10 < 8) {
          ops.push_back({tree::OpType::kUpdate, key_of(idx), value_of(idx, 1 + static_cast<uint64_t>(round)), 0});
        } else {
          ops.push_back({tree::OpType::kInsert, key_of(next_key), value_of(next_key, 0), 0});
          ++next_key;
        }
      }
      apply(rt.get(), &model, std::move(ops));
      REQUIRE(rt->checkpoint_now().is_ok());
    }
    auto st = rt->stats();
    REQUIRE(st.gc_runs >= 10);
    REQUIRE(st.gc_failures == 0);
    REQUIRE(st.gc_removed_nodes > 0);
    // Undo the churn on the same keys and put the removed key back: nodes that
    // died long ago (leaves, and whole paths) are born again with their labels.
    std::vector<basis::OwnedOperation> undo;
    for (uint64_t i = 0; i < keys; ++i) {
      if (i != 1234) undo.push_back({tree::OpType::kUpdate, key_of(i), value_of(i, 0), 0});
    }
    for (uint64_t i = keys; i < next_key; ++i) undo.push_back({tree::OpType::kRemove, key_of(i), {}, 0});
    for (size_t at = 0; at < undo.size(); at += 1000) {
      apply(rt.get(), &model,
            std::vector<basis::OwnedOperation>(undo.begin() + static_cast<std::ptrdiff_t>(at),
                                                undo.begin() + static_cast<std::ptrdiff_t>(std::min(undo.size(), at + 1000))));
    }
    apply(rt.get(), &model, {{tree::OpType::kInsert, key_of(1234), value_of(1234, 0), 0}});
    REQUIRE(rt->checkpoint_now().is_ok());
    // The leaves of the first version are back, label for label: born again
    // after the churn's collections removed them (the key set and values
    // are the first version's again).
    REQUIRE(leaf_labels(&model, keys) == first_leaves);
    REQUIRE(rt->check_health(true).ok);
    REQUIRE(rt->shutdown().is_ok());
  }
  // On the closed store: every retained checkpoint is whole, and nothing else is there.
  {
    std::unique_ptr<storage::Database> db = basis::testing::open_closed_store(cfg.storage.data_dir);
    std::vector<storage::CheckpointRecord> kept;
    REQUIRE(storage::CheckpointStore(db.get()).list(&kept).is_ok());
    REQUIRE(kept.size() == 3);
    std::vector<storage::Digest> roots;
    for (const auto& c : kept) {
      uint64_t nodes = 0;
      tree::Status s = storage::verify_tree(*db, c.digest, 2, &nodes);
      INFO("checkpoint " << c.id << ": " << s.to_string());
      REQUIRE(s.is_ok());
      roots.push_back(c.digest);
    }
    uint64_t stored = count_nodes(db.get());
    storage::GcReport report;
    REQUIRE(storage::collect_garbage(db.get(), roots, &report).is_ok());
    REQUIRE(report.removed == 0);      // the runtime's last collection left no garbage
    REQUIRE(report.live == stored);    // and every stored node is reachable
  }
  // Reopened, the tree is the model's, whole.
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->digest() == model.digest());
  basis::HealthReport h = rt->check_health(true);
  INFO(h.problem);
  REQUIRE(h.ok);
}

TEST_CASE("compaction on demand removes garbage from disk and keeps the tree whole", "[gc]") {
  TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  cfg.persistence.checkpoint_interval.operations = 1'000'000;
  cfg.persistence.checkpoint_retention = 2;
  cfg.persistence.node_gc_every = 0;  // never by itself: only compact() collects
  tree::BatchProver model(tree::TreeParams{32, std::nullopt});
  {
    std::unique_ptr<basis::Runtime> rt;
    REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
    for (uint64_t b = 0; b < 2000; b += 500) apply(rt.get(), &model, basis::testing::inserts(b, 500));
    for (uint64_t round = 1; round <= 6; ++round) {
      std::vector<basis::OwnedOperation> ops;
      for (uint64_t i = round % 3; i < 2000; i += 3) ops.push_back({tree::OpType::kUpdate, key_of(i), value_of(i, round), 0});
      apply(rt.get(), &model, std::move(ops));
      REQUIRE(rt->checkpoint_now().is_ok());
    }
    basis::Runtime::Stats before = rt->stats();
    REQUIRE(before.gc_runs == 0);
    REQUIRE(rt->compact().is_ok());
    basis::Runtime::Stats after = rt->stats();
    REQUIRE(after.gc_runs == 1);
    REQUIRE(after.gc_failures == 0);
    REQUIRE(after.gc_removed_nodes > 0);
    REQUIRE(after.node_bytes < before.node_bytes);  // gone from the disk, not only deleted
    REQUIRE(rt->digest() == model.digest());
    basis::HealthReport h = rt->check_health(true);
    INFO(h.problem);
    REQUIRE(h.ok);
    REQUIRE(rt->shutdown().is_ok());
  }
  // Closed: every stored node is reachable from a retained checkpoint and each verifies.
  auto db = basis::testing::open_closed_store(dir.path("data"));
  std::vector<storage::CheckpointRecord> kept;
  REQUIRE(storage::CheckpointStore(db.get()).list(&kept).is_ok());
  std::vector<storage::Digest> roots;
  for (const auto& c : kept) {
    uint64_t nodes = 0;
    REQUIRE(storage::verify_tree(*db, c.digest, 2, &nodes).is_ok());
    roots.push_back(c.digest);
  }
  uint64_t stored = count_nodes(db.get());
  storage::GcReport report;
  REQUIRE(storage::collect_garbage(db.get(), roots, &report).is_ok());
  REQUIRE(report.live == stored);
}
