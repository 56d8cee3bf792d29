// Helpers for the named-tree tests (trees_crash_test, trees_rollback_test,
// trees_lifecycle_test): a store's configuration, a tree's whole operation
// log, and an in-memory replay of it that knows rollbacks. Include after
// <catch2/catch.hpp>.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "basis/runtime.h"
#include "basis/tree/batch_prover.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"

namespace basis::testing::trees {

inline config::Config store_config(const std::string& data_dir) {
  config::Config c;
  c.storage.data_dir = data_dir;
  c.storage.min_free_space = 0;
  c.persistence.node_cache_size = 64u << 20;
  c.persistence.health_check_interval = std::chrono::milliseconds(0);
  c.logging.level = "off";
  return c;
}

inline std::unique_ptr<Runtime> open_store(const config::Config& cfg) {
  std::unique_ptr<Runtime> rt;
  tree::Status s = Runtime::open(cfg, &rt);
  INFO("opening " << cfg.storage.data_dir << ": " << s.to_string());
  REQUIRE(s.is_ok());
  return rt;
}

inline std::shared_ptr<Runtime> tree_of(Runtime& store, const std::string& name) {
  std::shared_ptr<Runtime> t = store.tree(name);
  INFO("tree " << name);
  REQUIRE(t);
  return t;
}

// Every record of the tree's live log, in order (paged).
inline std::vector<LogRecord> whole_log(Runtime& tree) {
  std::vector<LogRecord> all, page;
  uint64_t from = 1;
  for (;;) {
    tree::Status s = tree.read_log(from, 5000, &page);
    INFO("read_log from " << from << ": " << s.to_string());
    REQUIRE(s.is_ok());
    if (page.empty()) break;
    for (auto& r : page) all.push_back(std::move(r));
    from = all.back().sequence + 1;
  }
  return all;
}

// The log, replayed on an in-memory tree: each record's digests are checked
// against the replay (digest_before and digest_after), a rollback record
// makes the tree the version after `rolled_back_to` again. Returns the
// digest after the last record (the empty tree's for an empty log).
inline tree::Digest replay_log(const tree::TreeParams& params, const std::vector<LogRecord>& log) {
  // version[s]: how the version after record s is reached: the record's own
  // operation on top of version[s - 1], or (a rollback) version[rolled_back_to].
  std::map<uint64_t, const LogRecord*> by_sequence;
  for (const LogRecord& r : log) by_sequence[r.sequence] = &r;
  auto build = [&](uint64_t version) {
    // The operations of `version`, walked back along its chain.
    std::vector<const LogRecord*> chain;
    uint64_t s = version;
    while (s > 0) {
      auto it = by_sequence.find(s);
      INFO("version " << version << " needs record " << s << ", not in the live log");
      REQUIRE(it != by_sequence.end());
      if (it->second->rollback) {
        s = it->second->rolled_back_to;
      } else {
        chain.push_back(it->second);
        --s;
      }
    }
    auto prover = std::make_unique<tree::BatchProver>(params);
    tree::OpOutcome out;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const LogRecord& r = **it;
      REQUIRE(prover->perform({r.type, tree::view(r.key), tree::view(r.value), r.delta}, &out).is_ok());
    }
    prover->end_batch();
    return prover;
  };
  auto prover = std::make_unique<tree::BatchProver>(params);
  uint64_t expected_sequence = log.empty() ? 0 : log.front().sequence;
  if (expected_sequence > 1) prover = build(expected_sequence - 1);
  for (const LogRecord& r : log) {
    INFO("record " << r.sequence);
    REQUIRE(r.sequence == expected_sequence++);
    REQUIRE(r.digest_before == prover->digest());
    if (r.rollback) {
      prover = build(r.rolled_back_to);
    } else {
      tree::OpOutcome out;
      REQUIRE(prover->perform({r.type, tree::view(r.key), tree::view(r.value), r.delta}, &out).is_ok());
      prover->end_batch();
    }
    REQUIRE(r.digest_after == prover->digest());
  }
  return prover->digest();
}

// Key `n` of a tree with keys of `key_length` bytes (the benchmark's key,
// repeated or cut), and its value (the benchmark's, cut or repeated to a
// fixed length, or of a length from 1 to 40).
inline tree::Bytes tree_key(uint32_t key_length, uint64_t n) {
  const tree::Bytes k = basis::testing::key_of(n);
  tree::Bytes out(key_length);
  for (size_t i = 0; i < out.size(); ++i) out[i] = k[i % k.size()] ^ static_cast<uint8_t>(i / k.size());
  return out;
}
inline tree::Bytes tree_value(std::optional<uint32_t> value_length, uint64_t n, uint64_t r = 0) {
  const tree::Bytes v = basis::testing::value_of(n, r);
  tree::Bytes out(value_length.value_or(1 + (n * 7 + r) % 40));
  for (size_t i = 0; i < out.size(); ++i) out[i] = v[i % v.size()];
  return out;
}
// Inserts of keys first..first+count-1 (values of round 0), or InsertOrUpdates of them with round `r`'s values.
inline std::vector<OwnedOperation> tree_inserts(const tree::TreeParams& p, uint64_t first, uint64_t count) {
  std::vector<OwnedOperation> ops;
  for (uint64_t n = first; n < first + count; ++n) {
    ops.push_back({tree::OpType::kInsert, tree_key(p.key_length, n), tree_value(p.value_length, n), 0});
  }
  return ops;
}
inline std::vector<OwnedOperation> tree_upserts(const tree::TreeParams& p, uint64_t first, uint64_t count, uint64_t r) {
  std::vector<OwnedOperation> ops;
  for (uint64_t n = first; n < first + count; ++n) {
    ops.push_back({tree::OpType::kInsertOrUpdate, tree_key(p.key_length, n), tree_value(p.value_length, n, r), 0});
  }
  return ops;
}

// The digest of an in-memory tree after `batches`, every operation of which must succeed.
inline tree::Digest memory_digest(const tree::TreeParams& p, const std::vector<std::vector<OwnedOperation>>& batches) {
  tree::BatchProver prover(p);
  tree::OpOutcome out;
  for (const auto& batch : batches) {
    for (const auto& op : batch) REQUIRE(prover.perform(op.view(), &out).is_ok());
    prover.end_batch();
  }
  return prover.digest();
}

// What a tree is at: its digest and last sequence number.
struct TreeMark {
  tree::Digest digest{};
  uint64_t last_sequence = 0;
  bool operator==(const TreeMark&) const = default;
};
inline TreeMark mark_of(Runtime& tree) {
  Runtime::TreeState s = tree.state();
  return TreeMark{s.digest, s.last_sequence};
}

// Aborts the test program (with a message) unless destroyed within
// `limit`: a deadlock fails the test at once instead of holding ctest.
class Watchdog {
 public:
  Watchdog(std::string what, std::chrono::seconds limit)
      : thread_([this, what = std::move(what), limit] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!done_cv_.wait_for(lock, limit, [this] { return done_; })) {
            std::fprintf(stderr, "watchdog: %s did not finish within %lld s (deadlock?)\n", what.c_str(),
                         static_cast<long long>(limit.count()));
            std::abort();
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

// The digest of the empty tree with these parameters.
inline tree::Digest empty_digest(const tree::TreeParams& params) { return tree::BatchProver(params).digest(); }

}  // namespace basis::testing::trees
