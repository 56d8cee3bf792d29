// Rollback of a named tree (basis/rollback.h on a tree's runtime): the tree
// becomes the earlier version, later batches continue its sequence, a
// restart recovers through it, a pinned checkpoint's proofs still verify,
// and the store's other trees are not touched. Also: rollbacks racing
// transactions over the same tree.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "basis/runtime.h"
#include "basis/tree/batch_verifier.h"
#include "tests/trees_test_util.h"

using namespace basis;
using basis::storage::testing::TempDir;
using namespace basis::testing::trees;

namespace {

const tree::TreeParams kReserve{32, 16}, kWide{64, std::nullopt}, kDefault{32, std::nullopt};

config::Config rollback_config(const std::string& dir) {
  config::Config c = store_config(dir);
  c.persistence.checkpoint_interval.operations = 1'000'000;  // checkpoints when the test says
  c.trees = {config::Config::Tree{32, 16, "reserve", 0}, config::Config::Tree{64, std::nullopt, "wide", 0}};
  return c;
}

void require_verifies(const tree::TreeParams& p, const LookupResult& r, const tree::Bytes& key, bool exists,
                      const tree::Bytes& value) {
  INFO(r.status.to_string());
  REQUIRE(r.status.is_ok());
  REQUIRE(r.outcome.existed == exists);
  if (exists) REQUIRE(r.outcome.old_value == value);
  tree::BatchVerifier v(p, r.digest, tree::view(r.proof));
  tree::OpOutcome out;
  REQUIRE(v.perform(tree::Operation::lookup(tree::view(key)), &out).is_ok());
  REQUIRE(out.existed == exists);
  REQUIRE(v.digest() == std::optional<tree::Digest>(r.digest));
}

}  // namespace

TEST_CASE("trees rollback: a named tree rolled back past a pinned checkpoint, more batches, a restart: its digest "
          "is a replay of what survives, the pinned proofs verify, the other trees are untouched",
          "[trees][rollback]") {
  TempDir dir;
  const config::Config cfg = rollback_config(dir.path("store"));
  std::vector<std::vector<OwnedOperation>> surviving;  // the reserve tree's batches that stay
  uint64_t pinned = 0;
  tree::Digest pinned_digest{};
  TreeMark wide_mark, default_mark;
  std::vector<CheckpointInfo> wide_checkpoints;
  TreeMark reserve_final;
  {
    std::unique_ptr<Runtime> rt = open_store(cfg);
    std::shared_ptr<Runtime> reserve = tree_of(*rt, "reserve"), wide = tree_of(*rt, "wide");
    // The other trees hold something of their own, and checkpoints.
    REQUIRE(rt->apply_and_wait(tree_inserts(kDefault, 0, 30)).status.is_ok());
    REQUIRE(wide->apply_and_wait(tree_inserts(kWide, 0, 30)).status.is_ok());
    REQUIRE(wide->checkpoint_now().is_ok());
    REQUIRE(rt->checkpoint_now().is_ok());
    // Reserve: five batches (1..50, the last two InsertOrUpdates of earlier keys), a checkpoint at 50, pinned.
    std::vector<std::vector<OwnedOperation>> batches = {tree_inserts(kReserve, 0, 10), tree_inserts(kReserve, 10, 10),
                                                        tree_inserts(kReserve, 20, 10), tree_upserts(kReserve, 0, 10, 1),
                                                        tree_upserts(kReserve, 5, 10, 2)};
    for (const auto& b : batches) REQUIRE(reserve->apply_and_wait(b).status.is_ok());
    REQUIRE(reserve->checkpoint_now().is_ok());
    std::vector<CheckpointInfo> cps = reserve->checkpoints();
    REQUIRE(!cps.empty());
    REQUIRE(cps.front().last_sequence == 50);  // newest first
    pinned = cps.front().id;
    pinned_digest = cps.front().digest;
    REQUIRE(pinned_digest == memory_digest(kReserve, batches));
    REQUIRE(reserve->pin_checkpoint(pinned).is_ok());
    // 51..80.
    for (uint64_t b = 0; b < 3; ++b) REQUIRE(reserve->apply_and_wait(tree_inserts(kReserve, 100 + 10 * b, 10)).status.is_ok());
    REQUIRE(reserve->last_sequence() == 80);
    wide_mark = mark_of(*wide);
    default_mark = mark_of(*rt);
    wide_checkpoints = wide->checkpoints();

    // Back to the version after operation 30 (before the pinned checkpoint).
    RollbackResult r = reserve->rollback(RollbackTarget::sequence(30));
    INFO(r.status.to_string());
    REQUIRE(r.status.is_ok());
    surviving.assign(batches.begin(), batches.begin() + 3);
    REQUIRE(r.digest == memory_digest(kReserve, surviving));
    REQUIRE(r.sequence == 81);
    REQUIRE(r.rolled_back_to == 30);
    REQUIRE(r.undone == 50);
    REQUIRE(reserve->digest() == r.digest);
    // The other trees did not move.
    REQUIRE(mark_of(*wide) == wide_mark);
    REQUIRE(mark_of(*rt) == default_mark);
    // A key of batch 4 (an update) has its first value again; a key of 51..80 is gone.
    require_verifies(kReserve, reserve->lookup(tree_key(32, 3), true), tree_key(32, 3), true, tree_value(16, 3));
    require_verifies(kReserve, reserve->lookup(tree_key(32, 105), true), tree_key(32, 105), false, {});
    // More: a batch alone, and a transaction with the default tree (the wide tree stays out).
    surviving.push_back(tree_inserts(kReserve, 200, 10));
    BatchResult more = reserve->apply_and_wait(surviving.back());
    REQUIRE(more.status.is_ok());
    REQUIRE(more.first_sequence == 82);
    surviving.push_back(tree_upserts(kReserve, 20, 5, 3));
    TransactionResult t = rt->transact({{"reserve", surviving.back()}, {"default", tree_inserts(kDefault, 100, 5)}});
    REQUIRE(t.status.is_ok());
    REQUIRE(t.parts[0].first_sequence == 92);
    default_mark = mark_of(*rt);
    reserve_final = mark_of(*reserve);
    REQUIRE(reserve_final.digest == memory_digest(kReserve, surviving));
    REQUIRE(reserve_final.last_sequence == 96);
    REQUIRE(rt->shutdown().is_ok());
  }
  std::unique_ptr<Runtime> rt = open_store(cfg);
  std::shared_ptr<Runtime> reserve = tree_of(*rt, "reserve"), wide = tree_of(*rt, "wide");
  REQUIRE(mark_of(*reserve) == reserve_final);
  REQUIRE(reserve->digest() == memory_digest(kReserve, surviving));
  // The log shows what was undone, and replays to the digest.
  const std::vector<LogRecord> log = whole_log(*reserve);
  REQUIRE(log.size() == 96);
  REQUIRE(log[80].rollback);
  REQUIRE(log[80].rolled_back_to == 30);
  REQUIRE(replay_log(kReserve, log) == reserve_final.digest);
  // The pinned checkpoint is kept, and its proofs verify against its digest:
  // a key updated in batch 4 (its value of round 1), a key of 51..80 absent there.
  REQUIRE(reserve->pinned_checkpoints() == std::set<uint64_t>{pinned});
  LookupResult at_pin = reserve->lookup_at_checkpoint(pinned, tree_key(32, 3));
  REQUIRE(at_pin.digest == pinned_digest);
  require_verifies(kReserve, at_pin, tree_key(32, 3), true, tree_value(16, 3, 1));
  require_verifies(kReserve, reserve->lookup_at_checkpoint(pinned, tree_key(32, 105)), tree_key(32, 105), false, {});
  require_verifies(kReserve, reserve->lookup_at_digest(pinned_digest, tree_key(32, 12)), tree_key(32, 12), true,
                   tree_value(16, 12, 2));
  // The other trees: as before the rollback (the default tree: after the transaction).
  REQUIRE(mark_of(*wide) == wide_mark);
  REQUIRE(mark_of(*rt) == default_mark);
  std::vector<CheckpointInfo> wide_now = wide->checkpoints();
  REQUIRE(!wide_now.empty());
  REQUIRE(wide_now.back().id == wide_checkpoints.back().id);  // the oldest is still there
  REQUIRE(wide_now.front().digest == wide_mark.digest);
  REQUIRE(replay_log(kWide, whole_log(*wide)) == wide_mark.digest);
  // Rolling back to the pinned checkpoint itself: the tree is that version again.
  RollbackResult to_pin = reserve->rollback(RollbackTarget::checkpoint(pinned));
  INFO(to_pin.status.to_string());
  REQUIRE(to_pin.status.is_ok());
  REQUIRE(to_pin.digest == pinned_digest);
  REQUIRE(reserve->digest() == pinned_digest);
  REQUIRE(replay_log(kReserve, whole_log(*reserve)) == pinned_digest);
  REQUIRE(mark_of(*wide) == wide_mark);
  // A checkpoint id of another tree means nothing here: the wide tree's
  // ids are its own (kNotFound unless the reserve tree has one too).
  REQUIRE(!reserve->rollback(RollbackTarget::checkpoint(999'999)).status.is_ok());
  REQUIRE(rt->shutdown().is_ok());
}

// Rollbacks of one tree race transactions over it and another tree: no
// deadlock, and every tree's log still replays to its digest.
TEST_CASE("trees rollback: rollbacks of a tree racing transactions over it and another tree", "[trees][rollback][attack]") {
  TempDir dir;
  const config::Config cfg = rollback_config(dir.path("store"));
  std::unique_ptr<Runtime> rt = open_store(cfg);
  std::shared_ptr<Runtime> reserve = tree_of(*rt, "reserve"), wide = tree_of(*rt, "wide");
  REQUIRE(reserve->apply_and_wait(tree_inserts(kReserve, 0, 10)).status.is_ok());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> committed{0}, rolled_back{0};
  std::atomic<int> failures{0};
  std::thread transactions([&] {
    for (uint64_t n = 1; !stop; ++n) {
      TransactionResult t = rt->transact({{"reserve", tree_upserts(kReserve, n % 10, 3, n)}, {"wide", tree_inserts(kWide, n * 10, 2)}});
      if (t.status.is_ok()) {
        ++committed;
      } else {
        ++failures;
      }
    }
  });
  std::thread rollbacks([&] {
    while (!stop) {
      const uint64_t last = reserve->last_sequence();
      RollbackResult r = reserve->rollback(RollbackTarget::sequence(last > 20 ? last - 7 : 10));
      // Refused only when there is nothing to undo in the window (a version equal to now).
      if (r.status.is_ok()) ++rolled_back;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  stop = true;
  transactions.join();
  rollbacks.join();
  WARN(committed << " transactions, " << rolled_back << " rollbacks, " << failures << " failed transactions");
  CHECK(failures == 0);
  CHECK(committed > 0);
  CHECK(rolled_back > 0);
  const TreeMark reserve_mark = mark_of(*reserve), wide_mark = mark_of(*wide);
  REQUIRE(replay_log(kReserve, whole_log(*reserve)) == reserve_mark.digest);
  REQUIRE(replay_log(kWide, whole_log(*wide)) == wide_mark.digest);
  REQUIRE(rt->shutdown().is_ok());
  rt = open_store(cfg);
  REQUIRE(mark_of(*tree_of(*rt, "reserve")) == reserve_mark);
  REQUIRE(mark_of(*tree_of(*rt, "wide")) == wide_mark);
}
