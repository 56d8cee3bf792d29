// The fault-injecting file system on its own and under a RocksDB database:
// faults hit the kinds of file and the calls they are set for, counted; a
// seeded probability gives the same faults again; a power loss keeps exactly
// what was synced.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <rocksdb/db.h>

#include "tests/storage_test_util.h"
#include "tests/support/fault_file_system.h"

using namespace basis::testing;
using basis::storage::testing::TempDir;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

namespace {

// "k<i>", appended: `"k" + std::to_string(i)` inserts into the temporary,
// which g++ 12 at -O3 flags with a false -Wrestrict.
std::string key_name(int i) {
  std::string name = "k";
  name += std::to_string(i);
  return name;
}

std::unique_ptr<rocksdb::FSWritableFile> create(FaultFileSystem& fs, const std::string& path) {
  std::unique_ptr<rocksdb::FSWritableFile> f;
  REQUIRE(fs.NewWritableFile(path, rocksdb::FileOptions(), &f, nullptr).ok());
  return f;
}

uint64_t size_of(const std::string& path) { return std::filesystem::file_size(path); }

}  // namespace

TEST_CASE("file kinds are told by name", "[fault_fs]") {
  REQUIRE(file_kind("/d/db/000012.log") == kWalFile);
  REQUIRE(file_kind("/d/db/000013.sst") == kTableFile);
  REQUIRE(file_kind("/d/db/MANIFEST-000005") == kManifestFile);
  REQUIRE(file_kind("/d/db/CURRENT") == kOtherFile);
  REQUIRE(file_kind("/d/db/LOG") == kOtherFile);
}

TEST_CASE("the next N faults hit only the calls and files they are set for, and are counted", "[fault_fs]") {
  TempDir dir;
  FaultFileSystem fs;
  auto wal = create(fs, dir.path("1.log"));
  auto table = create(fs, dir.path("2.sst"));
  fs.fail_next(Fault::kWrite, kWalFile, 2);
  fs.fail_next(Fault::kNoSpace, kTableFile, 1);
  fs.fail_next(Fault::kSync, kWalFile, 1);
  IOStatus s = wal->Append("abc", IOOptions(), nullptr);
  REQUIRE(s.IsIOError());
  REQUIRE_FALSE(s.IsNoSpace());
  REQUIRE(wal->Append("abc", IOOptions(), nullptr).IsIOError());
  REQUIRE(wal->Append("abc", IOOptions(), nullptr).ok());  // two were asked for
  REQUIRE(table->Append("xyz", IOOptions(), nullptr).IsNoSpace());
  REQUIRE(table->Append("xyz", IOOptions(), nullptr).ok());
  REQUIRE(table->Sync(IOOptions(), nullptr).ok());  // syncs fail only on the WAL
  REQUIRE(wal->Sync(IOOptions(), nullptr).IsIOError());
  REQUIRE(wal->Sync(IOOptions(), nullptr).ok());
  REQUIRE(fs.injected(Fault::kWrite) == 2);
  REQUIRE(fs.injected(Fault::kWrite, kWalFile) == 2);
  REQUIRE(fs.injected(Fault::kNoSpace, kTableFile) == 1);
  REQUIRE(fs.injected(Fault::kSync) == 1);
  REQUIRE(fs.injected(Fault::kRead) == 0);
  // A failed append wrote nothing.
  REQUIRE(size_of(dir.path("1.log")) == 3);
  REQUIRE(size_of(dir.path("2.sst")) == 3);

  REQUIRE(wal->Close(IOOptions(), nullptr).ok());
  fs.fail_next(Fault::kRead, kWalFile, 1);
  std::unique_ptr<rocksdb::FSRandomAccessFile> r;
  REQUIRE(fs.NewRandomAccessFile(dir.path("1.log"), rocksdb::FileOptions(), &r, nullptr).ok());
  char scratch[8];
  rocksdb::Slice got;
  REQUIRE(r->Read(0, 3, IOOptions(), &got, scratch, nullptr).IsIOError());
  REQUIRE(r->Read(0, 3, IOOptions(), &got, scratch, nullptr).ok());
  REQUIRE(got.ToString() == "abc");
  REQUIRE(fs.injected(Fault::kRead, kWalFile) == 1);
}

TEST_CASE("faults with a probability follow the seed", "[fault_fs]") {
  TempDir dir;
  auto pattern = [&](uint64_t seed) {
    FaultFileSystem fs(rocksdb::FileSystem::Default(), seed);
    auto f = create(fs, dir.path("p" + std::to_string(seed) + ".log"));
    fs.fail_randomly(Fault::kWrite, kWalFile, 0.3);
    std::string failed;
    for (int i = 0; i < 400; ++i) failed += f->Append("x", IOOptions(), nullptr).ok() ? '.' : 'F';
    REQUIRE(fs.injected(Fault::kWrite) == static_cast<uint64_t>(std::count(failed.begin(), failed.end(), 'F')));
    return failed;
  };
  std::string a = pattern(5);
  REQUIRE(a == pattern(5));
  REQUIRE(a != pattern(6));
  auto failures = std::count(a.begin(), a.end(), 'F');
  REQUIRE(failures > 80);  // about 120 of 400
  REQUIRE(failures < 160);
}

TEST_CASE("a power loss keeps what was synced and nothing else", "[fault_fs]") {
  TempDir dir;
  const std::string before = dir.path("old.sst");
  {
    std::ofstream(before) << "0123456789";  // there before: durable
  }
  FaultFileSystem fs;
  auto synced = create(fs, dir.path("a.log"));
  REQUIRE(synced->Append("durable-", IOOptions(), nullptr).ok());
  REQUIRE(synced->Sync(IOOptions(), nullptr).ok());
  REQUIRE(synced->Append("lost", IOOptions(), nullptr).ok());
  auto never = create(fs, dir.path("b.sst"));
  REQUIRE(never->Append("never synced", IOOptions(), nullptr).ok());
  std::unique_ptr<rocksdb::FSWritableFile> reopened;
  REQUIRE(fs.ReopenWritableFile(before, rocksdb::FileOptions(), &reopened, nullptr).ok());
  REQUIRE(reopened->Append("tail", IOOptions(), nullptr).ok());
  // A synced temporary file renamed into place keeps its synced state.
  auto tmp = create(fs, dir.path("c.dbtmp"));
  REQUIRE(tmp->Append("current", IOOptions(), nullptr).ok());
  REQUIRE(tmp->Fsync(IOOptions(), nullptr).ok());
  REQUIRE(fs.RenameFile(dir.path("c.dbtmp"), dir.path("CURRENT"), IOOptions(), nullptr).ok());
  REQUIRE(fs.unsynced_bytes() == 4 + 12 + 4);

  REQUIRE(fs.drop_unsynced_data().ok());
  REQUIRE(size_of(dir.path("a.log")) == 8);
  REQUIRE_FALSE(std::filesystem::exists(dir.path("b.sst")));
  REQUIRE(size_of(before) == 10);
  REQUIRE(size_of(dir.path("CURRENT")) == 7);
  // The machine is off: nothing is written any more, until the power is back.
  REQUIRE_FALSE(fs.powered());
  REQUIRE(synced->Append("after", IOOptions(), nullptr).IsIOError());
  REQUIRE(size_of(dir.path("a.log")) == 8);
  std::unique_ptr<rocksdb::FSWritableFile> f;
  REQUIRE_FALSE(fs.NewWritableFile(dir.path("d.log"), rocksdb::FileOptions(), &f, nullptr).ok());
  fs.power_on();
  REQUIRE(fs.NewWritableFile(dir.path("d.log"), rocksdb::FileOptions(), &f, nullptr).ok());
}

TEST_CASE("under RocksDB: WAL faults fail the write, and a power loss keeps every synced write", "[fault_fs]") {
  TempDir dir;
  FaultEnv fault;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.env = fault.env.get();
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::Open(options, dir.path("db"), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions synced;
  synced.sync = true;
  for (int i = 0; i < 100; ++i) REQUIRE(db->Put(synced, key_name(i), "v").ok());
  rocksdb::WriteOptions unsynced;
  for (int i = 100; i < 200; ++i) REQUIRE(db->Put(unsynced, key_name(i), "v").ok());
  REQUIRE(fault.fs->unsynced_bytes() > 0);
  REQUIRE(fault.fs->drop_unsynced_data().ok());
  db.reset();  // its close fails: the power is off
  fault.fs->power_on();

  REQUIRE(rocksdb::DB::Open(options, dir.path("db"), &raw).ok());
  db.reset(raw);
  std::string v;
  for (int i = 0; i < 100; ++i) REQUIRE(db->Get(rocksdb::ReadOptions(), key_name(i), &v).ok());
  REQUIRE(db->Get(rocksdb::ReadOptions(), "k199", &v).IsNotFound());  // never synced

  fault.fs->fail_next(Fault::kSync, kWalFile, 1);
  rocksdb::Status s = db->Put(synced, "x", "y");
  REQUIRE(s.IsIOError());
  REQUIRE(fault.fs->injected(Fault::kSync, kWalFile) == 1);
}
