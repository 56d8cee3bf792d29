// basis-tree on a store of several trees, run as an operator runs it: --tree
// picks the tree every command of one tree reads or writes, `trees` lists
// them, and a backup and its restore hold every tree at one point.
#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include <rocksdb/db.h>

#include "basis/runtime.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"
#include "tests/tool_test_util.h"

using namespace basis;
using nlohmann::json;
using basis::storage::testing::TempDir;

namespace {

struct Tool {
  int code = -1;
  std::string out, err;
  json doc;  // stdout as JSON, when it is
};

Tool tool(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BASIS_TOOL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::Ran r = testing::run_binary(argv);
  Tool t{r.code, r.out, r.err, json()};
  t.doc = json::parse(r.out, nullptr, false);
  return t;
}

std::string hex_of(const tree::Digest& d) { return tree::to_hex(tree::ByteView(d)); }

// Key `i` of a tree with keys of `length` bytes (`salt` keeps trees apart).
tree::Bytes key(uint32_t length, uint64_t i, uint8_t salt) {
  tree::Bytes k(length, salt);
  for (int b = 0; b < 8 && b < static_cast<int>(length); ++b) k[length - 1 - b] = static_cast<uint8_t>(i >> (8 * b));
  return k;
}

std::vector<OwnedOperation> inserts(uint32_t key_length, uint32_t value_length, uint64_t first, uint64_t count,
                                    uint8_t salt) {
  std::vector<OwnedOperation> ops;
  for (uint64_t i = first; i < first + count; ++i) {
    ops.push_back({tree::OpType::kInsert, key(key_length, i, salt), tree::Bytes(value_length, static_cast<uint8_t>(i)), 0});
  }
  return ops;
}

config::Config store_config(const std::string& data_dir) {
  config::Config c;
  c.storage.data_dir = data_dir;
  c.logging.level = "off";
  c.trees = {config::Config::Tree{64, std::nullopt, "tracker", 0}, config::Config::Tree{32, 16, "reserve", 0}};
  return c;
}

// What each tree of a store is: name -> (last sequence, digest).
using TreeStates = std::map<std::string, std::pair<uint64_t, std::string>>;

TreeStates states_of(Runtime& rt) {
  TreeStates out;
  for (const TreeInfo& info : rt.trees()) {
    std::shared_ptr<Runtime> t = rt.tree(info.name);
    REQUIRE(t);
    Runtime::TreeState s = t->state();
    out[info.name] = {s.last_sequence, hex_of(s.digest)};
  }
  return out;
}

TreeStates states_listed(const std::string& data_dir) {
  Tool t = tool({"trees", "--data-dir", data_dir, "--json"});
  INFO(t.out << t.err);
  REQUIRE(t.code == 0);
  TreeStates out;
  for (const json& e : t.doc["trees"]) {
    out[e["name"].get<std::string>()] = {e["last_seq"].get<uint64_t>(),
                                         e["digest"].is_null() ? "" : e["digest"].get<std::string>()};
  }
  return out;
}

}  // namespace

TEST_CASE("basis-tree --tree: each command of one tree reads and writes that tree only, and `trees` lists them all",
          "[tool][trees]") {
  TempDir dir;
  const std::string data = dir.path("store");
  config::Config cfg = store_config(data);
  tree::Digest tracker_at_30{};
  TreeStates before;
  uint64_t reserve_checkpoint = 0;
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    REQUIRE(rt->apply_and_wait(inserts(32, 32, 0, 20, 0xd0)).status.is_ok());
    auto tracker = rt->tree("tracker");
    auto reserve = rt->tree("reserve");
    REQUIRE(tracker);
    REQUIRE(reserve);
    REQUIRE(tracker->apply_and_wait(inserts(64, 8, 0, 30, 0x7a)).status.is_ok());
    tracker_at_30 = tracker->digest();
    REQUIRE(tracker->apply_and_wait(inserts(64, 8, 30, 15, 0x7a)).status.is_ok());
    REQUIRE(reserve->apply_and_wait(inserts(32, 16, 0, 7, 0x5e)).status.is_ok());
    REQUIRE(reserve->checkpoint_now().is_ok());
    std::vector<CheckpointInfo> cps = reserve->checkpoints();
    REQUIRE(!cps.empty());
    reserve_checkpoint = cps.front().id;
    REQUIRE(reserve->pin_checkpoint(reserve_checkpoint).is_ok());
    before = states_of(*rt);
    REQUIRE(rt->shutdown().is_ok());
  }
  REQUIRE(before.at("default").first == 20);
  REQUIRE(before.at("tracker").first == 45);
  REQUIRE(before.at("reserve").first == 7);

  // Every tree, with its parameters, sequence and digest.
  Tool listed = tool({"trees", "--data-dir", data, "--json"});
  INFO(listed.out << listed.err);
  REQUIRE(listed.code == 0);
  REQUIRE(listed.doc["trees"].size() == 3);
  const json& trees = listed.doc["trees"];
  CHECK(trees[0]["name"] == "default");
  CHECK(trees[0]["id"] == 0);
  CHECK(trees[0]["key_length"] == 32);
  CHECK(trees[1]["name"] == "reserve");
  CHECK(trees[1]["key_length"] == 32);
  CHECK(trees[1]["value_length"] == 16);
  CHECK(trees[1]["checkpoints"].get<uint64_t>() >= 1);
  CHECK(trees[2]["name"] == "tracker");
  CHECK(trees[2]["key_length"] == 64);
  CHECK(trees[2]["value_length"].is_null());
  CHECK(states_listed(data) == before);
  Tool text = tool({"trees", "--data-dir", data});
  CHECK(text.code == 0);
  CHECK(text.out.find("tracker") != std::string::npos);
  CHECK(text.out.find(before.at("reserve").second) != std::string::npos);

  // inspect: the tree's own keys, sequence and digest, never another's.
  for (const auto& [name, keys] : std::map<std::string, uint64_t>{{"default", 20}, {"tracker", 45}, {"reserve", 7}}) {
    Tool t = tool({"inspect", "--data-dir", data, "--tree", name, "--json"});
    INFO(name << ": " << t.out << t.err);
    REQUIRE(t.code == 0);
    CHECK(t.doc["tree"] == name);
    CHECK(t.doc["keys"] == keys);
    CHECK(t.doc["last_seq"] == before.at(name).first);
    CHECK(t.doc["digest"] == before.at(name).second);
    if (name != "default") {
      CHECK(t.doc["nodes_estimate"].get<uint64_t>() >= 2 * keys + 1);  // counted: every version's nodes
      CHECK(t.doc["bytes"].contains("t.nodes"));
    }
  }
  // Without --tree: the default tree, as before named trees.
  Tool plain = tool({"inspect", "--data-dir", data, "--json"});
  REQUIRE(plain.code == 0);
  CHECK(plain.doc["tree"] == "default");
  CHECK(plain.doc["keys"] == 20);

  // checkpoints and pins are the tree's.
  Tool cps = tool({"checkpoints", "--data-dir", data, "--tree", "reserve", "--json"});
  REQUIRE(cps.code == 0);
  CHECK(cps.doc["tree"] == "reserve");
  REQUIRE(!cps.doc["checkpoints"].empty());
  CHECK(cps.doc["checkpoints"][0]["id"] == reserve_checkpoint);
  CHECK(cps.doc["checkpoints"][0]["pinned"] == true);
  CHECK(cps.doc["checkpoints"][0]["digest"] == before.at("reserve").second);
  Tool default_cps = tool({"checkpoints", "--data-dir", data, "--json"});
  REQUIRE(default_cps.code == 0);
  for (const json& c : default_cps.doc["checkpoints"]) CHECK(c["pinned"] == false);  // the pin is reserve's

  // oplog: the tree's records, its keys 64 bytes long.
  Tool log = tool({"oplog", "--data-dir", data, "--tree", "tracker", "--from", "40", "--json"});
  INFO(log.out << log.err);
  REQUIRE(log.code == 0);
  CHECK(log.doc["tree"] == "tracker");
  REQUIRE(log.doc["records"].size() == 6);
  CHECK(log.doc["records"][0]["seq"] == 40);
  CHECK(log.doc["records"][0]["key"].get<std::string>().size() == 128);
  CHECK(log.doc["records"][5]["digest_after"] == before.at("tracker").second);
  CHECK(log.doc["next"].is_null());

  // verify: each tree in full.
  for (const std::string name : {"default", "tracker", "reserve"}) {
    Tool t = tool({"verify", "--data-dir", data, "--tree", name, "--json"});
    INFO(name << ": " << t.out << t.err);
    CHECK(t.code == 0);
    CHECK(t.doc["tree"] == name);
    CHECK(t.doc["healthy"] == true);
    CHECK(t.doc["recovery"]["last_seq"] == before.at(name).first);
  }

  // rebuild --from oplog: a checkpoint of the tree's, with its digest.
  Tool rebuilt = tool({"rebuild", "--data-dir", data, "--tree", "tracker", "--from", "oplog", "--json"});
  INFO(rebuilt.out << rebuilt.err);
  REQUIRE(rebuilt.code == 0);
  CHECK(rebuilt.doc["tree"] == "tracker");
  CHECK(rebuilt.doc["checkpoint"]["digest"] == before.at("tracker").second);
  CHECK(rebuilt.doc["checkpoint"]["last_seq"] == 45);
  Tool tracker_cps = tool({"checkpoints", "--data-dir", data, "--tree", "tracker", "--json"});
  REQUIRE(tracker_cps.code == 0);
  CHECK(tracker_cps.doc["checkpoints"][0]["id"] == rebuilt.doc["checkpoint"]["id"]);

  // rollback: the tracker goes back to its 30th operation; the others stay.
  Tool dry = tool({"rollback", "--data-dir", data, "--tree", "tracker", "--to-seq", "30"});
  CHECK(dry.code == 1);
  CHECK(dry.out.find("tree tracker: would roll back to the version after operation 30") != std::string::npos);
  Tool rolled = tool({"rollback", "--data-dir", data, "--tree", "tracker", "--to-seq", "30", "--yes", "--json"});
  INFO(rolled.out << rolled.err);
  REQUIRE(rolled.code == 0);
  CHECK(rolled.doc["tree"] == "tracker");
  CHECK(rolled.doc["rolled_back"] == true);
  CHECK(rolled.doc["digest"] == hex_of(tracker_at_30));
  CHECK(rolled.doc["undone"] == 15);
  CHECK(rolled.doc["seq"] == 46);
  TreeStates after = before;
  after["tracker"] = {46, hex_of(tracker_at_30)};
  CHECK(states_listed(data) == after);
  {
    // The next start serves that version, and the other trees as they were.
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    CHECK(states_of(*rt) == after);
    REQUIRE(rt->shutdown().is_ok());
  }
  Tool verified = tool({"verify", "--data-dir", data, "--tree", "tracker", "--json"});
  CHECK(verified.code == 0);
  CHECK(verified.doc["healthy"] == true);

  // compact: the named trees' families too.
  Tool compact = tool({"compact", "--data-dir", data, "--json"});
  REQUIRE(compact.code == 0);
  CHECK(compact.doc["compacted"].size() == 10);
  CHECK(compact.doc["bytes_after"].contains("t.nodes"));
}

TEST_CASE("basis-tree --tree: an unknown tree is refused by every command of one tree, naming the store's trees",
          "[tool][trees]") {
  TempDir dir;
  const std::string data = dir.path("store");
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(store_config(data), &rt).is_ok());
    REQUIRE(rt->shutdown().is_ok());
  }
  const std::vector<std::vector<std::string>> commands = {
      {"inspect"}, {"checkpoints"}, {"oplog"}, {"verify"}, {"rebuild", "--from", "oplog"},
      {"rollback", "--to-seq", "0", "--yes"}};
  // Every command with a name it lacks; inspect with names near one it has,
  // and with bytes a terminal would act on.
  std::vector<std::pair<std::vector<std::string>, std::string>> runs;
  for (const auto& command : commands) runs.push_back({command, "nope"});
  for (const std::string& name : {std::string("Default"), std::string("tracker/.."),
                                  std::string("tracker "), std::string("a\nb\x1b[2J", 7), std::string(300, 'x')}) {
    runs.push_back({{"inspect"}, name});
  }
  {
    for (const auto& [command, name] : runs) {
      std::vector<std::string> args = command;
      args.insert(args.end(), {"--data-dir", data, "--tree", name});
      Tool t = tool(args);
      INFO(command[0] << " --tree '" << name << "': " << t.out << t.err);
      CHECK(t.code == 1);
      CHECK(t.err.find("no tree named '") != std::string::npos);
      CHECK(t.err.find("it holds: default, reserve, tracker") != std::string::npos);
      CHECK(t.err.find('\x1b') == std::string::npos);  // a hostile name is printed tamed
      args.push_back("--json");
      Tool j = tool(args);
      CHECK(j.code == 1);
      CHECK(j.doc["error"]["code"] == "NotFound");
    }
  }
  // A missing or empty value is bad usage.
  Tool missing = tool({"inspect", "--data-dir", data, "--tree"});
  CHECK(missing.code == 2);
  Tool empty = tool({"inspect", "--data-dir", data, "--tree", ""});
  CHECK(empty.code == 2);
  // Store-wide commands take no --tree.
  Tool backup = tool({"backup", dir.path("backups"), "--data-dir", data, "--tree", "tracker"});
  CHECK(backup.code == 2);
}

TEST_CASE("basis-tree: a damaged catalog entry refuses that tree and the list, never the default tree",
          "[tool][trees]") {
  TempDir dir;
  const std::string data = dir.path("store");
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(store_config(data), &rt).is_ok());
    REQUIRE(rt->apply_and_wait(inserts(32, 32, 0, 5, 0xd0)).status.is_ok());
    REQUIRE(rt->shutdown().is_ok());
  }
  {
    std::unique_ptr<storage::Database> db = testing::open_closed_store(data);
    REQUIRE(db);
    REQUIRE(db->raw()->Put(rocksdb::WriteOptions(), db->handle(storage::Family::kMetadata), "tree/tracker", "junk").ok());
  }
  Tool def = tool({"inspect", "--data-dir", data, "--json"});
  INFO(def.out << def.err);
  CHECK(def.code == 0);
  CHECK(def.doc["keys"] == 5);
  Tool verified = tool({"verify", "--data-dir", data, "--json"});
  CHECK(verified.code == 0);
  for (const std::vector<std::string>& args : {std::vector<std::string>{"trees"}, {"inspect", "--tree", "reserve"}}) {
    std::vector<std::string> words = args;
    words.insert(words.end(), {"--data-dir", data, "--json"});
    Tool t = tool(words);
    INFO(args[0] << ": " << t.out << t.err);
    CHECK(t.code == 1);
    CHECK(t.doc["error"]["code"] == "Corruption");
    CHECK(t.doc["error"]["message"].get<std::string>().find("'tracker'") != std::string::npos);
  }
}

TEST_CASE("basis-tree backup and restore hold every tree, and the catalog, at the backup's point", "[tool][trees]") {
  TempDir dir;
  const std::string data = dir.path("store"), backups = dir.path("backups");
  config::Config cfg = store_config(data);
  TreeStates at_backup;
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    REQUIRE(rt->apply_and_wait(inserts(32, 32, 0, 50, 0xd0)).status.is_ok());
    REQUIRE(rt->tree("tracker")->apply_and_wait(inserts(64, 8, 0, 40, 0x7a)).status.is_ok());
    REQUIRE(rt->tree("reserve")->apply_and_wait(inserts(32, 16, 0, 30, 0x5e)).status.is_ok());
    REQUIRE(rt->tree("reserve")->checkpoint_now().is_ok());
    // A transaction across the trees: in the backup whole.
    std::vector<TransactionPart> parts = {{"default", inserts(32, 32, 50, 3, 0xd0)},
                                          {"tracker", inserts(64, 8, 40, 4, 0x7a)},
                                          {"reserve", inserts(32, 16, 30, 5, 0x5e)}};
    REQUIRE(rt->transact(std::move(parts)).status.is_ok());
    at_backup = states_of(*rt);
    REQUIRE(rt->shutdown().is_ok());
  }
  REQUIRE(at_backup.size() == 3);
  Tool backup = tool({"backup", backups, "--data-dir", data, "--json"});
  INFO(backup.out << backup.err);
  REQUIRE(backup.code == 0);
  CHECK(backup.doc["verified"] == true);

  TreeStates later;
  {
    // After the backup: more writes to every tree, a transaction, a tree
    // created and one dropped.
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    REQUIRE(rt->apply_and_wait(inserts(32, 32, 100, 10, 0xd0)).status.is_ok());
    REQUIRE(rt->tree("tracker")->apply_and_wait(inserts(64, 8, 100, 10, 0x7a)).status.is_ok());
    std::vector<TransactionPart> parts = {{"tracker", inserts(64, 8, 200, 2, 0x7a)},
                                          {"reserve", inserts(32, 16, 200, 2, 0x5e)}};
    REQUIRE(rt->transact(std::move(parts)).status.is_ok());
    REQUIRE(rt->create_tree(config::Config::Tree{32, 8, "later", 0}).is_ok());
    REQUIRE(rt->tree("later")->apply_and_wait(inserts(32, 8, 0, 5, 0x11)).status.is_ok());
    REQUIRE(rt->drop_tree("reserve").is_ok());
    later = states_of(*rt);
    REQUIRE(rt->shutdown().is_ok());
  }
  REQUIRE(later.count("later") == 1);
  REQUIRE(later.count("reserve") == 0);
  REQUIRE(later.at("default") != at_backup.at("default"));
  REQUIRE(later.at("tracker") != at_backup.at("tracker"));
  // The tool reads the catalog, not the configuration (which would create
  // "reserve" again, empty, at the next start).
  CHECK(states_listed(data) == later);

  Tool restore = tool({"restore", backups, "--data-dir", data, "--yes", "--json"});
  INFO(restore.out << restore.err);
  REQUIRE(restore.code == 0);
  CHECK(restore.doc["restored"] == true);
  // Every tree at the backup's point: the dropped one back, the new one gone.
  CHECK(states_listed(data) == at_backup);
  for (const auto& [name, state] : at_backup) {
    Tool t = tool({"verify", "--data-dir", data, "--tree", name, "--json"});
    INFO(name << ": " << t.out << t.err);
    CHECK(t.code == 0);
    CHECK(t.doc["healthy"] == true);
    CHECK(t.doc["recovery"]["last_seq"] == state.first);
  }
  {
    // A runtime serves every tree so, and each continues its own sequence.
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    CHECK(states_of(*rt) == at_backup);
    CHECK(!rt->tree("later"));
    BatchResult r = rt->tree("reserve")->apply_and_wait(inserts(32, 16, 300, 1, 0x5e));
    REQUIRE(r.status.is_ok());
    CHECK(rt->tree("reserve")->state().last_sequence == at_backup.at("reserve").first + 1);
    REQUIRE(rt->shutdown().is_ok());
  }
}
