// Nothing acknowledged is lost silently: a store killed with acknowledged
// batches in its write-ahead log, whose WAL is then damaged in its middle or
// cut (at a record boundary, or inside a record), refuses to start, naming
// the durable mark and where the log recovers to, every time, changing
// nothing on disk. `basis-tree accept-loss --yes` then lets it serve from the
// recovered sequence; new operations are numbered from there on, and the
// loss is noted. A kill or a shutdown without damage reopens as before.
#include <catch2/catch.hpp>

#include <functional>

#include "storage/durable_mark.h"
#include "storage/store_identity.h"
#include "tests/storage_test_util.h"
#include "tests/wal_damage_test.h"

using namespace basis;
using basis::storage::testing::TempDir;
namespace fs = std::filesystem;

namespace {

constexpr int kBatches = 20;  // of 50 inserts: sequences 1..1000
constexpr uint64_t kAcked = kBatches * 50;

void refused_until_accepted(const std::function<void(const std::string& wal)>& damage) {
  TempDir dir;
  const std::string data = dir.path("data");
  REQUIRE(testing::killed_store(data, kBatches) == kAcked);
  const std::string wal = testing::live_wal(data);
  REQUIRE(fs::file_size(wal) > 64 * 1024);
  damage(wal);
  const auto before = testing::snapshot(data);
  config::Config cfg = testing::wal_config(data);
  for (int attempt = 0; attempt < 2; ++attempt) {  // a refused start leaves nothing for the next one
    std::unique_ptr<basis::Runtime> rt;
    tree::Status s = basis::Runtime::open(cfg, &rt);
    INFO(s.to_string());
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.message().find("write-ahead log") != std::string::npos);
    CHECK(s.message().find("sequence " + std::to_string(kAcked)) != std::string::npos);
    CHECK(s.message().find("accept-loss --yes") != std::string::npos);
    CHECK(s.message().find("restore") != std::string::npos);
    REQUIRE(testing::snapshot(data) == before);
  }
  std::string out;
  CHECK(testing::run_tool("verify --data-dir " + data, &out) == 1);  // not "healthy"
  INFO(out);
  CHECK(out.find("write-ahead log") != std::string::npos);
  CHECK(testing::run_tool("accept-loss --data-dir " + data, &out) == 1);  // says what, changes nothing
  CHECK(out.find("--yes") != std::string::npos);
  REQUIRE(testing::snapshot(data) == before);

  REQUIRE(testing::run_tool("accept-loss --yes --data-dir " + data, &out) == 0);
  CHECK(out.find("are lost") != std::string::npos);
  std::unique_ptr<basis::Runtime> rt;
  tree::Status s = basis::Runtime::open(cfg, &rt);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  const uint64_t recovered = rt->last_sequence();
  CHECK(recovered < kAcked);
  CHECK(recovered % 50 == 0);  // whole batches
  CHECK(out.find("serves from sequence " + std::to_string(recovered)) != std::string::npos);
  // New operations continue from the accepted sequence: the log has no gaps.
  basis::BatchResult r = rt->apply_and_wait(testing::inserts(100'000, 10));
  REQUIRE(r.status.is_ok());
  CHECK(r.first_sequence == recovered + 1);
  const tree::Digest digest = rt->digest();
  REQUIRE(rt->shutdown().is_ok());
  rt.reset();
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  CHECK(rt->last_sequence() == recovered + 10);
  CHECK(rt->digest() == digest);
  REQUIRE(rt->shutdown().is_ok());
  std::ifstream losses(data + "/db.losses");
  std::string noted((std::istreambuf_iterator<char>(losses)), std::istreambuf_iterator<char>());
  CHECK(noted.find(std::to_string(recovered + 1) + ".." + std::to_string(kAcked)) != std::string::npos);
}

}  // namespace

TEST_CASE(testing::kWalChild, "[.]") {
  const std::string data = testing::child_env("WAL_DIR");
  const int batches = std::stoi(testing::child_env("WAL_BATCHES"));
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(testing::wal_config(data, testing::child_env("WAL_SYNC") != "never"), &rt).is_ok());
  uint64_t last = 0;
  for (int b = 0; b < batches; ++b) {
    basis::BatchResult r = rt->apply_and_wait(testing::inserts(static_cast<uint64_t>(b) * 50, 50));
    REQUIRE(r.status.is_ok());
    last = r.last_sequence;
  }
  {
    std::ofstream(data + ".acked.tmp") << last << "\n";
  }
  fs::rename(data + ".acked.tmp", data + ".acked");
  for (;;) pause();  // until killed
}

TEST_CASE("a killed store reopens with every acknowledged batch, and so does a clean shutdown", "[recovery][wal]") {
  TempDir dir;
  const std::string data = dir.path("data");
  REQUIRE(testing::killed_store(data, kBatches) == kAcked);
  config::Config cfg = testing::wal_config(data);
  std::unique_ptr<basis::Runtime> rt;
  tree::Status s = basis::Runtime::open(cfg, &rt);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  CHECK(rt->last_sequence() == kAcked);
  storage::MarkState mark;
  REQUIRE(storage::DurableMark::read(data + "/db", &mark).is_ok());
  CHECK(mark.sequence == kAcked);  // written at every group commit, kept through the kill
  REQUIRE(rt->apply_and_wait(testing::inserts(5000, 10)).status.is_ok());
  REQUIRE(rt->shutdown().is_ok());
  rt.reset();
  REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
  CHECK(rt->last_sequence() == kAcked + 10);
}

TEST_CASE("a WAL with bytes flipped in its middle is refused until the loss is accepted", "[recovery][wal]") {
  refused_until_accepted([](const std::string& wal) {
    std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(wal) / 2));
    f.write("\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
  });
}

TEST_CASE("a WAL cut at a record boundary is refused until the loss is accepted", "[recovery][wal]") {
  refused_until_accepted([](const std::string& wal) {
    std::vector<uintmax_t> ends = testing::wal_record_ends(wal);
    REQUIRE(ends.size() > 4);
    fs::resize_file(wal, ends[ends.size() / 2]);
  });
}

TEST_CASE("a WAL cut inside a record is refused until the loss is accepted", "[recovery][wal]") {
  refused_until_accepted([](const std::string& wal) { fs::resize_file(wal, fs::file_size(wal) / 2 + 3); });
}

// storage.sync = "never": a power loss legitimately loses what only the page
// cache held, and the mark (written after unsynced writes) may then lead the
// log. That is let pass, loudly, only when the mark is from an earlier boot.
TEST_CASE("with sync never, a mark ahead of the log is a loss only after a reboot", "[recovery][wal]") {
  TempDir dir;
  const std::string data = dir.path("data");
  REQUIRE(testing::killed_store(data, kBatches, /*synced=*/false) == kAcked);
  storage::MarkState mark;
  REQUIRE(storage::DurableMark::read(data + "/db", &mark).is_ok());
  CHECK_FALSE(mark.synced);
  const std::string wal = testing::live_wal(data);
  std::vector<uintmax_t> ends = testing::wal_record_ends(wal);
  REQUIRE(ends.size() > 4);
  fs::resize_file(wal, ends[ends.size() / 2]);
  config::Config cfg = testing::wal_config(data, false);
  {  // the same boot: a process kill keeps the page cache, so this is damage
    const auto before = testing::snapshot(data);
    std::unique_ptr<basis::Runtime> rt;
    tree::Status s = basis::Runtime::open(cfg, &rt);
    INFO(s.to_string());
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.message().find("damaged or cut") != std::string::npos);
    REQUIRE(testing::snapshot(data) == before);
  }
  mark.boot_id = "an-earlier-boot";
  REQUIRE(storage::DurableMark::write_state(data + "/db", mark).is_ok());
  std::unique_ptr<basis::Runtime> rt;
  tree::Status s = basis::Runtime::open(cfg, &rt);
  INFO(s.to_string());
  REQUIRE(s.is_ok());
  const uint64_t recovered = rt->last_sequence();
  CHECK(recovered < kAcked);
  REQUIRE(storage::DurableMark::read(data + "/db", &mark).is_ok());
  CHECK(mark.sequence == recovered);  // moved back: the next start is normal
  REQUIRE(rt->shutdown().is_ok());
  std::ifstream losses(data + "/db.losses");
  std::string noted((std::istreambuf_iterator<char>(losses)), std::istreambuf_iterator<char>());
  CHECK(noted.find("storage.sync = \"never\"") != std::string::npos);
}

// A mark that lags (after a power loss it may) does not hide damage in the
// middle of the log: RocksDB refuses that itself, and so does the start.
TEST_CASE("a WAL damaged in its middle is refused even when the mark lags", "[recovery][wal]") {
  TempDir dir;
  const std::string data = dir.path("data");
  REQUIRE(testing::killed_store(data, kBatches) == kAcked);
  storage::MarkState lagging;
  REQUIRE(storage::DurableMark::read(data + "/db", &lagging).is_ok());  // this store's, with its id
  lagging.sequence = 10;
  lagging.boot_id = storage::DurableMark::current_boot_id();
  REQUIRE(storage::DurableMark::write_state(data + "/db", lagging).is_ok());
  const std::string wal = testing::live_wal(data);
  {
    std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(wal) / 2));
    f.write("\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
  }
  const auto before = testing::snapshot(data);
  std::unique_ptr<basis::Runtime> rt;
  tree::Status s = basis::Runtime::open(testing::wal_config(data), &rt);
  INFO(s.to_string());
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.message().find("the write-ahead log is damaged") != std::string::npos);
  CHECK(s.message().find("only up to the damage") != std::string::npos);
  CHECK(s.message().find("accept-loss --yes") != std::string::npos);
  REQUIRE(testing::snapshot(data) == before);
}

namespace {

// Cuts the live WAL of a killed store to half its length.
void cut_wal(const std::string& data) {
  const std::string wal = testing::live_wal(data);
  fs::resize_file(wal, fs::file_size(wal) / 2);
}

}  // namespace

TEST_CASE("the files beside the store cannot switch the mark check off: the store keeps the mark's id",
          "[recovery][mark]") {
  // An attacker's cases: the WAL cut, and the identity file and the mark
  // both deleted, or a mark copied from another store. Each was served
  // silently, short of what was acknowledged.
  TempDir dir, other;
  const std::string data = dir.path("data");
  REQUIRE(testing::killed_store(data, kBatches) == kAcked);
  REQUIRE(testing::killed_store(other.path("data"), 2) > 0);
  config::Config cfg = testing::wal_config(data);
  cut_wal(data);
  const std::string db = data + "/db";
  const std::string saved = dir.path("saved");
  fs::create_directories(saved);
  fs::copy(storage::DurableMark::path_for(db), saved + "/db.durable");
  fs::copy(storage::identity_path(db), saved + "/db.identity");

  fs::remove(storage::DurableMark::path_for(db));
  fs::remove(storage::identity_path(db));
  testing::refused_twice(cfg, {"db.durable is missing", "the store itself", "accept-loss --yes"});

  fs::copy(storage::DurableMark::path_for(other.path("data") + "/db"), storage::DurableMark::path_for(db));
  fs::copy(saved + "/db.identity", storage::identity_path(db));
  testing::refused_twice(cfg, {"belongs to another store", "accept-loss --yes"});

  fs::copy(saved + "/db.durable", storage::DurableMark::path_for(db), fs::copy_options::overwrite_existing);
  testing::refused_twice(cfg, {"damaged or cut", "acknowledged operations short"});  // its own mark: the cut is seen
}
