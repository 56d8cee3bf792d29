// basis-tree's store commands, run as an operator runs them: on a store a
// runtime wrote and closed.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <rocksdb/db.h>

#include <cstdio>
#include <memory>

#include "basis/runtime.h"
#include "bench/benchmark_data.h"
#include "storage/checkpoint_store.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"
#include "basis/tree/batch_prover.h"

using namespace basis;
using basis::storage::testing::TempDir;

namespace {

struct Run {
  int code = -1;
  std::string out;
};

Run tool(const std::string& args) {
  Run r;
  std::string command = std::string(BASIS_TOOL_PATH) + " " + args + " 2>&1";
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

tree::Digest build(const std::string& data_dir, uint64_t keys) {
  config::Config c;
  c.storage.data_dir = data_dir;
  c.logging.level = "off";
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(c, &rt).is_ok());
  std::vector<basis::OwnedOperation> ops;
  for (uint64_t i = 0; i < keys; ++i) {
    tree::Label k = bench::benchmark_key(i);
    auto v = bench::benchmark_value(i, 0);
    ops.push_back({tree::OpType::kInsert, tree::Bytes(k.begin(), k.end()), tree::Bytes(v.begin(), v.end()), 0});
    if (ops.size() == 500) REQUIRE(rt->apply_and_wait(std::exchange(ops, {})).status.is_ok());
  }
  if (!ops.empty()) REQUIRE(rt->apply_and_wait(std::move(ops)).status.is_ok());
  tree::Digest d = rt->digest();
  REQUIRE(rt->shutdown().is_ok());
  return d;
}

}  // namespace

TEST_CASE("basis-tree: every command answers --help", "[tool]") {
  for (const char* c : {"conformance", "inspect", "verify", "checkpoints", "oplog", "backup", "restore", "rebuild",
                        "compact", "verify-proof", "accept-loss"}) {
    Run r = tool(std::string(c) + " --help");
    INFO(c << ": " << r.out);
    REQUIRE(r.code == 0);
    REQUIRE(r.out.find("usage: basis-tree") != std::string::npos);
  }
  REQUIRE(tool("frobnicate").code == 2);
}

TEST_CASE("basis-tree: inspect, verify, backup, restore and rebuild on a written store", "[tool]") {
  TempDir dir;
  std::string data = dir.path("data");
  tree::Digest digest = build(data, 1200);
  std::string at = " --data-dir " + data;

  Run inspect = tool("inspect --json" + at);
  INFO(inspect.out);
  REQUIRE(inspect.code == 0);
  auto j = nlohmann::json::parse(inspect.out);
  REQUIRE(j["keys"] == 1200);
  REQUIRE(j["last_seq"] == 1200);
  REQUIRE(j["digest"] == tree::to_hex(tree::ByteView(digest)));

  Run verify = tool("verify" + at);
  INFO(verify.out);
  REQUIRE(verify.code == 0);
  REQUIRE(verify.out.find("1200 keys") != std::string::npos);

  REQUIRE(tool("oplog --from 1199 --limit 5" + at).out.find("1200 Insert") != std::string::npos);
  REQUIRE(tool("backup " + dir.path("backup") + at).code == 0);

  Run rebuilt = tool("rebuild --from notes" + at);
  INFO(rebuilt.out);
  REQUIRE(rebuilt.code == 0);
  REQUIRE(rebuilt.out.find(tree::to_hex(tree::ByteView(digest))) != std::string::npos);  // inserts only: same tree
  REQUIRE(tool("rebuild --from oplog" + at).code == 0);
  REQUIRE(tool("compact" + at).code == 0);
  REQUIRE(tool("verify" + at).code == 0);

  // A damaged node: verify says so, with exit code 1.
  {
    std::unique_ptr<storage::Database> db = basis::testing::open_closed_store(data);
    rocksdb::ReadOptions ro;
    ro.total_order_seek = true;  // the nodes family has a prefix extractor
    std::unique_ptr<rocksdb::Iterator> it(db->raw()->NewIterator(ro, db->handle(storage::Family::kNodes)));
    it->SeekToFirst();
    REQUIRE(it->Valid());
    std::string key = it->key().ToString(), value = it->value().ToString();
    value[value.size() / 2] ^= 0x01;
    REQUIRE(db->raw()->Put(rocksdb::WriteOptions(), db->handle(storage::Family::kNodes), key, value).ok());
    REQUIRE(db->flush().is_ok());
  }
  Run damaged = tool("verify" + at);
  INFO(damaged.out);
  REQUIRE(damaged.code == 1);
  REQUIRE(damaged.out.find("PROBLEMS FOUND") != std::string::npos);

  // The backup brings the store back.
  REQUIRE(tool("restore " + dir.path("backup") + at).code == 0);
  REQUIRE(tool("verify" + at).code == 0);
}

TEST_CASE("basis-tree verify-proof accepts a lookup proof and refuses another digest", "[tool]") {
  tree::BatchProver prover(tree::TreeParams{32, std::nullopt});
  tree::OpOutcome out;
  std::vector<tree::Bytes> keys;
  for (uint64_t i = 0; i < 50; ++i) {
    tree::Label k = bench::benchmark_key(i);
    auto v = bench::benchmark_value(i, 0);
    keys.emplace_back(k.begin(), k.end());
    tree::Bytes value(v.begin(), v.end());
    REQUIRE(prover.perform({tree::OpType::kInsert, tree::view(keys.back()), tree::view(value), 0}, &out).is_ok());
  }
  prover.end_batch();
  tree::Operation lookup = tree::Operation::lookup(tree::view(keys[7]));
  tree::WhatIfProof w;
  REQUIRE(prover.prove_operations(std::span<const tree::Operation>(&lookup, 1), &w).is_ok());
  std::string digest = tree::to_hex(tree::ByteView(prover.digest()));
  std::string args = " --proof " + tree::to_hex(tree::view(w.proof)) + " --key " + tree::to_hex(tree::view(keys[7]));
  Run ok = tool("verify-proof --digest " + digest + args);
  INFO(ok.out);
  REQUIRE(ok.code == 0);
  REQUIRE(ok.out.find("holds " + tree::to_hex(tree::view(w.outcomes[0].old_value))) != std::string::npos);
  std::string other = digest;
  other[0] = other[0] == '0' ? '1' : '0';
  REQUIRE(tool("verify-proof --digest " + other + args).code == 1);
  REQUIRE(tool("verify-proof --digest 12" + args).code == 2);
}
