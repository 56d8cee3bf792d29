// Attacks on named trees and transactions across them: transactions from
// several threads over overlapping trees with plain batches among them (no
// deadlock: they run one at a time), transactions and batches racing
// drop_tree (nothing of the dropped tree stays, nothing acknowledged is
// lost), and batches in flight at shutdown.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "basis/runtime.h"
#include "storage/keyspace.h"
#include "storage/tree_catalog.h"
#include "tests/trees_test_util.h"

using namespace basis;
using basis::storage::testing::TempDir;
using namespace basis::testing::trees;

namespace {

const tree::TreeParams kA{32, 16}, kB{32, 8}, kC{64, std::nullopt}, kDefault{32, std::nullopt};
const std::map<std::string, tree::TreeParams> kParams = {{"default", kDefault}, {"a", kA}, {"b", kB}, {"c", kC}};

config::Config attack_config(const std::string& dir) {
  config::Config c = store_config(dir);
  c.persistence.checkpoint_interval.operations = 300;
  c.trees = {{32, 16, "a", 0}, {32, 8, "b", 0}, {64, std::nullopt, "c", 0}};
  return c;
}

// For the races with drop_tree: the trees are created by the test.
config::Config drop_race_config(const std::string& dir) {
  config::Config c = attack_config(dir);
  c.trees.clear();
  return c;
}

// Keys of a closed store's t.* families by tree id (the 4-byte prefix).
std::map<uint32_t, uint64_t> named_records_by_id(const std::string& data_dir) {
  std::unique_ptr<storage::Database> db = basis::testing::open_closed_store(data_dir);
  std::map<uint32_t, uint64_t> out;
  for (storage::Family f : storage::kFamilies) {
    rocksdb::ReadOptions ro;
    ro.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> it(db->raw()->NewIterator(ro, db->handle(storage::named_tree_family(f))));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      REQUIRE(it->key().size() >= 4);
      const auto* k = reinterpret_cast<const uint8_t*>(it->key().data());
      ++out[(uint32_t{k[0]} << 24) | (uint32_t{k[1]} << 16) | (uint32_t{k[2]} << 8) | k[3]];
    }
    REQUIRE(it->status().ok());
  }
  return out;
}

std::set<uint32_t> catalog_ids(const std::string& data_dir) {
  std::unique_ptr<storage::Database> db = basis::testing::open_closed_store(data_dir);
  std::vector<storage::TreeEntry> entries;
  REQUIRE(storage::list_trees(*db, &entries).is_ok());
  std::set<uint32_t> out;
  for (const auto& e : entries) out.insert(e.id);
  return out;
}

// The keys in a tree's log.
std::set<tree::Bytes, tree::BytesLess> logged_keys(Runtime& tree) {
  std::set<tree::Bytes, tree::BytesLess> out;
  for (const LogRecord& r : whole_log(tree)) out.insert(r.key);
  return out;
}

}  // namespace

TEST_CASE("trees attack: transactions from four threads over overlapping trees, with plain batches among them, "
          "neither deadlock nor lose a part", "[trees][attack]") {
  TempDir dir;
  const config::Config cfg = attack_config(dir.path("store"));
  std::unique_ptr<Runtime> rt = open_store(cfg);
  // Each thread's transactions span an overlapping set: every pair of threads shares a tree.
  const std::vector<std::vector<std::string>> spans = {
      {"a", "b"}, {"b", "c"}, {"c", "a", "default"}, {"default", "a", "b", "c"}};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> failed{0};
  std::vector<uint64_t> committed(spans.size() + 2, 0);
  {
    Watchdog watchdog("transactions over overlapping trees", std::chrono::seconds(60));
    std::vector<std::thread> threads;
    for (size_t t = 0; t < spans.size(); ++t) {
      threads.emplace_back([&, t] {
        for (uint64_t n = 0; !stop; ++n) {
          std::vector<TransactionPart> parts;
          // Different orders of the same trees, and keys of their own.
          for (size_t k = 0; k < spans[t].size(); ++k) {
            const std::string& name = spans[t][(k + n) % spans[t].size()];
            parts.push_back({name, tree_inserts(kParams.at(name), (t + 1) * 1'000'000 + n * 2, 2)});
          }
          if (rt->transact(std::move(parts)).status.is_ok()) {
            ++committed[t];
          } else {
            ++failed;
          }
        }
      });
    }
    for (size_t t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        std::shared_ptr<Runtime> tree = rt->tree(t == 0 ? "a" : "c");
        const tree::TreeParams p = t == 0 ? kA : kC;
        for (uint64_t n = 0; !stop; ++n) {
          // Asynchronous, several in flight: the transactions must wait for them.
          std::future<BatchResult> f1 = tree->apply(tree_inserts(p, (t + 10) * 1'000'000 + n * 4, 2));
          std::future<BatchResult> f2 = tree->apply(tree_inserts(p, (t + 10) * 1'000'000 + n * 4 + 2, 2));
          if (f1.get().status.is_ok() && f2.get().status.is_ok()) {
            ++committed[spans.size() + t];
          } else {
            ++failed;
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    stop = true;
    for (auto& t : threads) t.join();
  }
  std::string counts;
  for (uint64_t c : committed) counts += std::to_string(c) + " ";
  WARN("committed per thread (four transaction threads, two batch threads): " << counts);
  REQUIRE(failed == 0);
  for (uint64_t c : committed) REQUIRE(c > 0);
  // Every committed part is in its tree's log, and each log replays to its tree's digest.
  std::map<std::string, TreeMark> marks;
  for (const auto& [name, p] : kParams) {
    INFO("tree " << name);
    std::shared_ptr<Runtime> tree = tree_of(*rt, name);
    const std::vector<LogRecord> log = whole_log(*tree);
    REQUIRE(replay_log(p, log) == tree->digest());
    uint64_t expected = 0;
    for (size_t t = 0; t < spans.size(); ++t) {
      if (std::count(spans[t].begin(), spans[t].end(), name)) expected += committed[t] * 2;
    }
    if (name == "a") expected += committed[spans.size()] * 4;
    if (name == "c") expected += committed[spans.size() + 1] * 4;
    REQUIRE(log.size() == expected);
    marks[name] = mark_of(*tree);
  }
  REQUIRE(rt->shutdown().is_ok());
  rt = open_store(cfg);
  for (const auto& [name, mark] : marks) REQUIRE(mark_of(*tree_of(*rt, name)) == mark);
}

TEST_CASE("trees attack: transactions and batches racing drop_tree leave nothing of the dropped tree and lose "
          "nothing acknowledged", "[trees][attack]") {
  TempDir dir;
  const config::Config cfg = drop_race_config(dir.path("store"));
  std::unique_ptr<Runtime> rt = open_store(cfg);
  REQUIRE(rt->create_tree({32, 16, "a", 0}).is_ok());
  std::shared_ptr<Runtime> a = tree_of(*rt, "a");
  std::set<tree::Bytes, tree::BytesLess> acknowledged_in_a, refused_in_a;
  uint64_t refusals = 0, acknowledged = 0, batch_errors = 0;
  constexpr int kRounds = 12;
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    REQUIRE(rt->create_tree({32, 8, "doomed", 0}).is_ok());
    std::shared_ptr<Runtime> doomed = tree_of(*rt, "doomed");
    std::atomic<bool> stop{false};
    std::vector<std::pair<tree::Bytes, bool>> outcomes;  // a's first key of each transaction, committed or not
    std::vector<std::string> other_refusals;
    {
      Watchdog watchdog("transactions racing drop_tree", std::chrono::seconds(60));
      std::thread transactions([&] {
        for (uint64_t n = 0; !stop; ++n) {
          const uint64_t first = (round + 1) * 1'000'000 + n * 3;
          TransactionResult r = rt->transact({{"a", tree_inserts(kA, first, 3)}, {"doomed", tree_inserts(kB, first, 3)}});
          outcomes.emplace_back(tree_key(32, first), r.status.is_ok());
          if (!r.status.is_ok()) {
            // Refused, nothing changed, for the dropped tree's sake alone:
            // gone (kNotFound) or stopped ("runtime is shut down"), never a
            // failure that tree 'a' then pays for.
            if (r.status.kind() != tree::ErrorKind::kNotFound && r.status.kind() != tree::ErrorKind::kUnavailable) {
              other_refusals.push_back(r.status.to_string());
            }
            if (r.status.kind() == tree::ErrorKind::kNotFound) break;  // the tree is gone: the race is over
          }
        }
      });
      std::thread batches([&] {
        for (uint64_t n = 0; !stop; ++n) {
          BatchResult r = doomed->apply_and_wait(tree_inserts(kB, 50'000'000 + round * 100'000 + n, 1));
          if (!r.status.is_ok()) {
            ++batch_errors;
            break;  // the handle answers an error once the tree is dropped
          }
        }
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + 15 * round));
      tree::Status dropped = rt->drop_tree("doomed");
      INFO(dropped.to_string());
      REQUIRE(dropped.is_ok());
      stop = true;
      transactions.join();
      batches.join();
    }
    for (const std::string& why : other_refusals) FAIL_CHECK("a transaction was refused: " << why);
    // Tree 'a' takes batches at once (no write back-off after the race).
    BatchResult after = a->apply_and_wait(tree_inserts(kA, 90'000'000 + round, 1));
    INFO(after.status.to_string());
    REQUIRE(after.status.is_ok());
    acknowledged_in_a.insert(tree_key(32, 90'000'000 + round));
    REQUIRE(rt->tree("doomed") == nullptr);
    REQUIRE(!doomed->apply_and_wait(tree_inserts(kB, 1, 1)).status.is_ok());
    for (const auto& [key, ok] : outcomes) {
      (ok ? acknowledged_in_a : refused_in_a).insert(key);
      ok ? ++acknowledged : ++refusals;
    }
  }
  WARN(acknowledged << " transactions acknowledged, " << refusals << " refused, " << batch_errors
                    << " batch errors on dropped handles, over " << kRounds << " drops");
  // Tree 'a': every acknowledged transaction's part is there, no refused one's.
  std::set<tree::Bytes, tree::BytesLess> in_a = logged_keys(*a);
  for (const tree::Bytes& k : acknowledged_in_a) REQUIRE(in_a.count(k) == 1);
  for (const tree::Bytes& k : refused_in_a) REQUIRE(in_a.count(k) == 0);
  REQUIRE(replay_log(kA, whole_log(*a)) == a->digest());
  const TreeMark a_mark = mark_of(*a);
  REQUIRE(rt->shutdown().is_ok());
  rt.reset();
  // Nothing of any dropped tree is left in the t.* families.
  const std::set<uint32_t> live = catalog_ids(cfg.storage.data_dir);
  REQUIRE(live.size() == 1);
  for (const auto& [id, records] : named_records_by_id(cfg.storage.data_dir)) {
    INFO("tree id " << id << " has " << records << " records");
    REQUIRE(live.count(id) == 1);
  }
  rt = open_store(cfg);
  REQUIRE(mark_of(*tree_of(*rt, "a")) == a_mark);
}

TEST_CASE("trees attack: a pin, a rollback and a checkpoint racing drop_tree: a pin answered keeps the tree, and "
          "every call answers as unavailable or not found, never as damage", "[trees][attack]") {
  TempDir dir;
  const config::Config cfg = drop_race_config(dir.path("store"));
  std::unique_ptr<Runtime> rt = open_store(cfg);
  uint64_t pins_won = 0, drops_won = 0;
  constexpr int kRounds = 40;
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    const std::string name = "doomed" + std::to_string(round);
    REQUIRE(rt->create_tree({32, 8, name, 0}).is_ok());
    std::shared_ptr<Runtime> doomed = tree_of(*rt, name);
    REQUIRE(doomed->apply_and_wait(tree_inserts(kB, 1, 3)).status.is_ok());
    REQUIRE(doomed->checkpoint_now().is_ok());
    const uint64_t id = doomed->checkpoints().front().id;
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    tree::Status pinned, dropped, checkpointed;
    RollbackResult rolled;
    {
      Watchdog watchdog("a pin, a rollback and a checkpoint racing drop_tree", std::chrono::seconds(60));
      std::thread pin([&] { start.wait(); pinned = doomed->pin_checkpoint(id); });
      std::thread rollback([&] { start.wait(); rolled = doomed->rollback(RollbackTarget::sequence(1)); });
      std::thread seal([&] { start.wait(); checkpointed = doomed->checkpoint_now(); });
      std::thread drop([&] { start.wait(); dropped = rt->drop_tree(name); });
      go.set_value();
      for (std::thread* t : {&pin, &rollback, &seal, &drop}) t->join();
    }
    INFO("pin: " << pinned.to_string() << "; drop: " << dropped.to_string() << "; rollback: "
                 << rolled.status.to_string() << "; checkpoint: " << checkpointed.to_string());
    // Never both: a pin answered is kept, and a dropped tree keeps nothing.
    REQUIRE(!(pinned.is_ok() && dropped.is_ok()));
    if (dropped.is_ok()) {
      ++drops_won;
      REQUIRE(rt->tree(name) == nullptr);
    } else {
      ++pins_won;
      REQUIRE(pinned.is_ok());
      REQUIRE(dropped.message().find("pinned") != std::string::npos);
      REQUIRE(doomed->pinned_checkpoints().count(id) == 1);
      REQUIRE(doomed->unpin_checkpoint(id).is_ok());
      REQUIRE(rt->drop_tree(name).is_ok());
    }
    // What lost the race says the tree went away, not that storage failed.
    for (const tree::Status* s : {&pinned, &rolled.status, &checkpointed}) {
      if (s->is_ok()) continue;
      CHECK((s->kind() == tree::ErrorKind::kUnavailable || s->kind() == tree::ErrorKind::kNotFound));
    }
  }
  WARN("pins first " << pins_won << ", drops first " << drops_won << " of " << kRounds);
  REQUIRE(rt->shutdown().is_ok());
}

TEST_CASE("trees attack: batches in flight on every tree at shutdown are answered, and what was acknowledged is "
          "there after a restart", "[trees][attack]") {
  TempDir dir;
  const config::Config cfg = attack_config(dir.path("store"));
  std::map<std::string, std::vector<std::future<BatchResult>>> inflight;
  std::map<std::string, TreeMark> acknowledged_at;
  {
    std::unique_ptr<Runtime> rt = open_store(cfg);
    for (uint64_t n = 0; n < 40; ++n) {
      for (const auto& [name, p] : kParams) inflight[name].push_back(rt->tree(name)->apply(tree_inserts(p, n * 5, 5)));
    }
    REQUIRE(rt->transact({{"a", tree_inserts(kA, 9000, 1)}, {"c", tree_inserts(kC, 9000, 1)}}).status.is_ok());
    Watchdog watchdog("shutdown with batches in flight", std::chrono::seconds(60));
    REQUIRE(rt->shutdown().is_ok());
  }
  for (auto& [name, futures] : inflight) {
    INFO("tree " << name);
    uint64_t ok = 0;
    for (auto& f : futures) {
      REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
      if (f.get().status.is_ok()) ++ok;
    }
    REQUIRE(ok == futures.size());  // shutdown waits for every batch submitted before it
  }
  std::unique_ptr<Runtime> rt = open_store(cfg);
  for (const auto& [name, p] : kParams) {
    INFO("tree " << name);
    std::shared_ptr<Runtime> tree = tree_of(*rt, name);
    REQUIRE(tree->last_sequence() == 200 + (name == "a" || name == "c" ? 1 : 0));
    REQUIRE(replay_log(p, whole_log(*tree)) == tree->digest());
  }
}
