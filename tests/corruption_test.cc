// The corruption harness: a fault injected into a closed store (a flipped
// byte, a truncated value, a deleted record, a sequence gap) in the nodes,
// operations, checkpoints or notes family must be detected, and recovery
// must end in the right digest or in a clear refusal, never in another tree.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"
#include "storage/checkpoint_store.h"
#include "storage/coding.h"
#include "storage/records.h"
#include "tests/self_exec.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"

using namespace basis;
using basis::storage::testing::TempDir;

namespace {

constexpr uint64_t kBatches = 7;  // of 500 inserts; checkpoints after 1,000, 2,000 and 3,000

std::vector<basis::OwnedOperation> batch(uint64_t b) {
  std::vector<basis::OwnedOperation> ops;
  for (uint64_t i = b * 500; i < (b + 1) * 500; ++i) {
    tree::Label k = bench::benchmark_key(i);
    auto v = bench::benchmark_value(i, 0);
    ops.push_back({tree::OpType::kInsert, tree::Bytes(k.begin(), k.end()), tree::Bytes(v.begin(), v.end()), 0});
  }
  return ops;
}

config::Config config_in(const std::string& data_dir) {
  config::Config c;
  c.storage.data_dir = data_dir;
  c.logging.level = "off";
  c.persistence.checkpoint_interval.operations = 1'000'000;  // only the explicit ones
  return c;
}

config::Config config_for(const TempDir& dir) { return config_in(dir.path("data")); }

// Builds the store in a child process that is killed without shutting
// down, so that operations follow the last checkpoint. Returns the expected
// final digest.
tree::Digest build_store(const config::Config& cfg) {
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  pid_t pid = basis::testing::run_self("child: build the corruption store",
                                       {{"BASIS_CHILD_DIR", cfg.storage.data_dir},
                                        {"BASIS_CHILD_FD", std::to_string(ready[1])}});
  REQUIRE(pid > 0);
  close(ready[1]);
  char ok = 0;
  bool told = ::read(ready[0], &ok, 1) == 1;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(ready[0]);
  REQUIRE(told);
  REQUIRE(ok == 1);
  tree::BatchProver model(tree::TreeParams{32, std::nullopt});
  tree::OpOutcome out;
  for (uint64_t b = 0; b < kBatches; ++b) {
    for (const auto& op : batch(b)) REQUIRE(model.perform(op.view(), &out).is_ok());
  }
  return model.digest();
}

enum class Fault { kFlip, kTruncate, kDelete, kGap };

// The store's database, opened directly while no runtime holds it.
std::unique_ptr<storage::Database> open_closed_store(const config::Config& cfg) {
  return basis::testing::open_closed_store(cfg.storage.data_dir);
}

// Applies `fault` to the record `key` of `family` (and, for a gap, to the
// record after it) with the store closed.
void inject(const config::Config& cfg, storage::Family family, const std::string& key, Fault fault) {
  std::unique_ptr<storage::Database> db = open_closed_store(cfg);
  auto* cf = db->handle(family);
  std::string value;
  REQUIRE(db->get(family, key, &value).is_ok());
  rocksdb::WriteOptions wo;
  wo.sync = true;
  switch (fault) {
    case Fault::kFlip:
      value[value.size() / 2] = static_cast<char>(value[value.size() / 2] ^ 0x10);
      REQUIRE(db->raw()->Put(wo, cf, key, value).ok());
      break;
    case Fault::kTruncate:
      REQUIRE(db->raw()->Put(wo, cf, key, value.substr(0, value.size() / 2)).ok());
      break;
    case Fault::kDelete:
      REQUIRE(db->raw()->Delete(wo, cf, key).ok());
      break;
    case Fault::kGap: {
      // Renumber the record one place on: a hole where it was.
      uint64_t n = 0;
      REQUIRE(storage::parse_sequence_key(key, &n));
      REQUIRE(db->raw()->Delete(wo, cf, key).ok());
      std::string later = storage::sequence_key(n + 1000);
      REQUIRE(db->raw()->Put(wo, cf, later, value).ok());
      break;
    }
  }
  REQUIRE(db->flush().is_ok());
}

struct Outcome {
  bool opened = false;
  tree::Status status;
  tree::Digest digest{};
  basis::RecoveryPath path = basis::RecoveryPath::kEmpty;
  std::vector<std::string> fallbacks;
  basis::HealthReport health;  // a full health check after the reopen
};

Outcome reopen(const config::Config& cfg) {
  Outcome o;
  std::unique_ptr<basis::Runtime> rt;
  o.status = basis::Runtime::open(cfg, &rt);
  if (!o.status.is_ok()) return o;
  o.opened = true;
  o.digest = rt->digest();
  o.path = rt->recovery().path;
  o.fallbacks = rt->recovery().fallbacks;
  o.health = rt->check_health(true);
  (void)rt->shutdown();
  return o;
}

// The fault is detected, and recovery ends in the right tree or refuses.
void require_detected(const Outcome& o, const tree::Digest& expected, bool may_refuse) {
  if (o.opened) {
    INFO("recovered without noticing the fault");
    REQUIRE_FALSE(o.fallbacks.empty());
    REQUIRE(o.digest == expected);  // never a different tree
  } else {
    INFO(o.status.to_string());
    REQUIRE(may_refuse);
    REQUIRE(o.status.kind() == tree::ErrorKind::kCorruption);
    REQUIRE(o.status.message().find("record") != std::string::npos);  // names the record
  }
}

std::string latest_checkpoint_root(const config::Config& cfg, storage::CheckpointRecord* cp) {
  std::unique_ptr<storage::Database> db = open_closed_store(cfg);
  std::vector<storage::CheckpointRecord> list;
  REQUIRE(storage::CheckpointStore(db.get()).list(&list).is_ok());
  REQUIRE(list.size() >= 2);
  *cp = list.front();
  return std::string(reinterpret_cast<const char*>(cp->digest.data()), tree::kLabelSize);
}

void node_case(Fault fault) {
  TempDir dir;
  auto cfg = config_for(dir);
  tree::Digest expected = build_store(cfg);
  storage::CheckpointRecord cp;
  std::string root = latest_checkpoint_root(cfg, &cp);
  inject(cfg, storage::Family::kNodes, root, fault == Fault::kGap ? Fault::kDelete : fault);
  // The latest checkpoint's root is unusable: an older checkpoint takes over.
  require_detected(reopen(cfg), expected, false);
}

void operation_case(Fault fault) {
  TempDir dir;
  auto cfg = config_for(dir);
  tree::Digest expected = build_store(cfg);
  storage::CheckpointRecord cp;
  latest_checkpoint_root(cfg, &cp);
  // A record after the last checkpoint: every path replays it, so recovery
  // must refuse (no other source of that operation exists yet).
  inject(cfg, storage::Family::kOperations, storage::sequence_key(cp.last_sequence + 7), fault);
  Outcome o = reopen(cfg);
  require_detected(o, expected, true);
  // Only the notes still hold that operation: if it opened, it was rebuilt
  // from them, and the rebuilt tree agrees with its notes.
  if (o.opened) {
    REQUIRE(o.path == basis::RecoveryPath::kNotesRebuild);
    REQUIRE(o.health.ok);
  }
}

void checkpoint_case(Fault fault) {
  TempDir dir;
  auto cfg = config_for(dir);
  tree::Digest expected = build_store(cfg);
  storage::CheckpointRecord cp;
  latest_checkpoint_root(cfg, &cp);
  inject(cfg, storage::Family::kCheckpoints, storage::sequence_key(cp.id), fault);
  Outcome o = reopen(cfg);
  if (fault == Fault::kDelete || fault == Fault::kGap) {
    // Indistinguishable from a checkpoint never written: the older one serves.
    REQUIRE(o.opened);
    REQUIRE(o.digest == expected);
  } else {
    require_detected(o, expected, false);
  }
}

// Makes the notes the only way back: every checkpoint gone and an early
// operation record damaged, so that no replay gets through.
void leave_only_the_notes(const config::Config& cfg) {
  std::unique_ptr<storage::Database> db = open_closed_store(cfg);
  std::vector<storage::CheckpointRecord> list;
  storage::CheckpointStore store(db.get());
  REQUIRE(store.list(&list).is_ok());
  for (const auto& cp : list) REQUIRE(store.remove(cp.id).is_ok());
  rocksdb::WriteOptions wo;
  wo.sync = true;
  REQUIRE(db->raw()->Delete(wo, db->handle(storage::Family::kOperations), storage::sequence_key(5)).ok());
  REQUIRE(db->flush().is_ok());
}

void note_case(Fault fault) {
  TempDir dir;
  auto cfg = config_for(dir);
  tree::Digest expected = build_store(cfg);
  tree::Label k = bench::benchmark_key(1234);
  std::string key(reinterpret_cast<const char*>(k.data()), k.size());
  if (fault == Fault::kGap) {
    // The note claims an operation the log never had.
    std::unique_ptr<storage::Database> db = open_closed_store(cfg);
    std::string value;
    REQUIRE(db->get(storage::Family::kNotes, key, &value).is_ok());
    storage::NoteRecord note;
    REQUIRE(storage::decode(value, key, &note).is_ok());
    note.first_sequence = kBatches * 500 + 1000;
    rocksdb::WriteOptions wo;
    wo.sync = true;
    REQUIRE(db->raw()->Put(wo, db->handle(storage::Family::kNotes), key, storage::encode(note)).ok());
  } else {
    inject(cfg, storage::Family::kNotes, key, fault);
  }
  // Recovery does not need the notes: the right tree, and the health check
  // names the damaged note.
  Outcome o = reopen(cfg);
  INFO(o.status.to_string());
  REQUIRE(o.opened);
  REQUIRE(o.digest == expected);
  REQUIRE(o.path == basis::RecoveryPath::kLatestCheckpoint);
  INFO(o.health.problem);
  REQUIRE_FALSE(o.health.ok);
  REQUIRE(o.health.problem.find(tree::to_hex(tree::ByteView(k))) != std::string::npos);
  // When the notes are all that is left, the damaged note is refused.
  leave_only_the_notes(cfg);
  o = reopen(cfg);
  INFO(o.status.to_string());
  REQUIRE_FALSE(o.opened);
  REQUIRE(o.status.kind() == tree::ErrorKind::kCorruption);
  REQUIRE(o.status.message().find("rebuild from notes") != std::string::npos);
  REQUIRE(o.status.message().find("record") != std::string::npos);
}

}  // namespace

TEST_CASE("child: build the corruption store", "[.]") {
  std::string dir = basis::testing::child_env("BASIS_CHILD_DIR");
  if (dir.empty()) return;  // run by build_store() only
  int fd = std::stoi(basis::testing::child_env("BASIS_CHILD_FD"));
  std::unique_ptr<basis::Runtime> rt;
  if (!basis::Runtime::open(config_in(dir), &rt).is_ok()) _exit(2);
  for (uint64_t b = 0; b < kBatches; ++b) {
    if (!rt->apply_and_wait(batch(b)).status.is_ok()) _exit(3);
    if (b % 2 == 1 && !rt->checkpoint_now().is_ok()) _exit(5);  // after 1,000, 2,000, 3,000
  }
  char ok = rt->checkpoints().size() == 3;
  if (::write(fd, &ok, 1) != 1) _exit(4);
  ::pause();  // killed here
}

TEST_CASE("corruption: nodes, flipped byte", "[corruption]") { node_case(Fault::kFlip); }
TEST_CASE("corruption: nodes, truncated value", "[corruption]") { node_case(Fault::kTruncate); }
TEST_CASE("corruption: nodes, deleted record", "[corruption]") { node_case(Fault::kDelete); }
TEST_CASE("corruption: nodes, missing record in the middle", "[corruption]") { node_case(Fault::kGap); }
TEST_CASE("corruption: operations, flipped byte", "[corruption]") { operation_case(Fault::kFlip); }
TEST_CASE("corruption: operations, truncated value", "[corruption]") { operation_case(Fault::kTruncate); }
TEST_CASE("corruption: operations, deleted record", "[corruption]") { operation_case(Fault::kDelete); }
TEST_CASE("corruption: operations, sequence gap", "[corruption]") { operation_case(Fault::kGap); }
TEST_CASE("corruption: checkpoints, flipped byte", "[corruption]") { checkpoint_case(Fault::kFlip); }
TEST_CASE("corruption: checkpoints, truncated value", "[corruption]") { checkpoint_case(Fault::kTruncate); }
TEST_CASE("corruption: checkpoints, deleted record", "[corruption]") { checkpoint_case(Fault::kDelete); }
TEST_CASE("corruption: checkpoints, gap in ids", "[corruption]") { checkpoint_case(Fault::kGap); }
TEST_CASE("corruption: notes, flipped byte", "[corruption]") { note_case(Fault::kFlip); }
TEST_CASE("corruption: notes, truncated value", "[corruption]") { note_case(Fault::kTruncate); }
TEST_CASE("corruption: notes, deleted record", "[corruption]") { note_case(Fault::kDelete); }
TEST_CASE("corruption: notes, first sequence beyond the log", "[corruption]") { note_case(Fault::kGap); }

TEST_CASE("corruption: a batch over a damaged note is refused, and the note is not overwritten", "[corruption]") {
  // The appender once wrote first sequence 0 when the note it had to keep
  // could not be read: a note that then reads as corrupt and blocks a
  // rebuild from the notes.
  for (Fault fault : {Fault::kFlip, Fault::kTruncate, Fault::kDelete}) {
    TempDir dir;
    config::Config cfg;
    cfg.storage.data_dir = dir.path("data");
    cfg.logging.level = "off";
    const tree::Bytes k = basis::testing::key_of(7);
    const std::string key(reinterpret_cast<const char*>(k.data()), k.size());
    {
      std::unique_ptr<basis::Runtime> rt;
      REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
      REQUIRE(rt->apply_and_wait({{tree::OpType::kInsert, k, tree::Bytes(8, 1), 0}}).status.is_ok());
      REQUIRE(rt->shutdown().is_ok());
    }
    inject(cfg, storage::Family::kNotes, key, fault);
    std::string damaged;
    bool present = open_closed_store(cfg)->get(storage::Family::kNotes, key, &damaged).is_ok();
    {
      std::unique_ptr<basis::Runtime> rt;
      REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
      basis::BatchResult r = rt->apply_and_wait({{tree::OpType::kUpdateLongBy, k, {}, 1}});
      INFO(r.status.to_string());
      REQUIRE_FALSE(r.status.is_ok());
      REQUIRE(r.status.message().find("reading the note") != std::string::npos);
      REQUIRE(rt->shutdown().is_ok());
    }
    std::string after;
    REQUIRE(open_closed_store(cfg)->get(storage::Family::kNotes, key, &after).is_ok() == present);
    REQUIRE(after == damaged);  // left as it was, for the health check to name
  }
}
