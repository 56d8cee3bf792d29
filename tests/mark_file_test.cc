// The durable mark itself: a damaged or missing mark is refused (the identity
// file says the store keeps one), changing nothing, until the operator
// accepts; a store from before marks opens and gets one; a restore of an
// older backup moves the mark to it. A missing table file is refused naming
// the file, changing nothing.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include "storage/backup.h"
#include "storage/durable_mark.h"
#include "storage/store_identity.h"
#include "tests/storage_test_util.h"
#include "tests/wal_damage_test.h"

using namespace basis;
using basis::storage::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// A store with `count` operations, shut down cleanly.
config::Config written_store(const TempDir& dir, uint64_t count = 100) {
  config::Config cfg = testing::wal_config(dir.path("data"));
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  for (uint64_t first = 0; first < count; first += 500) {
    REQUIRE(rt->apply_and_wait(testing::inserts(first, std::min<uint64_t>(500, count - first))).status.is_ok());
  }
  REQUIRE(rt->shutdown().is_ok());
  return cfg;
}

void accept_and_open(const config::Config& cfg, uint64_t expected_sequence) {
  std::string out;
  REQUIRE(testing::run_tool("accept-loss --yes --data-dir " + cfg.storage.data_dir, &out) == 0);
  std::unique_ptr<basis::Runtime> rt;
  tree::Status s = basis::Runtime::open(cfg, &rt);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  CHECK(rt->last_sequence() == expected_sequence);
}

// Deletes the mark id the store keeps inside RocksDB, as a store from before
// marks never had one.
void forget_mark_id(const std::string& db) {
  std::vector<std::string> names;
  REQUIRE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), db, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), db, families, &handles, &raw).ok());
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == storage::kMetadata) REQUIRE(raw->Delete(rocksdb::WriteOptions(), handles[i], storage::kMarkIdKey).ok());
  }
  for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
  delete raw;
}

}  // namespace

TEST_CASE("a damaged durable mark is refused until the operator accepts the log", "[recovery][mark]") {
  TempDir dir;
  config::Config cfg = written_store(dir);
  const std::string mark = storage::DurableMark::path_for(cfg.storage.data_dir + "/db");
  {
    std::fstream f(mark, std::ios::in | std::ios::out | std::ios::binary);
    f.write("garbage!", 8);
    f.seekp(4096);
    f.write("garbage!", 8);
  }
  testing::refused_twice(cfg, {"db.durable is damaged", "accept-loss --yes", "restore"});
  accept_and_open(cfg, 100);
}

TEST_CASE("a missing durable mark is refused where the identity file says there was one", "[recovery][mark]") {
  TempDir dir;
  config::Config cfg = written_store(dir);
  const std::string db = cfg.storage.data_dir + "/db";
  fs::remove(storage::DurableMark::path_for(db));
  testing::refused_twice(cfg, {"db.durable is missing", "keeps one", "accept-loss --yes"});
  accept_and_open(cfg, 100);
  REQUIRE(fs::exists(storage::DurableMark::path_for(db)));
}

TEST_CASE("a store from before durable marks opens and gets one", "[recovery][mark]") {
  TempDir dir;
  config::Config cfg = written_store(dir);
  const std::string db = cfg.storage.data_dir + "/db";
  fs::remove(storage::DurableMark::path_for(db));
  std::ofstream(storage::identity_path(db), std::ios::trunc) << "basis-trees store db\ncreated_ms 1\n";
  REQUIRE_FALSE(storage::identity_records_mark(db));
  forget_mark_id(db);  // nor does the store itself know of one
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  CHECK(rt->last_sequence() == 100);
  REQUIRE(rt->shutdown().is_ok());
  storage::MarkState m;
  REQUIRE(storage::DurableMark::read(db, &m).is_ok());
  CHECK(m.sequence == 100);
  CHECK(storage::identity_records_mark(db));
}

TEST_CASE("a restored older backup moves the durable mark back to it", "[recovery][mark]") {
  TempDir dir;
  config::Config cfg = written_store(dir);
  const std::string db = cfg.storage.data_dir + "/db";
  {
    auto store = testing::open_closed_store(cfg.storage.data_dir);
    REQUIRE(storage::create_backup(store.get(), dir.path("backup")).is_ok());
  }
  {
    std::unique_ptr<basis::Runtime> rt;
    REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
    REQUIRE(rt->apply_and_wait(testing::inserts(1000, 50)).status.is_ok());
    REQUIRE(rt->shutdown().is_ok());
  }
  std::string out;
  REQUIRE(testing::run_tool("restore " + dir.path("backup") + " --yes --data-dir " + cfg.storage.data_dir, &out) == 0);
  std::unique_ptr<basis::Runtime> rt;
  tree::Status s = basis::Runtime::open(cfg, &rt);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  CHECK(rt->last_sequence() == 100);
}

TEST_CASE("a missing table file is refused naming it, and the refusal changes nothing", "[recovery][mark]") {
  TempDir dir;
  config::Config cfg = written_store(dir, 2000);
  std::string table;
  for (const auto& e : fs::directory_iterator(cfg.storage.data_dir + "/db")) {
    if (e.path().extension() == ".sst") table = e.path().filename().string();
  }
  REQUIRE_FALSE(table.empty());
  fs::rename(cfg.storage.data_dir + "/db/" + table, dir.path(table));
  testing::refused_twice(cfg, {table, "is missing", "restore"});
  std::string out;
  CHECK(testing::run_tool("verify --data-dir " + cfg.storage.data_dir, &out) == 1);
  fs::rename(dir.path(table), cfg.storage.data_dir + "/db/" + table);  // put back: whole again
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  CHECK(rt->last_sequence() == 2000);
}
