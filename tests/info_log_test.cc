// RocksDB's diagnostic log (storage/info_log.h) on a failing disk: RocksDB
// 7.8's own file logger aborts the process on the line after a failed one,
// which a full disk made happen while a daemon closed its store. The faults
// go through a fault-injecting file system.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <rocksdb/write_batch.h>

#include "storage/database.h"
#include "storage/info_log.h"
#include "tests/storage_test_util.h"
#include "tests/support/fault_file_system.h"

using namespace basis::storage;
using basis::storage::testing::TempDir;
using basis::testing::Fault;
using basis::testing::FaultEnv;
using basis::testing::kOtherFile;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void log_lines(rocksdb::Logger* log, int n, const char* what) {
  for (int i = 0; i < n; ++i) rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, log, "%s line %d", what, i);
}

}  // namespace

TEST_CASE("RocksDB's log drops and counts the lines a full disk refuses, and says so once it writes again",
          "[storage][info-log][failure]") {
  TempDir dir;
  FaultEnv fault;
  auto log = InfoLog::open(fault.env.get(), dir.path());
  log_lines(log.get(), 3, "before");
  fault.fs->fail_randomly(Fault::kNoSpace, kOtherFile, 1.0);
  log_lines(log.get(), 100, "refused");  // RocksDB's own logger aborts on the second of these
  REQUIRE(fault.fs->injected(Fault::kNoSpace, kOtherFile) >= 100);
  REQUIRE(log->dropped_lines() == 100);
  fault.fs->clear_faults();
  log_lines(log.get(), 1, "after");
  const std::string text = read_file(dir.path() + "/LOG");
  REQUIRE(text.find("before line 2") != std::string::npos);
  REQUIRE(text.find("refused line") == std::string::npos);
  REQUIRE(text.find("100 lines of this log were dropped") != std::string::npos);
  REQUIRE(text.find("after line 0") != std::string::npos);
}

TEST_CASE("RocksDB's log stays within twice its bound, keeping one old file", "[storage][info-log]") {
  TempDir dir;
  const uint64_t bound = 4096;
  auto log = InfoLog::open(nullptr, dir.path(), bound);
  log_lines(log.get(), 2000, "filler");
  log.reset();
  const uint64_t current = std::filesystem::file_size(dir.path() + "/LOG");
  const uint64_t old = std::filesystem::file_size(dir.path() + "/LOG.old");
  REQUIRE(current <= bound);
  REQUIRE(old <= bound);
  REQUIRE(read_file(dir.path() + "/LOG").find("filler line 1999") != std::string::npos);
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) files += e.path().filename() != "";
  REQUIRE(files == 2);  // LOG and LOG.old, never more
}

TEST_CASE("a store whose LOG meets a full disk opens, writes, closes and reopens, and its LOG is appended to",
          "[storage][info-log][failure]") {
  TempDir dir;
  const std::string path = dir.path();
  FaultEnv fault;
  DatabaseOptions o;
  o.path = path;
  o.params = basis::tree::TreeParams{32, 8};
  o.env = fault.env.get();
  {
    std::unique_ptr<Database> db;
    basis::tree::Status opened = Database::open(o, &db);
    INFO(opened.to_string());
    REQUIRE(opened.is_ok());
    fault.fs->fail_randomly(Fault::kNoSpace, kOtherFile, 1.0);  // every LOG write from here
    rocksdb::WriteBatch batch;
    REQUIRE(batch.Put(db->handle(Family::kMetadata), "probe", "1").ok());
    REQUIRE(db->write(&batch, true).is_ok());
    REQUIRE(db->flush().is_ok());  // RocksDB logs the flush
    // Closing logs a dozen lines more: with RocksDB's logger, the process ends here.
  }
  REQUIRE(fault.fs->injected(Fault::kNoSpace, kOtherFile) >= 2);
  fault.fs->clear_faults();
  const uint64_t before = std::filesystem::file_size(path + "/LOG");
  {
    std::unique_ptr<Database> db;
    REQUIRE(Database::open(o, &db).is_ok());
    std::string value;
    REQUIRE(db->get(Family::kMetadata, "probe", &value).is_ok());
    REQUIRE(value == "1");
  }
  REQUIRE(std::filesystem::file_size(path + "/LOG") > before);  // appended, not replaced
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    REQUIRE(e.path().filename().string().rfind("LOG.old", 0) != 0);
  }
}
