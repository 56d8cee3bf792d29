// Retention: the newest checkpoints and the pinned ones stay; operation
// records leave the live log only when older than both the age limit and
// every kept checkpoint, archived first into files that read back whole.
#include <catch2/catch.hpp>

#include <atomic>
#include <algorithm>
#include <filesystem>
#include <mutex>
#include <set>
#include <fstream>
#include <thread>

#include "basis/runtime.h"

#include "storage/checkpoint_store.h"
#include "storage/oplog.h"
#include "storage/oplog_archive.h"
#include "storage/retention.h"
#include "tests/storage_test_util.h"

using namespace basis;
using namespace basis::storage;
using basis::storage::testing::TempDir;

namespace {

Digest digest_of(uint64_t n) {
  Digest d{};
  for (size_t i = 0; i < 8; ++i) d[i] = static_cast<uint8_t>(n >> (8 * i));
  return d;
}

// Records 1..count with timestamps 1000 + sequence, chained digests.
void append(Oplog* log, uint64_t from, uint64_t count) {
  std::vector<OperationRecord> records;
  for (uint64_t s = from; s < from + count; ++s) {
    OperationRecord r;
    r.sequence = s;
    r.type = tree::OpType::kInsert;
    r.timestamp_ms = 1000 + s;
    r.key = tree::Bytes(32, static_cast<uint8_t>(s));
    r.value = {1, 2, 3};
    r.digest_before = digest_of(s - 1);
    r.digest_after = digest_of(s);
    records.push_back(r);
  }
  REQUIRE(log->append(records, {}, true).is_ok());
}

void checkpoint(Database* db, uint64_t id, uint64_t last_sequence) {
  CheckpointRecord c;
  c.id = id;
  c.digest = digest_of(last_sequence);
  c.last_sequence = last_sequence;
  REQUIRE(CheckpointStore(db).write(c).is_ok());
}

std::vector<uint64_t> checkpoint_ids(Database* db) {
  std::vector<CheckpointRecord> list;
  REQUIRE(CheckpointStore(db).list(&list).is_ok());
  std::vector<uint64_t> ids;
  for (const auto& c : list) ids.push_back(c.id);
  return ids;
}

}  // namespace

TEST_CASE("retention keeps the newest and the pinned checkpoints and archives old records", "[retention]") {
  TempDir dir;
  std::unique_ptr<Database> db = basis::storage::testing::open_database(dir.path("db"));
  std::unique_ptr<Oplog> log;
  REQUIRE(Oplog::open(db.get(), &log).is_ok());
  append(log.get(), 1, 100);
  for (uint64_t id = 1; id <= 5; ++id) checkpoint(db.get(), id, id * 20);
  REQUIRE(pin_checkpoint(db.get(), 2).is_ok());
  REQUIRE(pin_checkpoint(db.get(), 9).kind() == tree::ErrorKind::kNotFound);

  RetentionPolicy policy;
  policy.checkpoints = 2;
  policy.oplog_age = std::chrono::milliseconds(10);
  policy.archive_dir = dir.path("archive");
  RetentionReport report;
  // At time 1095 every record up to 84 is old enough; the oldest kept
  // checkpoint (2, pinned) ends at 40, so records 1..40 leave.
  REQUIRE(apply_retention(db.get(), policy, 1095, &report).is_ok());
  REQUIRE(checkpoint_ids(db.get()) == std::vector<uint64_t>{5, 4, 2});
  REQUIRE(report.checkpoints_removed == 2);
  REQUIRE(report.records_removed == 40);
  REQUIRE(Oplog::open(db.get(), &log).is_ok());
  REQUIRE(log->first_sequence() == 41);
  REQUIRE(log->last_sequence() == 100);

  std::vector<ArchiveFile> files;
  REQUIRE(list_archives(policy.archive_dir, &files).is_ok());
  REQUIRE(files.size() == 1);
  REQUIRE(files[0].first == 1);
  REQUIRE(files[0].last == 40);
  uint64_t next = 1;
  REQUIRE(read_archive(files[0], [&](const OperationRecord& r) {
    REQUIRE(r.sequence == next);
    REQUIRE(r.timestamp_ms == 1000 + next);
    ++next;
    return true;
  }).is_ok());
  REQUIRE(next == 41);

  // Unpinned, checkpoint 2 goes; the age limit now binds: at 1075 only
  // records up to 64 are old enough (checkpoint 4 would allow 80).
  REQUIRE(unpin_checkpoint(db.get(), 2).is_ok());
  REQUIRE(apply_retention(db.get(), policy, 1075, &report).is_ok());
  REQUIRE(checkpoint_ids(db.get()) == std::vector<uint64_t>{5, 4});
  REQUIRE(report.records_removed == 24);
  REQUIRE(Oplog::open(db.get(), &log).is_ok());
  REQUIRE(log->first_sequence() == 65);
  REQUIRE(list_archives(policy.archive_dir, &files).is_ok());
  REQUIRE(files.size() == 2);
  REQUIRE(files[1].first == 41);
  REQUIRE(files[1].last == 64);

  // Every record can leave once a checkpoint covers them all; the log still
  // knows where it continues, after a reopen too.
  checkpoint(db.get(), 6, 100);
  policy.checkpoints = 1;
  REQUIRE(apply_retention(db.get(), policy, 5000, &report).is_ok());
  REQUIRE(report.records_removed == 36);
  REQUIRE(Oplog::open(db.get(), &log).is_ok());
  REQUIRE(log->last_sequence() == 100);
  REQUIRE(log->last_digest() == digest_of(100));
  append(log.get(), 101, 5);  // continues the chain
  REQUIRE(log->last_sequence() == 105);

  // A damaged archive is refused, naming the file.
  {
    std::fstream f(files[0].path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    char c = 0;
    f.read(&c, 1);
    f.seekp(100);
    c = static_cast<char>(c ^ 0x40);
    f.write(&c, 1);
  }
  tree::Status s = read_archive(files[0], [](const OperationRecord&) { return true; });
  REQUIRE_FALSE(s.is_ok());
  REQUIRE(s.message().find(files[0].path) != std::string::npos);
}

TEST_CASE("without archiving, old records just leave, and nothing leaves while young", "[retention]") {
  TempDir dir;
  std::unique_ptr<Database> db = basis::storage::testing::open_database(dir.path("db"));
  std::unique_ptr<Oplog> log;
  REQUIRE(Oplog::open(db.get(), &log).is_ok());
  append(log.get(), 1, 30);
  checkpoint(db.get(), 1, 30);
  RetentionPolicy policy;
  policy.checkpoints = 3;
  policy.oplog_age = std::chrono::hours(1);
  RetentionReport report;
  REQUIRE(apply_retention(db.get(), policy, 2000, &report).is_ok());  // all younger than an hour
  REQUIRE(report.records_removed == 0);
  REQUIRE(apply_retention(db.get(), policy, 2000 + 3'600'000, &report).is_ok());
  REQUIRE(report.records_removed == 30);
  REQUIRE(report.archive.empty());
  REQUIRE_FALSE(std::filesystem::exists(dir.path("archive")));
}

TEST_CASE("the runtime applies retention at each checkpoint: old records archived, reopen normal", "[retention]") {
  TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  cfg.persistence.checkpoint_retention = 2;
  cfg.persistence.operation_log_retention = std::chrono::milliseconds(1);
  cfg.persistence.checkpoint_interval.operations = 1'000'000;  // only the explicit ones
  tree::Digest digest{};
  {
    std::unique_ptr<basis::Runtime> rt;
    REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
    for (uint64_t b = 0; b < 5; ++b) {
      std::vector<basis::OwnedOperation> ops;
      for (uint64_t i = b * 100; i < (b + 1) * 100; ++i) {
        ops.push_back({tree::OpType::kInsert, tree::Bytes(32, 0), tree::Bytes{1}, 0});
        ops.back().key[0] = static_cast<uint8_t>(i >> 8);
        ops.back().key[1] = static_cast<uint8_t>(i);
        ops.back().key[2] = 1;
      }
      REQUIRE(rt->apply_and_wait(std::move(ops)).status.is_ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // older than the 1 ms limit
      REQUIRE(rt->checkpoint_now().is_ok());
    }
    REQUIRE(rt->checkpoints().size() == 2);
    std::vector<basis::LogRecord> records;
    tree::Status s = rt->read_log(1, 10, &records);
    REQUIRE(s.kind() == tree::ErrorKind::kNotFound);
    REQUIRE(s.message().find("archived in") != std::string::npos);
    REQUIRE(rt->read_log(401, 10, &records).is_ok());  // the oldest kept checkpoint ends at 400
    REQUIRE(records.size() == 10);
    digest = rt->digest();
  }
  std::vector<ArchiveFile> files;
  REQUIRE(list_archives(cfg.archive_path(), &files).is_ok());
  REQUIRE_FALSE(files.empty());
  REQUIRE(files.front().first == 1);
  uint64_t next = 1;
  for (const auto& f : files) {
    REQUIRE(f.first == next);
    REQUIRE(read_archive(f, [](const OperationRecord&) { return true; }).is_ok());
    next = f.last + 1;
  }
  REQUIRE(next == 401);
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->recovery().path == basis::RecoveryPath::kLatestCheckpoint);
  REQUIRE(rt->digest() == digest);
}

TEST_CASE("a pin answered OK is never lost to retention or garbage collection, under churn", "[retention][pins]") {
  // Pins once ran on the caller's thread while retention ran on the
  // checkpointer: a pin could read its checkpoint, retention remove it, and
  // the pin be written and answered OK for a checkpoint that was gone.
  TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  cfg.storage.sync = config::SyncPolicy::kNever;  // many checkpoints quickly
  cfg.persistence.checkpoint_interval.operations = 50;
  cfg.persistence.checkpoint_retention = 2;
  cfg.persistence.node_gc_every = 1;
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  auto key_of = [](uint64_t i) {
    tree::Bytes k(32, 7);
    k[0] = static_cast<uint8_t>(i >> 8);
    k[1] = static_cast<uint8_t>(i);
    return k;
  };
  std::atomic<bool> done{false};
  std::atomic<size_t> answered_count{0};
  std::thread churn([&] {
    // At least 600 batches, and on until 30 pins were answered (a loaded
    // machine runs the pinners less often), within 6,000.
    for (uint64_t b = 0; b < 600 || (answered_count < 30 && b < 6000); ++b) {
      std::vector<basis::OwnedOperation> ops;
      for (uint64_t i = 0; i < 25; ++i) {
        uint64_t k = (b * 25 + i) % 400;
        ops.push_back({tree::OpType::kInsertOrUpdate, key_of(k), tree::Bytes{static_cast<uint8_t>(b)}, 0});
      }
      (void)rt->apply_and_wait(std::move(ops));
    }
    done = true;
  });
  std::mutex mu;
  std::vector<uint64_t> answered;  // pins answered OK
  size_t refused = 0;
  auto pinner = [&] {
    while (!done) {
      // Newest first: pin the oldest one not pinned yet, the next to go
      // (just after a seal, the one retention is about to remove).
      auto list = rt->checkpoints();
      uint64_t id = 0;
      {
        std::lock_guard<std::mutex> lock(mu);
        for (auto it = list.rbegin(); it != list.rend() && id == 0; ++it) {
          if (std::find(answered.begin(), answered.end(), it->id) == answered.end()) id = it->id;
        }
      }
      if (id == 0) continue;
      tree::Status s = rt->pin_checkpoint(id);
      std::lock_guard<std::mutex> lock(mu);
      if (s.is_ok()) {
        answered.push_back(id);
        ++answered_count;
      } else {
        REQUIRE(s.kind() == tree::ErrorKind::kNotFound);  // gone before the pin: refused, not lost
        ++refused;
      }
    }
  };
  std::thread p1(pinner), p2(pinner);
  p1.join();
  p2.join();
  churn.join();
  REQUIRE(rt->checkpoint_now().is_ok());  // one more retention and collection
  REQUIRE(answered.size() > 20);
  std::set<uint64_t> kept;
  for (const auto& c : rt->checkpoints()) kept.insert(c.id);
  std::set<uint64_t> pinned = rt->pinned_checkpoints();
  INFO(answered.size() << " pins answered, " << refused << " refused");
  for (uint64_t id : answered) {
    INFO("checkpoint " << id);
    REQUIRE(kept.count(id) == 1);
    REQUIRE(pinned.count(id) == 1);
    basis::LookupResult r = rt->lookup_at_checkpoint(id, key_of(1));
    REQUIRE(r.status.is_ok());  // its nodes are all there: a proof at it
  }
}
