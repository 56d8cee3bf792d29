// Keyspaces (storage/keyspace.h): two trees' logs, checkpoints, notes and
// pins in the same families stay apart. (The default tree's keyspace has no
// prefix, so it spans its families: other trees get families of their own.)
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include "storage/checkpoint_store.h"
#include "storage/coding.h"
#include "storage/keyspace.h"
#include "storage/notes.h"
#include "storage/oplog.h"
#include "storage/node_gc.h"
#include "storage/node_store.h"
#include "storage/retention.h"
#include "storage/tree_verify.h"
#include "basis/tree/batch_prover.h"
#include "tests/storage_test_util.h"

using namespace basis::storage;
using basis::storage::testing::TempDir;

namespace {

OperationRecord record(uint64_t sequence, uint8_t key_byte, const Digest& before) {
  OperationRecord r;
  r.sequence = sequence;
  r.type = basis::tree::OpType::kInsert;
  r.key = Bytes(32, key_byte);
  r.value = Bytes(8, static_cast<uint8_t>(sequence));
  r.digest_before = before;
  r.digest_after = before;
  r.digest_after[0] = static_cast<uint8_t>(sequence);
  return r;
}

// Appends `count` records with notes to the log in `ks`; returns its last digest.
Digest append(Database* db, const Keyspace& ks, uint8_t key_byte, uint64_t count) {
  std::unique_ptr<Oplog> log;
  REQUIRE(Oplog::open(db, &log, ks).is_ok());
  Digest d = log->last_digest().value_or(Digest{});
  for (uint64_t i = 0; i < count; ++i) {
    OperationRecord r = record(log->last_sequence() + 1, static_cast<uint8_t>(key_byte + i), d);
    std::vector<NoteUpdate> notes{{r.key, NoteRecord{r.value, r.sequence}}};
    REQUIRE(log->append(std::vector<OperationRecord>{r}, notes, true).is_ok());
    d = r.digest_after;
  }
  return d;
}

}  // namespace

TEST_CASE("keyspace: bounds cover exactly the keys with the prefix", "[storage][keyspace]") {
  REQUIRE(Keyspace().upper_bound().empty());
  REQUIRE(Keyspace(std::string("\x00\x00\x00\x07", 4)).upper_bound() == std::string("\x00\x00\x00\x08", 4));
  REQUIRE(Keyspace(std::string("\x00\x00\x01\xff", 4)).upper_bound() == std::string("\x00\x00\x02", 3));
  REQUIRE(Keyspace(std::string("\xff\xff", 2)).upper_bound().empty());
  std::string_view k;
  Keyspace a(std::string("\x00\x00\x00\x07", 4));
  const std::string stored = a.key("abc");  // `k` views into it
  REQUIRE(a.strip(stored, &k));
  REQUIRE(k == "abc");
  REQUIRE(!a.strip(std::string("\x00\x00\x00\x08", 4) + "abc", &k));
}

TEST_CASE("keyspace: two trees' logs, checkpoints, notes and pins in one store stay apart", "[storage][keyspace]") {
  TempDir dir;
  auto db = basis::storage::testing::open_database(dir.path());
  const Keyspace a(std::string("\x00\x00\x00\x01", 4)), b(std::string("\x00\x00\x00\x02", 4));
  const Digest last_a = append(db.get(), a, 0x10, 30);
  const Digest last_b = append(db.get(), b, 0x80, 5);
  std::unique_ptr<Oplog> log_a, log_b;
  REQUIRE(Oplog::open(db.get(), &log_a, a).is_ok());
  REQUIRE(Oplog::open(db.get(), &log_b, b).is_ok());
  REQUIRE(log_a->last_sequence() == 30);
  REQUIRE(log_b->last_sequence() == 5);
  REQUIRE(log_a->last_digest() == last_a);
  REQUIRE(log_b->last_digest() == last_b);
  REQUIRE(log_a->first_sequence() == 1);
  uint64_t seen = 0;
  REQUIRE(log_b->scan(1, UINT64_MAX, [&](const OperationRecord& r) { return ++seen, r.key[0] >= 0x80; }).is_ok());
  REQUIRE(seen == 5);

  for (uint64_t id = 1; id <= 3; ++id) {
    REQUIRE(CheckpointStore(db.get(), a).write(CheckpointRecord{id, 0, last_a, 10 * id, 0, ""}).is_ok());
  }
  REQUIRE(CheckpointStore(db.get(), b).write(CheckpointRecord{1, 0, last_b, 5, 0, ""}).is_ok());
  std::vector<CheckpointRecord> listed;
  REQUIRE(CheckpointStore(db.get(), a).list(&listed).is_ok());
  REQUIRE(listed.size() == 3);
  REQUIRE(listed.front().id == 3);
  REQUIRE(CheckpointStore(db.get(), b).list(&listed).is_ok());
  REQUIRE(listed.size() == 1);

  REQUIRE(pin_checkpoint(db.get(), 1, a).is_ok());
  std::set<uint64_t> pins;
  REQUIRE(pinned_checkpoints(*db, &pins, a).is_ok());
  REQUIRE(pins == std::set<uint64_t>{1});
  REQUIRE(pinned_checkpoints(*db, &pins, b).is_ok());
  REQUIRE(pins.empty());
  REQUIRE(unpin_checkpoint(db.get(), 1, b).is_ok());  // b's checkpoint 1, not pinned: a no-op
  REQUIRE(pinned_checkpoints(*db, &pins, a).is_ok());
  REQUIRE(pins.size() == 1);

  size_t notes_a = 0, notes_b = 0;
  REQUIRE(scan_notes(*db, 32, [&](Note&&) { return ++notes_a, true; }, a).is_ok());
  REQUIRE(scan_notes(*db, 32, [&](Note&& n) { return ++notes_b, n.key[0] >= 0x80; }, b).is_ok());
  REQUIRE(notes_a == 30);
  REQUIRE(notes_b == 5);

  // Retention in one tree leaves the other's log and checkpoints alone.
  RetentionPolicy keep_one;
  keep_one.checkpoints = 1;
  keep_one.oplog_age = std::chrono::milliseconds(0);
  RetentionReport report;
  REQUIRE(apply_retention(db.get(), keep_one, UINT64_MAX / 2, &report, a).is_ok());
  REQUIRE(report.checkpoints_removed == 1);  // 2 goes, 1 is pinned
  REQUIRE(Oplog::open(db.get(), &log_a, a).is_ok());
  REQUIRE(log_a->first_sequence() == 11);  // through the oldest kept (the pinned one, at 10)
  REQUIRE(Oplog::open(db.get(), &log_b, b).is_ok());
  REQUIRE(log_b->first_sequence() == 1);
  REQUIRE(log_b->last_sequence() == 5);
  REQUIRE(CheckpointStore(db.get(), b).list(&listed).is_ok());
  REQUIRE(listed.size() == 1);
}

TEST_CASE("keyspace: two trees' nodes in one family: each resolves, verifies and collects its own", "[storage][keyspace]") {
  TempDir dir;
  auto db = basis::storage::testing::open_database(dir.path());
  const Keyspace a(std::string("\x00\x00\x00\x01", 4)), b(std::string("\x00\x00\x00\x02", 4));
  const basis::tree::TreeParams params{32, std::nullopt};
  auto key = [](uint64_t i) {
    Bytes k(32, 0);
    for (int j = 0; j < 8; ++j) k[31 - j] = static_cast<uint8_t>(i >> (8 * j));
    k[0] = 0x40;
    return k;
  };
  // A tree of `n` keys stored in `ks`; then (when `churn`) half of them
  // removed and stored again, leaving garbage behind.
  auto build = [&](const Keyspace& ks, uint64_t n, bool churn, Digest* before_churn) {
    NodeStore store(db.get(), 1 << 20, ks);
    basis::tree::BatchProver p(params);
    basis::tree::OpOutcome out;
    for (uint64_t i = 0; i < n; ++i) {
      Bytes k = key(i), v(8, static_cast<uint8_t>(i));
      REQUIRE(p.perform({basis::tree::OpType::kInsert, basis::tree::view(k), basis::tree::view(v), 0}, &out).is_ok());
    }
    p.end_batch();
    REQUIRE(p.visit_unstored_nodes([&](const basis::tree::Node& node) { store.add(node, p.pool()); }).is_ok());
    REQUIRE(store.flush(true).is_ok());
    *before_churn = p.digest();
    if (churn) {
      for (uint64_t i = 0; i < n; i += 2) {
        Bytes k = key(i);
        REQUIRE(p.perform({basis::tree::OpType::kRemove, basis::tree::view(k), {}, 0}, &out).is_ok());
      }
      p.end_batch();
      REQUIRE(p.visit_unstored_nodes([&](const basis::tree::Node& node) { store.add(node, p.pool()); }).is_ok());
      REQUIRE(store.flush(true).is_ok());
    }
    return p.digest();
  };
  Digest a_first{}, b_first{};
  const Digest a_now = build(a, 2000, true, &a_first);
  const Digest b_now = build(b, 500, false, &b_first);
  uint64_t nodes = 0;
  REQUIRE(verify_tree(*db, a_now, 2, &nodes, nullptr, {}, a).is_ok());
  REQUIRE(nodes == 2 * 1000 + 1);
  REQUIRE(verify_tree(*db, b_now, 2, &nodes, nullptr, {}, b).is_ok());
  REQUIRE(nodes == 2 * 500 + 1);
  // A's tree is not in B's keyspace.
  REQUIRE(verify_tree(*db, a_now, 1, &nodes, nullptr, {}, b).kind() == basis::tree::ErrorKind::kCorruption);

  // Collecting A's garbage (its first version's nodes) leaves B's nodes, all of them.
  GcReport report;
  REQUIRE(collect_garbage(db.get(), {a_now}, &report, a).is_ok());
  REQUIRE(report.removed > 0);
  REQUIRE(report.live == 2 * 1000 + 1);
  REQUIRE(verify_tree(*db, a_first, 1, &nodes, nullptr, {}, a).kind() == basis::tree::ErrorKind::kCorruption);
  REQUIRE(verify_tree(*db, a_now, 2, &nodes, nullptr, {}, a).is_ok());
  REQUIRE(verify_tree(*db, b_now, 2, &nodes, nullptr, {}, b).is_ok());
  REQUIRE(nodes == 2 * 500 + 1);
  // And a tree read back through B's node store answers from B's nodes.
  NodeStore resolver(db.get(), 1 << 20, b);
  basis::tree::BatchProver reader(params, b_now, &resolver);
  basis::tree::OpOutcome got;
  Bytes k = key(7);
  REQUIRE(reader.get(basis::tree::view(k), &got).is_ok());
  REQUIRE(got.existed);
  REQUIRE(got.old_value == Bytes(8, 7));
}
