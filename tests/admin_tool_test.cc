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
#include "tests/tool_test_util.h"
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
  for (const char* c : {"conformance", "trees", "inspect", "verify", "checkpoints", "oplog", "backup", "restore", "rebuild",
                        "compact", "verify-proof", "accept-loss", "rollback"}) {
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
  basis::testing::Ran damaged_json = basis::testing::run_binary({BASIS_TOOL_PATH, "verify", "--json", "--data-dir", data});
  INFO(damaged_json.out);
  REQUIRE(damaged_json.code == 1);
  auto report = nlohmann::json::parse(damaged_json.out);
  REQUIRE(report["healthy"] == false);
  REQUIRE(!report["problems"].empty());
  REQUIRE(report["checkpoint"]["ok"] == false);
  REQUIRE(report["checkpoint"]["problem"].is_string());

  // The backup brings the store back.
  REQUIRE(tool("restore " + dir.path("backup") + " --yes" + at).code == 0);
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

namespace {

// One JSON object on one line, and nothing on stderr.
nlohmann::json one_object(const basis::testing::Ran& r) {
  INFO(r.out << r.err);
  REQUIRE(r.err.empty());
  REQUIRE(!r.out.empty());
  REQUIRE(r.out.find('\n') == r.out.size() - 1);
  nlohmann::json j = nlohmann::json::parse(r.out);
  REQUIRE(j.is_object());
  return j;
}

}  // namespace

TEST_CASE("basis-tree: every command prints one JSON object with --json", "[tool]") {
  using basis::testing::run_binary;
  TempDir dir;
  const std::string data = dir.path("data");
  tree::Digest digest = basis::testing::build_store(data, 1200, /*update=*/true);
  const std::string hex = tree::to_hex(tree::ByteView(digest));
  auto json_of = [&](std::vector<std::string> words, int code = 0) {
    words.insert(words.begin(), BASIS_TOOL_PATH);
    for (const char* w : {"--json", "--data-dir"}) words.push_back(w);
    words.push_back(data);
    basis::testing::Ran r = run_binary(words);
    INFO(words[1] << ": " << r.out << r.err);
    REQUIRE(r.code == code);
    return one_object(r);
  };

  nlohmann::json listed = json_of({"trees"});
  REQUIRE(listed["trees"].size() == 1);  // a store of the default tree alone
  REQUIRE(listed["trees"][0]["name"] == "default");
  REQUIRE(listed["trees"][0]["last_seq"] == 1201);
  REQUIRE(listed["trees"][0]["digest"] == hex);

  nlohmann::json v = json_of({"verify"});
  REQUIRE(v["healthy"] == true);
  REQUIRE(v["recovery"]["ok"] == true);
  REQUIRE(v["recovery"]["last_seq"] == 1201);
  REQUIRE(v["notes"]["keys"] == 1200);
  REQUIRE(v["problems"].empty());

  nlohmann::json cps = json_of({"checkpoints"});
  REQUIRE(cps["checkpoints"].is_array());
  for (const auto& c : cps["checkpoints"]) REQUIRE(c["pinned"] == false);

  // The records as the daemon's GET /v1/oplog gives them, with its cursor.
  nlohmann::json page = json_of({"oplog", "--from", "1200", "--limit", "5"});
  REQUIRE(page["records"].size() == 2);
  REQUIRE(page["next"].is_null());
  const auto& insert = page["records"][0];
  REQUIRE(insert["seq"] == 1200);
  REQUIRE(insert["type"] == "Insert");
  REQUIRE(insert["previous"].is_null());
  REQUIRE(insert.contains("value"));
  REQUIRE(insert.contains("digest_before"));
  REQUIRE(insert.contains("timestamp_ms"));
  REQUIRE(!insert.contains("delta"));
  const auto& update = page["records"][1];
  REQUIRE(update["type"] == "Update");
  REQUIRE(update["previous"].is_string());
  REQUIRE(update["digest_after"] == hex);
  nlohmann::json first = json_of({"oplog", "--limit", "10"});
  REQUIRE(first["records"].size() == 10);
  REQUIRE(first["next"] == 11);
  REQUIRE(json_of({"oplog", "--from", "5000"})["records"].empty());

  nlohmann::json backup = json_of({"backup", dir.path("backup")});
  REQUIRE(backup["verified"] == true);
  REQUIRE(backup["backup"]["id"] == 1);
  REQUIRE(backup["backup"]["bytes"] > 0);

  nlohmann::json compact = json_of({"compact"});
  REQUIRE(compact["compacted"].size() == 10);  // the default tree's families, then the named trees' (t.*)
  REQUIRE(compact["bytes_after"]["nodes"] > 0);

  nlohmann::json rebuilt = json_of({"rebuild", "--from", "oplog"});
  REQUIRE(rebuilt["from"] == "oplog");
  REQUIRE(rebuilt["checkpoint"]["digest"] == hex);
  REQUIRE(rebuilt["checkpoint"]["last_seq"] == 1201);
  REQUIRE(rebuilt["rebased"] == false);

  nlohmann::json restored = json_of({"restore", dir.path("backup"), "--yes"});
  REQUIRE(restored["restored"] == true);
  REQUIRE(restored["backup"]["id"] == 1);

  nlohmann::json loss = json_of({"accept-loss"});
  REQUIRE(loss["accepted"] == false);
  REQUIRE(loss["refused"] == false);
  REQUIRE(loss["recovered_seq"] == 1201);

  REQUIRE(json_of({"inspect"})["keys"] == 1200);

  // Failures: the error object, the exit code unchanged.
  auto error_of = [&](std::vector<std::string> words, int code) {
    words.insert(words.begin(), BASIS_TOOL_PATH);
    basis::testing::Ran r = run_binary(words);
    INFO(r.out << r.err);
    REQUIRE(r.code == code);
    nlohmann::json j = one_object(r);
    REQUIRE(j["error"]["code"].is_string());
    REQUIRE(!j["error"]["message"].get<std::string>().empty());
    return j;
  };
  const std::string none = dir.path("none");
  REQUIRE(error_of({"verify", "--json", "--data-dir", none}, 1)["error"]["code"] == "IOError");
  error_of({"inspect", "--json", "--data-dir", none}, 1);
  REQUIRE(error_of({"restore", dir.path("no-backup"), "--json", "--data-dir", none}, 1)["error"]["code"] == "NotFound");
  error_of({"verify", "--json", "--config", dir.path("missing.toml")}, 2);
}

TEST_CASE("basis-tree verify-proof and conformance print one JSON object with --json", "[tool]") {
  using basis::testing::run_binary;
  tree::BatchProver prover(tree::TreeParams{32, std::nullopt});
  tree::OpOutcome out;
  tree::Label k = bench::benchmark_key(1);
  auto v = bench::benchmark_value(1, 0);
  tree::Bytes key(k.begin(), k.end()), value(v.begin(), v.end());
  REQUIRE(prover.perform({tree::OpType::kInsert, tree::view(key), tree::view(value), 0}, &out).is_ok());
  prover.end_batch();
  tree::Operation lookup = tree::Operation::lookup(tree::view(key));
  tree::WhatIfProof w;
  REQUIRE(prover.prove_operations(std::span<const tree::Operation>(&lookup, 1), &w).is_ok());
  const std::string digest = tree::to_hex(tree::ByteView(prover.digest()));
  std::vector<std::string> args = {BASIS_TOOL_PATH, "verify-proof", "--json", "--digest", digest,
                                   "--proof", tree::to_hex(tree::view(w.proof)), "--key", tree::to_hex(tree::view(key))};
  nlohmann::json ok = one_object(run_binary(args));
  REQUIRE(ok["verifies"] == true);
  REQUIRE(ok["found"] == true);
  REQUIRE(ok["value"] == tree::to_hex(tree::view(value)));
  args[4][0] = args[4][0] == '0' ? '1' : '0';
  basis::testing::Ran bad = run_binary(args);
  REQUIRE(bad.code == 1);
  REQUIRE(one_object(bad)["verifies"] == false);

  basis::testing::Ran c = run_binary({BASIS_TOOL_PATH, "conformance", "--json", BASIS_PROJECT_VECTOR});
  REQUIRE(c.code == 0);
  nlohmann::json report = one_object(c);
  REQUIRE(report["passed"] == 1);
  REQUIRE(report["failed"] == 0);
  REQUIRE(report["files"][0]["passed"] == true);
  basis::testing::Ran text = run_binary({BASIS_TOOL_PATH, "conformance", BASIS_PROJECT_VECTOR});
  REQUIRE(text.out.substr(text.out.rfind('\n', text.out.size() - 2) + 1) == "1 passed, 0 failed\n");
}

TEST_CASE("basis-tree restore replaces a store only with --yes, keeps the one it replaced, and never touches a "
          "store in use",
          "[tool]") {
  TempDir dir;
  const std::string data = dir.path("data"), at = " --data-dir " + data;
  const tree::Digest backed_up = build(data, 100);
  REQUIRE(tool("backup " + dir.path("backup") + at).code == 0);
  const tree::Digest later = build(data, 300);  // more after the backup: a restore loses it
  REQUIRE(later != backed_up);

  Run refused = tool("restore " + dir.path("backup") + at);
  INFO(refused.out);
  REQUIRE(refused.code == 1);
  REQUIRE(refused.out.find("--yes") != std::string::npos);
  REQUIRE(refused.out.find(tree::to_hex(later)) != std::string::npos);  // says what it holds
  {
    config::Config c;
    c.storage.data_dir = data;
    c.logging.level = "off";
    std::unique_ptr<basis::Runtime> rt;
    REQUIRE(basis::Runtime::open(c, &rt).is_ok());
    REQUIRE(rt->digest() == later);  // unchanged
    // Held by a runtime: refused even with --yes, and the runtime goes on.
    Run busy = tool("restore " + dir.path("backup") + " --yes" + at);
    INFO(busy.out);
    REQUIRE(busy.code == 1);
    REQUIRE(busy.out.find("in use by another process") != std::string::npos);
    REQUIRE(rt->digest() == later);
    // Every other command is refused as well, before RocksDB touches a file
    // of the store (a refused RocksDB open renames the holder's LOG).
    auto old_logs = [&] {
      size_t n = 0;
      for (const auto& e : std::filesystem::directory_iterator(data + "/db")) {
        n += e.path().filename().string().rfind("LOG.old", 0) == 0;
      }
      return n;
    };
    const size_t logs_before = old_logs();
    for (const char* command : {"inspect", "verify", "compact", "accept-loss", "checkpoints", "oplog"}) {
      Run held = tool(std::string(command) + at);
      INFO(command << ": " << held.out);
      REQUIRE(held.code == 1);
      REQUIRE(held.out.find("in use by another process") != std::string::npos);
    }
    REQUIRE(old_logs() == logs_before);
    tree::Label k = bench::benchmark_key(5000);
    REQUIRE(rt->apply_and_wait({{tree::OpType::kInsert, tree::Bytes(k.begin(), k.end()), tree::Bytes(8, 1), 0}})
                .status.is_ok());
    REQUIRE(rt->shutdown().is_ok());
  }
  REQUIRE(tool("verify" + at).code == 0);

  Run restored = tool("restore " + dir.path("backup") + " --yes" + at);
  INFO(restored.out);
  REQUIRE(restored.code == 0);
  REQUIRE(tool("verify" + at).code == 0);
  std::string kept;
  for (const auto& e : std::filesystem::directory_iterator(data)) {
    if (e.path().filename().string().rfind("db.replaced-", 0) == 0) kept = e.path().string();
  }
  REQUIRE(!kept.empty());
  REQUIRE(restored.out.find(kept) != std::string::npos);
  REQUIRE(!std::filesystem::exists(data + "/db.restoring"));
  config::Config c;
  c.storage.data_dir = data;
  c.logging.level = "off";
  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(c, &rt).is_ok());
  REQUIRE(rt->digest() == backed_up);
}

TEST_CASE("basis-tree oplog --archive: a client following next reads every archived record once", "[tool]") {
  using basis::testing::run_binary;
  TempDir dir;
  config::Config cfg;
  cfg.storage.data_dir = dir.path("data");
  cfg.logging.level = "off";
  cfg.persistence.checkpoint_retention = 2;
  cfg.persistence.operation_log_retention = std::chrono::milliseconds(1);
  cfg.persistence.checkpoint_interval.operations = 1'000'000;  // only the explicit ones
  {
    std::unique_ptr<basis::Runtime> rt;
    REQUIRE(basis::Runtime::open(cfg, &rt).is_ok());
    for (uint64_t b = 0; b < 6; ++b) {  // one archive file per checkpoint, or so
      std::vector<basis::OwnedOperation> ops;
      for (uint64_t i = b * 50; i < (b + 1) * 50; ++i) {
        tree::Label k = bench::benchmark_key(i);
        ops.push_back({tree::OpType::kInsert, tree::Bytes(k.begin(), k.end()), tree::Bytes(8, 1), 0});
      }
      REQUIRE(rt->apply_and_wait(std::move(ops)).status.is_ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // older than the 1 ms limit
      REQUIRE(rt->checkpoint_now().is_ok());
    }
    REQUIRE(rt->shutdown().is_ok());
  }
  const std::string archive = cfg.archive_path();
  std::vector<uint64_t> seen;
  uint64_t from = 1;
  for (int pages = 0; pages < 1000; ++pages) {
    basis::testing::Ran r = run_binary({BASIS_TOOL_PATH, "oplog", "--archive", archive, "--json", "--from",
                                        std::to_string(from), "--limit", "7"});
    REQUIRE(r.code == 0);
    nlohmann::json page = one_object(r);
    for (const auto& rec : page["records"]) seen.push_back(rec["seq"].get<uint64_t>());
    if (page["next"].is_null()) break;
    REQUIRE(page["next"].get<uint64_t>() > from);
    from = page["next"].get<uint64_t>();
  }
  REQUIRE(seen.size() >= 100);  // more than one archive file's worth
  for (size_t i = 0; i < seen.size(); ++i) REQUIRE(seen[i] == i + 1);  // none skipped, none twice

  basis::testing::Ran zero = run_binary({BASIS_TOOL_PATH, "oplog", "--archive", archive, "--limit", "0"});
  REQUIRE(zero.code == 2);  // a follower of next would never advance
  basis::testing::Ran missing =
      run_binary({BASIS_TOOL_PATH, "oplog", "--archive", dir.path("no-such-archive"), "--json"});
  REQUIRE(missing.code == 1);
  REQUIRE(one_object(missing)["error"]["code"] == "NotFound");
}

TEST_CASE("basis-tree rebuild --accept-digest takes only a digest, and only with --from notes", "[tool]") {
  TempDir dir;
  const std::string at = " --data-dir " + dir.path("data");
  build(dir.path("data"), 10);
  const std::string digest(66, 'a');
  Run not_hex = tool("rebuild --from notes --accept-digest zz" + at);
  INFO(not_hex.out);
  REQUIRE(not_hex.code == 2);
  REQUIRE(not_hex.out.find("66 hex digits") != std::string::npos);
  REQUIRE(tool("rebuild --from notes --accept-digest " + std::string(64, 'a') + at).code == 2);
  Run oplog = tool("rebuild --from oplog --accept-digest " + digest + at);
  INFO(oplog.out);
  REQUIRE(oplog.code == 2);
  REQUIRE(oplog.out.find("--from notes only") != std::string::npos);
  REQUIRE(tool("verify" + at).code == 0);  // nothing was written
}

TEST_CASE("basis-tree rollback: only with --yes, recorded in the log, and the next start serves that version",
          "[tool][rollback]") {
  TempDir dir;
  const std::string data = dir.path("data");
  config::Config c;
  c.storage.data_dir = data;
  c.logging.level = "off";
  tree::Digest at_500{}, at_1000{};
  {
    std::unique_ptr<basis::Runtime> rt;
    REQUIRE(basis::Runtime::open(c, &rt).is_ok());
    at_500 = rt->apply_and_wait(basis::testing::inserts(0, 500)).digest;
    at_1000 = rt->apply_and_wait(basis::testing::inserts(500, 500)).digest;
    REQUIRE(rt->shutdown().is_ok());
  }
  Run dry = tool("rollback --to-seq 500 --data-dir " + data);
  INFO(dry.out);
  REQUIRE(dry.code == 1);
  REQUIRE(dry.out.find("would roll back to the version after operation 500") != std::string::npos);
  REQUIRE(tool("rollback --to-seq 500 --to-checkpoint 1 --data-dir " + data).code == 2);
  REQUIRE(tool("rollback --to-digest 12 --data-dir " + data).code == 2);
  Run ahead = tool("rollback --to-seq 5000 --yes --data-dir " + data);
  REQUIRE(ahead.code == 1);
  REQUIRE(ahead.out.find("ahead of the tree") != std::string::npos);
  Run done = tool("rollback --to-digest " + tree::to_hex(tree::ByteView(at_500)) + " --yes --json --data-dir " + data);
  INFO(done.out);
  REQUIRE(done.code == 0);
  nlohmann::json j = nlohmann::json::parse(done.out);
  REQUIRE(j["rolled_back"] == true);
  REQUIRE(j["to_seq"] == 500);
  REQUIRE(j["undone"] == 500);
  REQUIRE(j["seq"] == 1001);
  REQUIRE(j["digest_before"] == tree::to_hex(tree::ByteView(at_1000)));
  REQUIRE(j["digest"] == tree::to_hex(tree::ByteView(at_500)));
  Run healthy = tool("verify --data-dir " + data);
  INFO(healthy.out);
  REQUIRE(healthy.code == 0);
  Run log = tool("oplog --from 1001 --data-dir " + data);
  REQUIRE(log.out.find("1001 Rollback to 500") != std::string::npos);

  std::unique_ptr<basis::Runtime> rt;
  REQUIRE(basis::Runtime::open(c, &rt).is_ok());
  REQUIRE(rt->digest() == at_500);
  REQUIRE(rt->last_sequence() == 1001);
  REQUIRE(rt->recovery().replayed >= 1);  // through the rollback record
  BatchResult more = rt->apply_and_wait(basis::testing::inserts(500, 1));  // back in, as a new operation
  REQUIRE(more.status.is_ok());
  REQUIRE(more.first_sequence == 1002);
}

// A closed store whose log holds rollbacks (nested, and one to the empty
// tree): verify finds it healthy, the log shows them, and a rebuild from the
// whole log reaches the live digest; the runtime opens on it after.
TEST_CASE("basis-tree: verify and rebuild --from oplog through rollback records", "[tool][rollback]") {
  using basis::testing::inserts;
  using basis::testing::run_binary;
  TempDir dir;
  const std::string data = dir.path("data");
  config::Config cfg;
  cfg.storage.data_dir = data;
  cfg.tree.key_length = 32;
  cfg.persistence.checkpoint_interval.operations = 25;
  cfg.logging.level = "off";
  std::string hex;
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    for (uint64_t b = 0; b < 4; ++b) REQUIRE(rt->apply_and_wait(inserts(b * 20, 20)).status.is_ok());  // 1..80
    REQUIRE(rt->rollback(RollbackTarget::sequence(30)).status.is_ok());                             // 81
    REQUIRE(rt->apply_and_wait(inserts(500, 10)).status.is_ok());                                  // 82..91
    REQUIRE(rt->rollback(RollbackTarget::sequence(0)).status.is_ok());                              // 92
    REQUIRE(rt->apply_and_wait(inserts(600, 3)).status.is_ok());                                   // 93..95
    REQUIRE(rt->rollback(RollbackTarget::sequence(85)).status.is_ok());                             // 96, passes 81 and 92
    REQUIRE(rt->apply_and_wait(inserts(700, 2)).status.is_ok());                                   // 97..98
    hex = tree::to_hex(tree::ByteView(rt->digest()));
    REQUIRE(rt->shutdown().is_ok());
  }
  auto json_of = [&](std::vector<std::string> words, int code = 0) {
    words.insert(words.begin(), BASIS_TOOL_PATH);
    for (const char* w : {"--json", "--data-dir"}) words.push_back(w);
    words.push_back(data);
    basis::testing::Ran r = run_binary(words);
    INFO(words[1] << ": " << r.out << r.err);
    REQUIRE(r.code == code);
    return one_object(r);
  };
  nlohmann::json v = json_of({"verify"});
  REQUIRE(v["healthy"] == true);
  REQUIRE(v["recovery"]["last_seq"] == 98);
  nlohmann::json page = json_of({"oplog", "--from", "96", "--limit", "1"});
  REQUIRE(page["records"][0]["type"] == "Rollback");
  REQUIRE(page["records"][0]["to_seq"] == 85);
  nlohmann::json rebuilt = json_of({"rebuild", "--from", "oplog"});
  REQUIRE(rebuilt["checkpoint"]["digest"] == hex);
  REQUIRE(rebuilt["checkpoint"]["last_seq"] == 98);
  REQUIRE(json_of({"verify"})["healthy"] == true);
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  REQUIRE(tree::to_hex(tree::ByteView(rt->digest())) == hex);
  REQUIRE(rt->check_health(true).ok);
}
