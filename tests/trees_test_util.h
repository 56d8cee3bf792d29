// Helpers for the named-tree tests (trees_crash_test, trees_rollback_test,
// trees_lifecycle_test): a store's configuration, a tree's whole operation
// log, and an in-memory replay of it that knows rollbacks. Include after
// <catch2/catch.hpp>.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "basis/runtime.h"
#include "basis/tree/batch_prover.h"
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

// The digest of the empty tree with these parameters.
inline tree::Digest empty_digest(const tree::TreeParams& params) { return tree::BatchProver(params).digest(); }

}  // namespace basis::testing::trees
