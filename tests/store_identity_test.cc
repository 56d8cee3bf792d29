// A store knows it is not new: with its CURRENT lost, it refuses to open
// (twice: a refused start must not leave a new CURRENT behind for the next
// one, as systemd's Restart=on-failure would make), names what is missing,
// and changes nothing on disk. A restore brings it back whole.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "basis/runtime.h"
#include "storage/backup.h"
#include "storage/store_identity.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"

using namespace basis;
using basis::storage::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::map<std::string, uintmax_t> listing(const std::string& dir) {
  std::map<std::string, uintmax_t> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out[e.path().string()] = e.is_regular_file() ? e.file_size() : 0;
  }
  return out;
}

config::Config config_in(const TempDir& dir) {
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  return cfg;
}

}  // namespace

TEST_CASE("a store whose CURRENT is lost refuses to open, every time, and changes nothing", "[recovery][identity]") {
  TempDir dir;
  config::Config cfg = config_in(dir);
  tree::Digest digest{};
  {
    std::unique_ptr<basis::Runtime> rt;
    REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
    REQUIRE(rt->apply_and_wait(testing::inserts(0, 100)).status.is_ok());
    digest = rt->digest();
    REQUIRE(rt->shutdown().is_ok());
  }
  const std::string db = cfg.storage.data_dir + "/db";
  REQUIRE(fs::exists(storage::identity_path(db)));
  {
    auto store = testing::open_closed_store(cfg.storage.data_dir);
    REQUIRE(storage::create_backup(store.get(), dir.path("backup")).is_ok());
  }
  fs::remove(db + "/CURRENT");
  auto before = listing(cfg.storage.data_dir);
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<basis::Runtime> rt;
    tree::Status s = basis::Runtime::open(cfg, &rt);
    INFO(s.to_string());
    REQUIRE_FALSE(s.is_ok());
    REQUIRE(s.message().find("CURRENT is missing") != std::string::npos);
    REQUIRE(s.message().find("restore") != std::string::npos);
    REQUIRE(listing(cfg.storage.data_dir) == before);  // no new CURRENT, MANIFEST or LOG
  }
  // CURRENT there, but the manifest it names gone: refused the same way, before RocksDB is asked.
  REQUIRE(storage::restore_latest_backup(dir.path("backup"), db).is_ok());
  {
    std::string manifest;
    std::getline(std::ifstream(db + "/CURRENT"), manifest);
    fs::remove(db + "/" + manifest);
    auto with_current = listing(cfg.storage.data_dir);
    std::unique_ptr<basis::Runtime> rt;
    tree::Status s = basis::Runtime::open(cfg, &rt);
    INFO(s.to_string());
    REQUIRE_FALSE(s.is_ok());
    REQUIRE(s.message().find(manifest + ", which is missing") != std::string::npos);
    REQUIRE(listing(cfg.storage.data_dir) == with_current);
    fs::remove(db + "/CURRENT");
  }
  // A store from before identity files: RocksDB's files without CURRENT are refused too.
  fs::remove(storage::identity_path(db));
  {
    std::unique_ptr<basis::Runtime> rt;
    tree::Status s = basis::Runtime::open(cfg, &rt);
    REQUIRE_FALSE(s.is_ok());
    REQUIRE(s.message().find("no CURRENT") != std::string::npos);
  }
  REQUIRE(storage::restore_latest_backup(dir.path("backup"), db).is_ok());
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  REQUIRE(rt->digest() == digest);
  REQUIRE(fs::exists(storage::identity_path(db)));  // written again
}

TEST_CASE("a new store is created where none was, and knows itself from then on", "[recovery][identity]") {
  TempDir dir;
  config::Config cfg = config_in(dir);
  const std::string db = cfg.storage.data_dir + "/db";
  REQUIRE_FALSE(fs::exists(storage::identity_path(db)));
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  REQUIRE(fs::exists(storage::identity_path(db)));
  REQUIRE(rt->shutdown().is_ok());
}
