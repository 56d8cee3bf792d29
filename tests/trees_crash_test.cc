// A SIGKILL in the middle of multi-tree traffic (issue 15): transactions
// over two to four of a store's trees from two threads at once, and plain
// batches on every tree from a third, in a child process killed at random
// moments. After each kill the store must open unaided, every acknowledged
// transaction and batch must be in every tree it touched, no transaction
// may be in some of its trees and not in the others, and each tree's digest
// must be an in-memory replay of its log.
#include <catch2/catch.hpp>

#include <filesystem>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "basis/runtime.h"
#include "basis/tree/batch_verifier.h"
#include "tests/self_exec.h"
#include "tests/trees_test_util.h"

using namespace basis;
using basis::storage::testing::TempDir;
using namespace basis::testing::trees;

namespace {

struct TreeSpec {
  const char* name;
  uint32_t key_length;
  std::optional<uint32_t> value_length;
};
// The default tree (32-byte keys, any values) and three named trees.
const std::array<TreeSpec, 4> kTrees = {{{"default", 32, std::nullopt},
                                         {"reserve", 32, 16},
                                         {"tracker", 32, 8},
                                         {"wide", 64, std::nullopt}}};

// Which records are whose: the key's first byte.
constexpr uint8_t kTxnKey = 0xA1;      // a transaction's insert: i in bytes 1..8, j in byte 9
constexpr uint8_t kCounterKey = 0xC0;  // a transaction thread's counter: InsertOrUpdate, i in the value
constexpr uint8_t kBatchKey = 0xB0;    // a plain batch's insert: b in bytes 1..8
constexpr size_t kTxnRecordsPerTree = 3;  // two inserts and the counter
constexpr size_t kBatchRecords = 4;

void put_u64(tree::Bytes* out, size_t at, uint64_t v) {
  for (int b = 0; b < 8; ++b) (*out)[at + b] = static_cast<uint8_t>(v >> (56 - 8 * b));
}
uint64_t get_u64(const tree::Bytes& in, size_t at) {
  uint64_t v = 0;
  for (int b = 0; b < 8; ++b) v = (v << 8) | in[at + b];
  return v;
}

tree::Bytes key_for(const TreeSpec& t, uint8_t tag, uint64_t n, uint8_t j) {
  tree::Bytes k(t.key_length, 0);
  k[0] = tag;
  put_u64(&k, 1, n);
  k[9] = j;
  for (size_t b = 10; b < k.size(); ++b) k[b] = static_cast<uint8_t>(n * 131 + j * 17 + b);
  return k;
}

tree::Bytes value_for(const TreeSpec& t, uint64_t n, uint8_t j) {
  tree::Bytes v(t.value_length.value_or(8 + (n + j) % 23), static_cast<uint8_t>(j));
  put_u64(&v, 0, n);
  return v;
}

// The trees transaction `i` touches: two to four, by index into kTrees.
std::vector<size_t> trees_of(uint64_t i) {
  const size_t count = 2 + i % 3, first = (i / 3) % kTrees.size();
  std::vector<size_t> out;
  for (size_t k = 0; k < count; ++k) out.push_back((first + k) % kTrees.size());
  return out;
}
size_t tree_of_batch(uint64_t b) { return b % kTrees.size(); }

// Transaction numbers by round and thread, so that no two runs share keys.
uint64_t txn_number(uint64_t round, uint64_t thread, uint64_t n) {
  return (round + 1) * 10'000'000 + thread * 1'000'000 + n;
}

config::Config crash_config(const std::string& data_dir) {
  config::Config c = store_config(data_dir);
  c.persistence.checkpoint_interval.operations = 150;  // checkpoints all the time: some are cut by the kill
  c.persistence.node_gc_every = 3;
  for (size_t t = 1; t < kTrees.size(); ++t) {
    c.trees.push_back(config::Config::Tree{kTrees[t].key_length, kTrees[t].value_length, kTrees[t].name, 0});
  }
  return c;
}

// Appends one acknowledgement line with one write(2): a SIGKILL leaves it
// whole or absent (the parent reads the file, no power is lost).
void acknowledge(int fd, char what, uint64_t n) {
  const std::string line = std::string(1, what) + " " + std::to_string(n) + "\n";
  if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(20);
}

}  // namespace

TEST_CASE("child: multi-tree traffic until killed", "[.]") {
  const std::string data = basis::testing::child_env("BASIS_TREES_CRASH_DATA");
  if (data.empty()) return;  // run by the crash test only
  const uint64_t round = std::stoull(basis::testing::child_env("BASIS_TREES_CRASH_ROUND"));
  const int ack = ::open(basis::testing::child_env("BASIS_TREES_CRASH_ACKS").c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (ack < 0) _exit(2);
  std::unique_ptr<Runtime> rt;
  if (!Runtime::open(crash_config(data), &rt).is_ok()) _exit(3);
  std::array<std::shared_ptr<Runtime>, kTrees.size()> handles;
  for (size_t t = 0; t < kTrees.size(); ++t) {
    handles[t] = rt->tree(kTrees[t].name);
    if (!handles[t]) _exit(4);
  }
  auto transactions = [&](uint64_t thread) {
    for (uint64_t n = 0;; ++n) {
      const uint64_t i = txn_number(round, thread, n);
      std::vector<TransactionPart> parts;
      for (size_t t : trees_of(i)) {
        const TreeSpec& spec = kTrees[t];
        TransactionPart p{spec.name, {}};
        for (uint8_t j = 0; j < 2; ++j) p.operations.push_back({tree::OpType::kInsert, key_for(spec, kTxnKey, i, j), value_for(spec, i, j), 0});
        p.operations.push_back({tree::OpType::kInsertOrUpdate, key_for(spec, kCounterKey, thread, 0), value_for(spec, i, 9), 0});
        // An operation that fails fails alone: it is not logged.
        if (i % 5 == 0) p.operations.push_back({tree::OpType::kRemove, key_for(spec, kTxnKey, i, 7), {}, 0});
        parts.push_back(std::move(p));
      }
      TransactionResult r = rt->transact(std::move(parts));
      if (!r.status.is_ok()) _exit(10);
      acknowledge(ack, 'T', i);
    }
  };
  auto batches = [&] {
    for (uint64_t n = 0;; ++n) {
      const uint64_t b = txn_number(round, 5, n);
      const TreeSpec& spec = kTrees[tree_of_batch(b)];
      std::vector<OwnedOperation> ops;
      for (uint8_t j = 0; j < kBatchRecords; ++j) ops.push_back({tree::OpType::kInsert, key_for(spec, kBatchKey, b, j), value_for(spec, b, j), 0});
      BatchResult r = handles[tree_of_batch(b)]->apply_and_wait(std::move(ops));
      if (!r.status.is_ok()) _exit(11);
      acknowledge(ack, 'B', b);
    }
  };
  std::thread t0(transactions, 0), t1(transactions, 1), t2(batches);
  t0.join();  // never: the parent kills this process
  _exit(12);
}

namespace {

struct Acknowledged {
  std::set<uint64_t> transactions, batches;
};

void read_acknowledgements(const std::string& path, Acknowledged* out) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: not a whole line (cannot happen with one write, but do not trust it)
    std::istringstream fields(line);
    char what = 0;
    uint64_t n = 0;
    REQUIRE(static_cast<bool>(fields >> what >> n));
    (what == 'T' ? out->transactions : out->batches).insert(n);
  }
}

// What the trees' logs hold, by transaction and batch: records per tree.
struct Found {
  std::map<uint64_t, std::array<size_t, kTrees.size()>> transactions;
  std::map<uint64_t, std::array<size_t, kTrees.size()>> batches;
};

void check_store(const config::Config& cfg, const Acknowledged& acked, uint64_t* transactions_seen) {
  std::unique_ptr<Runtime> rt = open_store(cfg);  // unaided
  std::vector<TreeInfo> infos = rt->trees();
  REQUIRE(infos.size() == kTrees.size());
  for (const TreeInfo& info : infos) {
    INFO("tree " << info.name << ": " << info.status.to_string());
    REQUIRE(info.status.is_ok());
  }
  Found found;
  for (size_t t = 0; t < kTrees.size(); ++t) {
    const TreeSpec& spec = kTrees[t];
    INFO("tree " << spec.name);
    std::shared_ptr<Runtime> tree = tree_of(*rt, spec.name);
    const std::vector<LogRecord> log = whole_log(*tree);
    const tree::TreeParams params{spec.key_length, spec.value_length};
    Runtime::TreeState state = tree->state();
    REQUIRE(state.served);
    REQUIRE(state.last_sequence == (log.empty() ? 0 : log.back().sequence));
    REQUIRE(replay_log(params, log) == state.digest);
    for (const LogRecord& r : log) {
      REQUIRE(!r.rollback);
      if (r.key[0] == kTxnKey) {
        ++found.transactions[get_u64(r.key, 1)][t];
      } else if (r.key[0] == kCounterKey) {
        ++found.transactions[get_u64(r.value, 0)][t];
      } else {
        REQUIRE(r.key[0] == kBatchKey);
        ++found.batches[get_u64(r.key, 1)][t];
      }
    }
    // A proof from the recovered tree verifies against its digest.
    if (!log.empty()) {
      LookupResult l = tree->lookup(log.back().key, true);
      REQUIRE(l.status.is_ok());
      tree::BatchVerifier v(params, l.digest, tree::view(l.proof));
      tree::OpOutcome out;
      REQUIRE(v.perform(tree::Operation::lookup(tree::view(log.back().key)), &out).is_ok());
    }
  }
  // No transaction is in some of its trees and not in others.
  for (const auto& [i, per_tree] : found.transactions) {
    INFO("transaction " << i);
    std::array<size_t, kTrees.size()> expected{};
    for (size_t t : trees_of(i)) expected[t] = kTxnRecordsPerTree;
    REQUIRE(per_tree == expected);
  }
  for (const auto& [b, per_tree] : found.batches) {
    INFO("batch " << b);
    REQUIRE(per_tree[tree_of_batch(b)] == kBatchRecords);
  }
  // Nothing acknowledged is lost.
  for (uint64_t i : acked.transactions) {
    INFO("acknowledged transaction " << i);
    REQUIRE(found.transactions.count(i) == 1);
  }
  for (uint64_t b : acked.batches) {
    INFO("acknowledged batch " << b);
    REQUIRE(found.batches.count(b) == 1);
  }
  *transactions_seen = found.transactions.size();
  REQUIRE(rt->shutdown().is_ok());
}

}  // namespace

TEST_CASE("trees crash: a SIGKILL in the middle of multi-tree traffic loses no acknowledged transaction and never "
          "recovers half of one", "[trees][crash]") {
  TempDir dir;
  const config::Config cfg = crash_config(dir.path("store"));
  std::mt19937_64 random(std::random_device{}());
  Acknowledged acked;
  uint64_t rounds_with_traffic = 0, rounds_waited = 0;
  std::ostringstream summary;
  constexpr uint64_t kRounds = 8;
  for (uint64_t round = 0; round < kRounds; ++round) {
    const std::string acks = dir.path("acks-" + std::to_string(round));
    const auto delay = std::chrono::milliseconds(100 + random() % 500);
    INFO("round " << round << ", killed after " << delay.count() << " ms");
    pid_t child = basis::testing::run_self("child: multi-tree traffic until killed",
                                           {{"BASIS_TREES_CRASH_DATA", cfg.storage.data_dir},
                                            {"BASIS_TREES_CRASH_ROUND", std::to_string(round)},
                                            {"BASIS_TREES_CRASH_ACKS", acks}});
    REQUIRE(child > 0);
    // Three rounds in four count the delay from the round's first
    // acknowledgement, so that the kill lands in traffic however slowly the
    // child starts (a sanitizer build on a busy machine); the fourth kills
    // it wherever it is, start-up included.
    const bool in_traffic = round % 4 != 3;
    if (in_traffic) {
      ++rounds_waited;
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      std::error_code ec;
      while (std::chrono::steady_clock::now() < give_up &&
             (!std::filesystem::exists(acks, ec) || std::filesystem::file_size(acks, ec) == 0)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    std::this_thread::sleep_for(delay);
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    INFO("child " << (WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status)) : std::string("killed")));
    REQUIRE(WIFSIGNALED(status));
    const size_t before = acked.transactions.size();
    read_acknowledgements(acks, &acked);
    if (acked.transactions.size() > before) ++rounds_with_traffic;
    uint64_t seen = 0;
    check_store(cfg, acked, &seen);
    summary << "round " << round << " (killed after " << delay.count() << " ms): " << acked.transactions.size()
            << " transactions and " << acked.batches.size() << " batches acknowledged so far, " << seen
            << " transactions in the logs\n";
  }
  WARN(summary.str());
  // The kills did land in traffic (not all of them in start-up).
  REQUIRE(rounds_with_traffic >= rounds_waited);
  REQUIRE(acked.batches.size() > 0);
}
