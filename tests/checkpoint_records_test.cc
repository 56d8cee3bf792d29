// What the runtime records of its checkpoints and answers about their pins:
// each checkpoint's node_count is the number of nodes its version has (as a
// walk of the stored tree counts them), counted forward from the checkpoint
// before it over operations of every kind, or by a walk when that one's
// count is unknown; unpinning an id that is neither pinned nor retained is
// kNotFound, as pinning it is.
#include <catch2/catch.hpp>

#include <memory>

#include "basis/runtime.h"
#include "storage/checkpoint_store.h"
#include "storage/tree_verify.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"

using namespace basis;
using basis::storage::testing::TempDir;
using basis::testing::key_of;
using basis::testing::value_of;

namespace {

config::Config config_for(const TempDir& dir) {
  config::Config c;
  c.storage.data_dir = dir.path("data");
  c.logging.level = "off";
  c.persistence.checkpoint_interval.operations = 1'000'000;  // only the explicit ones
  return c;
}

tree::Bytes long_value(int64_t n) {
  tree::Bytes b(8);
  for (int i = 7; i >= 0; --i, n >>= 8) b[static_cast<size_t>(i)] = static_cast<uint8_t>(n);
  return b;
}

OwnedOperation op(tree::OpType type, uint64_t key, tree::Bytes value = {}, int64_t delta = 0) {
  return {type, key_of(key), std::move(value), delta};
}

// Every checkpoint record of the closed store against a walk of its version.
void require_counts_match_the_stored_trees(const std::string& data_dir, size_t expected_checkpoints) {
  auto db = basis::testing::open_closed_store(data_dir);
  std::vector<storage::CheckpointRecord> list;
  REQUIRE(storage::CheckpointStore(db.get()).list(&list).is_ok());
  REQUIRE(list.size() == expected_checkpoints);
  for (const auto& cp : list) {
    uint64_t walked = 0;
    REQUIRE(storage::verify_tree(*db, cp.digest, 2, &walked).is_ok());
    INFO("checkpoint " << cp.id);
    REQUIRE(cp.node_count == walked);
  }
}

}  // namespace

TEST_CASE("checkpoints record their version's node count, across operations of every kind", "[runtime][checkpoints]") {
  TempDir dir;
  const config::Config cfg = config_for(dir);
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    REQUIRE(rt->apply_and_wait(basis::testing::inserts(0, 100)).status.is_ok());
    REQUIRE(rt->checkpoint_now().is_ok());
    REQUIRE(rt->checkpoints().front().node_count == 2 * 100 + 1);  // 100 keys and the sentinel leaf

    std::vector<OwnedOperation> ops;
    for (uint64_t i = 0; i < 10; ++i) ops.push_back(op(tree::OpType::kRemove, i));        // -10
    for (uint64_t i = 100; i < 105; ++i) ops.push_back(op(tree::OpType::kInsert, i, value_of(i)));  // +5
    ops.push_back(op(tree::OpType::kInsertOrUpdate, 50, value_of(1)));  // present: 0
    ops.push_back(op(tree::OpType::kInsertOrUpdate, 200, value_of(2)));  // +1
    ops.push_back(op(tree::OpType::kRemoveIfExists, 300));               // absent: 0
    ops.push_back(op(tree::OpType::kRemoveIfExists, 20));                // -1
    ops.push_back(op(tree::OpType::kUpdateLongBy, 400, {}, 5));          // +1
    ops.push_back(op(tree::OpType::kUpdateLongBy, 401, {}, 0));          // absent, delta 0: 0
    ops.push_back(op(tree::OpType::kInsert, 500, long_value(1)));        // +1 ...
    ops.push_back(op(tree::OpType::kUpdateLongBy, 500, {}, -1));         // ... and back to 0: removed
    ops.push_back(op(tree::OpType::kInsert, 30, value_of(3)));           // fails: exists
    ops.push_back(op(tree::OpType::kUpdate, 60, value_of(4)));           // present: 0
    BatchResult r = rt->apply_and_wait(std::move(ops));
    REQUIRE(r.status.is_ok());
    REQUIRE(r.statuses[r.statuses.size() - 2].kind() == tree::ErrorKind::kKeyAlreadyExists);
    REQUIRE(rt->checkpoint_now().is_ok());
    const uint64_t keys = 100 - 10 + 5 + 1 - 1 + 1;
    REQUIRE(rt->checkpoints().front().node_count == 2 * keys + 1);
    REQUIRE(rt->shutdown().is_ok());
  }
  require_counts_match_the_stored_trees(cfg.storage.data_dir, 2);

  // A checkpoint whose count is unknown (0: written before checkpoints
  // counted their nodes) is no base: the next one walks its version.
  {
    auto db = basis::testing::open_closed_store(cfg.storage.data_dir);
    std::vector<storage::CheckpointRecord> list;
    REQUIRE(storage::CheckpointStore(db.get()).list(&list).is_ok());
    for (auto cp : list) {
      cp.node_count = 0;
      REQUIRE(storage::CheckpointStore(db.get()).write(cp).is_ok());
    }
  }
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    REQUIRE(rt->apply_and_wait(basis::testing::inserts(1000, 3)).status.is_ok());
    REQUIRE(rt->checkpoint_now().is_ok());
    REQUIRE(rt->checkpoints().front().node_count == 2 * (100 - 10 + 5 + 1 - 1 + 1 + 3) + 1);
    // And counted forward from that one again, after a reopen.
    REQUIRE(rt->shutdown().is_ok());
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    REQUIRE(rt->apply_and_wait({op(tree::OpType::kRemove, 1000)}).status.is_ok());
    REQUIRE(rt->checkpoint_now().is_ok());
    REQUIRE(rt->checkpoints().front().node_count == 2 * (100 - 10 + 5 + 1 - 1 + 1 + 2) + 1);
    REQUIRE(rt->shutdown().is_ok());
  }
  auto db = basis::testing::open_closed_store(cfg.storage.data_dir);
  std::vector<storage::CheckpointRecord> list;
  REQUIRE(storage::CheckpointStore(db.get()).list(&list).is_ok());
  for (size_t i = 0; i < 2; ++i) {
    uint64_t walked = 0;
    REQUIRE(storage::verify_tree(*db, list[i].digest, 2, &walked).is_ok());
    REQUIRE(list[i].node_count == walked);
  }
}

TEST_CASE("unpinning an id that is neither pinned nor retained is kNotFound, like pinning it", "[runtime][checkpoints]") {
  TempDir dir;
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(config_for(dir), &rt).is_ok());
  REQUIRE(rt->apply_and_wait(basis::testing::inserts(0, 10)).status.is_ok());
  REQUIRE(rt->checkpoint_now().is_ok());
  const uint64_t id = rt->checkpoints().front().id;
  REQUIRE(rt->pin_checkpoint(id + 99).kind() == tree::ErrorKind::kNotFound);
  tree::Status unknown = rt->unpin_checkpoint(id + 99);
  REQUIRE(unknown.kind() == tree::ErrorKind::kNotFound);
  REQUIRE(unknown.message().find(std::to_string(id + 99)) != std::string::npos);
  REQUIRE(rt->unpin_checkpoint(id).is_ok());  // retained, not pinned: nothing to do
  REQUIRE(rt->pin_checkpoint(id).is_ok());
  REQUIRE(rt->pinned_checkpoints() == std::set<uint64_t>{id});
  REQUIRE(rt->unpin_checkpoint(id).is_ok());
  REQUIRE(rt->pinned_checkpoints().empty());
  REQUIRE(rt->unpin_checkpoint(id).is_ok());  // still retained
  REQUIRE(rt->shutdown().is_ok());
}
