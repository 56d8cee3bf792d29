// Rollback (basis/rollback.h): the live tree becomes an earlier version, the
// log records it, later batches continue the sequence, pins stay, and a
// restart (or a crash before the rollback's checkpoint) recovers through it.
// The expected digests are the runtime's own answers at the version rolled
// back to and an in-memory tree (conformance-tested against the reference)
// given the operations that survive.
#include <catch2/catch.hpp>

#include <rocksdb/write_batch.h>

#include "basis/runtime.h"
#include "basis/tree/batch_prover.h"
#include "basis/tree/batch_verifier.h"
#include "engine/recovery.h"
#include "storage/oplog.h"
#include "tests/rollback_attack_util.h"
#include "tests/runtime_test_util.h"

using namespace basis;
using basis::storage::testing::TempDir;
using basis::testing::inserts;
using basis::testing::key_of;
using basis::testing::rollback::kParams;
using basis::testing::rollback::memory_digest;

namespace {

config::Config config_for(const TempDir& dir) {
  config::Config c;
  c.storage.data_dir = dir.path("data");
  c.tree.key_length = 32;
  c.persistence.node_cache_size = 64u << 20;
  c.persistence.checkpoint_interval.operations = 50;
  c.logging.level = "off";
  return c;
}

}  // namespace

TEST_CASE("a rollback, more batches and a restart: digests, sequence, log entry, proofs and pins hold",
          "[runtime][rollback]") {
  TempDir dir;
  const auto cfg = config_for(dir);
  std::vector<tree::Digest> digest_at;  // after batch k
  std::vector<uint64_t> sequence_at;
  tree::Digest after_more{};
  uint64_t pinned = 0;
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    for (uint64_t b = 0; b < 5; ++b) {
      BatchResult r = rt->apply_and_wait(inserts(b * 40, 40));
      REQUIRE(r.status.is_ok());
      digest_at.push_back(r.digest);
      sequence_at.push_back(r.last_sequence);
      REQUIRE(rt->checkpoint_now().is_ok());
    }
    std::vector<CheckpointInfo> checkpoints = rt->checkpoints();
    REQUIRE(checkpoints.size() >= 2);
    pinned = checkpoints.back().id;  // the oldest
    REQUIRE(rt->pin_checkpoint(pinned).is_ok());

    RollbackResult back = rt->rollback(RollbackTarget::sequence(sequence_at[1]));
    INFO(back.status.to_string());
    REQUIRE(back.status.is_ok());
    REQUIRE(back.digest_before == digest_at[4]);
    REQUIRE(back.digest == digest_at[1]);
    REQUIRE(back.rolled_back_to == sequence_at[1]);
    REQUIRE(back.sequence == sequence_at[4] + 1);
    REQUIRE(back.undone == sequence_at[4] - sequence_at[1]);
    REQUIRE(rt->digest() == digest_at[1]);
    REQUIRE(rt->last_sequence() == back.sequence);
    REQUIRE(!rt->lookup(key_of(100), false).outcome.existed);  // inserted after the version
    REQUIRE(rt->lookup(key_of(50), false).outcome.existed);
    // The notes are that version's too: every key checked against the tree.
    HealthReport health = rt->check_health(true);
    INFO(health.problem);
    REQUIRE(health.ok);
    REQUIRE(health.keys_checked == 80);

    // The log says what was undone, and history stays.
    std::vector<LogRecord> log;
    REQUIRE(rt->read_log(back.sequence, 10, &log).is_ok());
    REQUIRE(log.size() == 1);
    REQUIRE(log[0].rollback);
    REQUIRE(log[0].rolled_back_to == sequence_at[1]);
    REQUIRE(log[0].digest_before == digest_at[4]);
    REQUIRE(log[0].digest_after == digest_at[1]);
    REQUIRE(rt->read_log(sequence_at[4], 1, &log).is_ok());
    REQUIRE(!log.back().rollback);

    // Later batches continue the sequence from the new version, with proofs that verify.
    BatchResult more = rt->apply_and_wait(inserts(1000, 30));
    REQUIRE(more.status.is_ok());
    REQUIRE(more.start_digest == digest_at[1]);
    REQUIRE(more.first_sequence == back.sequence + 1);
    tree::BatchVerifier v(kParams, more.start_digest, tree::view(more.proof));
    REQUIRE(v.status().is_ok());
    for (const auto& op : inserts(1000, 30)) {
      tree::OpOutcome out;
      REQUIRE(v.perform(op.view(), &out).is_ok());
    }
    REQUIRE(v.digest() == more.digest);
    after_more = more.digest;
    REQUIRE(after_more == memory_digest({{0, 40}, {40, 40}, {1000, 30}}));

    // The pinned version still answers, with proofs against its digest.
    LookupResult old = rt->lookup_at_checkpoint(pinned, key_of(10));
    REQUIRE(old.status.is_ok());
    REQUIRE(old.outcome.existed);
    REQUIRE(rt->shutdown().is_ok());
  }
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->digest() == after_more);
  REQUIRE(rt->last_sequence() == sequence_at[4] + 1 + 30);
  REQUIRE(rt->pinned_checkpoints().count(pinned) == 1);
  {
    // After the rollback and the restart, a proof at the pinned version still verifies against its digest.
    LookupResult old = rt->lookup_at_checkpoint(pinned, key_of(10));
    REQUIRE(old.status.is_ok());
    REQUIRE(old.outcome.existed);
    tree::BatchVerifier v(kParams, old.digest, tree::view(old.proof));
    tree::OpOutcome out;
    REQUIRE(v.perform(tree::Operation::lookup(tree::view(key_of(10))), &out).is_ok());
    REQUIRE(out.existed);
    REQUIRE(v.digest() == old.digest);
    std::vector<CheckpointInfo> listed = rt->checkpoints();
    bool found = false;
    for (const auto& c : listed) found = found || (c.id == pinned && c.digest == old.digest);
    REQUIRE(found);
  }

  // By digest and by checkpoint: back to the version after batch 0, then to the pinned one.
  RollbackResult by_digest = rt->rollback(RollbackTarget::to_digest(digest_at[0]));
  INFO(by_digest.status.to_string());
  REQUIRE(by_digest.status.is_ok());
  REQUIRE(by_digest.rolled_back_to == sequence_at[0]);
  REQUIRE(rt->digest() == digest_at[0]);
  RollbackResult by_checkpoint = rt->rollback(RollbackTarget::checkpoint(pinned));
  INFO(by_checkpoint.status.to_string());
  REQUIRE(by_checkpoint.status.is_ok());
  REQUIRE(rt->digest() == rt->lookup_at_checkpoint(pinned, key_of(0)).digest);
  // A rollback to the version the tree is: nothing to undo, nothing logged.
  const uint64_t last = rt->last_sequence();
  RollbackResult same = rt->rollback(RollbackTarget::to_digest(rt->digest()));
  REQUIRE(same.status.is_ok());
  REQUIRE(same.sequence == 0);
  REQUIRE(rt->last_sequence() == last);
  // To an earlier sequence whose version has the same digest: nothing undone either.
  BatchResult insert = rt->apply_and_wait(inserts(7000, 1));
  REQUIRE(insert.status.is_ok());
  REQUIRE(rt->apply_and_wait({{tree::OpType::kRemove, key_of(7000), {}, 0}}).status.is_ok());
  const uint64_t after_remove = rt->last_sequence();
  RollbackResult equal = rt->rollback(RollbackTarget::sequence(insert.last_sequence - 1));
  INFO(equal.status.to_string());
  REQUIRE(equal.status.is_ok());
  REQUIRE(equal.sequence == 0);
  REQUIRE(equal.undone == 0);
  REQUIRE(rt->last_sequence() == after_remove);
  HealthReport health = rt->check_health(true);
  INFO(health.problem);
  REQUIRE(health.ok);
}

TEST_CASE("a rollback that cannot be done is refused, naming why, and changes nothing", "[runtime][rollback]") {
  TempDir dir;
  auto cfg = config_for(dir);
  cfg.persistence.checkpoint_retention = 2;
  cfg.persistence.operation_log_retention = std::chrono::milliseconds(1);
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  for (uint64_t b = 0; b < 10; ++b) REQUIRE(rt->apply_and_wait(inserts(b * 50, 50)).status.is_ok());
  const tree::Digest now = rt->digest();
  const uint64_t last = rt->last_sequence();

  RollbackResult past = rt->rollback(RollbackTarget::sequence(1));
  INFO(past.status.to_string());
  REQUIRE(past.status.kind() == tree::ErrorKind::kInvalidArgument);
  REQUIRE(past.status.message().find("oldest version reachable is the one after operation") != std::string::npos);
  RollbackResult ahead = rt->rollback(RollbackTarget::sequence(last + 1));
  REQUIRE(ahead.status.kind() == tree::ErrorKind::kInvalidArgument);
  REQUIRE(ahead.status.message().find("ahead of the tree") != std::string::npos);
  REQUIRE(rt->rollback(RollbackTarget::checkpoint(999)).status.kind() == tree::ErrorKind::kNotFound);
  tree::Digest unknown{};
  unknown[0] = 7;
  REQUIRE(rt->rollback(RollbackTarget::to_digest(unknown)).status.kind() == tree::ErrorKind::kNotFound);
  REQUIRE(rt->digest() == now);
  REQUIRE(rt->last_sequence() == last);
  // Batches go on after refusals.
  REQUIRE(rt->apply_and_wait(inserts(5000, 5)).status.is_ok());
}

// A crash between a rollback's record and its checkpoint: recovery replays
// the record by building the version it names, rollbacks inside included.
TEST_CASE("recovery replays through rollback records, nested ones too, to the digest they name",
          "[storage][rollback][recovery]") {
  TempDir dir;
  auto db = storage::testing::open_database(dir.path());
  std::unique_ptr<storage::Oplog> log;
  REQUIRE(storage::Oplog::open(db.get(), &log).is_ok());
  auto live_tree = std::make_unique<tree::BatchProver>(kParams);
  std::vector<tree::Digest> at{live_tree->digest()};  // at[s]: the digest after operation s, as the log defines it
  uint64_t seq = 0;
  auto append_inserts = [&](uint64_t first, uint64_t count) {
    std::vector<storage::OperationRecord> records;
    tree::OpOutcome out;
    for (const auto& op : inserts(first, count)) {
      storage::OperationRecord r;
      r.sequence = ++seq;
      r.type = op.type;
      r.key = op.key;
      r.value = op.value;
      r.digest_before = live_tree->digest();
      REQUIRE(live_tree->perform(op.view(), &out).is_ok());
      r.digest_after = live_tree->digest();
      at.push_back(r.digest_after);
      records.push_back(std::move(r));
    }
    live_tree->end_batch();
    REQUIRE(log->append(records, {}, true).is_ok());
  };
  auto append_rollback = [&](uint64_t to, const std::vector<std::pair<uint64_t, uint64_t>>& surviving) {
    storage::OperationRecord r;
    r.sequence = ++seq;
    r.rollback = true;
    r.rolled_back_to = to;
    r.digest_before = live_tree->digest();
    r.digest_after = at[to];
    at.push_back(r.digest_after);
    REQUIRE(log->append(std::vector<storage::OperationRecord>{r}, {}, true).is_ok());
    live_tree = std::make_unique<tree::BatchProver>(kParams);
    tree::OpOutcome out;
    for (auto [first, count] : surviving) {
      for (const auto& op : inserts(first, count)) REQUIRE(live_tree->perform(op.view(), &out).is_ok());
    }
    live_tree->end_batch();
    REQUIRE(live_tree->digest() == at[to]);
  };
  append_inserts(0, 100);                // 1..100
  append_rollback(40, {{0, 40}});        // 101: back to 40
  append_inserts(200, 20);               // 102..121
  append_rollback(105, {{0, 40}, {200, 4}});  // 122: back to 105, whose version passes the rollback at 101
  append_inserts(300, 10);               // 123..132
  const tree::Digest expected = memory_digest({{0, 40}, {200, 4}, {300, 10}});
  REQUIRE(live_tree->digest() == expected);
  log.reset();

  config::Config cfg;
  cfg.tree.key_length = 32;
  engine::Recovered r;
  tree::Status s = engine::recover(db.get(), cfg, &r);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  REQUIRE(r.path == RecoveryPath::kFullReplay);
  REQUIRE(r.last_sequence == 132);
  REQUIRE(r.prover->digest() == expected);
  engine::Recovered v;
  REQUIRE(engine::recover_version(db.get(), cfg, 121, &v).is_ok());
  REQUIRE(v.prover->digest() == at[121]);
  REQUIRE(v.prover->digest() == memory_digest({{0, 40}, {200, 20}}));
}
