// Creating and dropping named trees (Runtime::create_tree, drop_tree): a
// pinned checkpoint refuses the drop, a drop removes every record of the
// tree and its catalog entry, a name comes back as a new empty tree, a tree
// the configuration declares comes back at the next start, and what is not a
// tree's name or parameters is refused with a reason.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include "basis/runtime.h"
#include "storage/keyspace.h"
#include "storage/tree_catalog.h"
#include "tests/trees_test_util.h"

using namespace basis;
using basis::storage::testing::TempDir;
using namespace basis::testing::trees;

namespace {

const tree::TreeParams kNotes{64, 16};

// The catalog entry named `name` of a closed store, if it has one.
std::optional<storage::TreeEntry> catalog_entry(const std::string& data_dir, const std::string& name) {
  std::unique_ptr<storage::Database> db = basis::testing::open_closed_store(data_dir);
  std::vector<storage::TreeEntry> entries;
  REQUIRE(storage::list_trees(*db, &entries).is_ok());
  for (const auto& e : entries) {
    if (e.name == name) return e;
  }
  return std::nullopt;
}

// Keys of tree `id` in each of the t.* families of a closed store.
std::map<std::string, uint64_t> records_of(const std::string& data_dir, uint32_t id) {
  std::unique_ptr<storage::Database> db = basis::testing::open_closed_store(data_dir);
  const storage::Keyspace ks = storage::Keyspace::for_tree(id);
  std::map<std::string, uint64_t> out;
  for (storage::Family f : storage::kFamilies) {
    const storage::Family family = ks.family(f);
    rocksdb::ReadOptions ro;
    ro.total_order_seek = true;  // t.nodes has an 8-byte prefix extractor: a 4-byte seek key is outside its domain
    std::unique_ptr<rocksdb::Iterator> it(db->raw()->NewIterator(ro, db->handle(family)));
    uint64_t n = 0;
    for (it->Seek(ks.prefix()); it->Valid() && it->key().starts_with(ks.prefix()); it->Next()) ++n;
    REQUIRE(it->status().ok());
    out[std::string(storage::family_name(family))] = n;
  }
  return out;
}

uint64_t total(const std::map<std::string, uint64_t>& records) {
  uint64_t n = 0;
  for (const auto& [family, count] : records) n += count;
  return n;
}

std::vector<std::string> names_of(Runtime& rt) {
  std::vector<std::string> out;
  for (const TreeInfo& t : rt.trees()) out.push_back(t.name);
  return out;
}

}  // namespace

TEST_CASE("trees lifecycle: a pinned checkpoint refuses the drop, naming it, and once unpinned the tree and every "
          "record of it go, and its name comes back as a new empty tree", "[trees]") {
  TempDir dir;
  config::Config cfg = store_config(dir.path("store"));
  cfg.trees = {config::Config::Tree{32, 8, "tracker", 0}};
  const std::string data = cfg.storage.data_dir;
  const tree::TreeParams kTracker{32, 8};
  TreeMark tracker_mark;
  {
    std::unique_ptr<Runtime> rt = open_store(cfg);
    REQUIRE(rt->create_tree(config::Config::Tree{64, 16, "notes", 0}).is_ok());
    REQUIRE(names_of(*rt) == std::vector<std::string>{"default", "notes", "tracker"});
    std::shared_ptr<Runtime> notes = tree_of(*rt, "notes");
    REQUIRE(notes->apply_and_wait(tree_inserts(kNotes, 0, 20)).status.is_ok());
    REQUIRE(rt->transact({{"notes", tree_inserts(kNotes, 20, 5)}, {"tracker", tree_inserts(kTracker, 0, 5)}}).status.is_ok());
    tracker_mark = mark_of(*tree_of(*rt, "tracker"));
    REQUIRE(rt->shutdown().is_ok());
  }
  const std::optional<storage::TreeEntry> first = catalog_entry(data, "notes");
  REQUIRE(first);
  CHECK(first->key_length == 64);
  CHECK(first->value_length == std::optional<uint32_t>(16));
  // The check below sees the tree's records while it exists.
  const std::map<std::string, uint64_t> before = records_of(data, first->id);
  INFO("records before the drop: t.nodes " << before.at("t.nodes") << ", t.operations " << before.at("t.operations"));
  REQUIRE(before.at("t.operations") == 25);
  REQUIRE(before.at("t.nodes") > 0);
  REQUIRE(before.at("t.checkpoints") > 0);
  REQUIRE(before.at("t.notes") == 25);
  {
    std::unique_ptr<Runtime> rt = open_store(cfg);
    std::shared_ptr<Runtime> kept = tree_of(*rt, "notes");
    REQUIRE(kept->checkpoint_now().is_ok());
    const uint64_t pin = kept->checkpoints().front().id;
    REQUIRE(kept->pin_checkpoint(pin).is_ok());
    const TreeMark notes_mark = mark_of(*kept);
    tree::Status refused = rt->drop_tree("notes");
    INFO(refused.to_string());
    REQUIRE(refused.kind() == tree::ErrorKind::kInvalidArgument);
    REQUIRE(refused.message().find("pinned") != std::string::npos);
    REQUIRE(refused.message().find(std::to_string(pin)) != std::string::npos);
    // Still served, as it was.
    REQUIRE(mark_of(*kept) == notes_mark);
    REQUIRE(kept->lookup(tree_key(64, 3), false).outcome.existed);
    REQUIRE(kept->unpin_checkpoint(pin).is_ok());
    REQUIRE(rt->drop_tree("notes").is_ok());
    REQUIRE(names_of(*rt) == std::vector<std::string>{"default", "tracker"});
    REQUIRE(rt->tree("notes") == nullptr);
    REQUIRE(rt->drop_tree("notes").kind() == tree::ErrorKind::kNotFound);
    // A handle kept from before answers, with an error, and does not crash.
    BatchResult batch = kept->apply_and_wait(tree_inserts(kNotes, 100, 2));
    INFO(batch.status.to_string());
    REQUIRE(!batch.status.is_ok());
    REQUIRE(batch.status.message().find("shut down") != std::string::npos);
    REQUIRE(!kept->try_apply(tree_inserts(kNotes, 100, 2)).get().status.is_ok());
    REQUIRE(!kept->lookup(tree_key(64, 3), true).status.is_ok());
    REQUIRE(!kept->lookup_at_checkpoint(pin, tree_key(64, 3)).status.is_ok());
    REQUIRE(!kept->what_if(tree_inserts(kNotes, 100, 2)).status.is_ok());
    REQUIRE(!kept->rollback(RollbackTarget::sequence(3)).status.is_ok());
    REQUIRE(!kept->checkpoint_now().is_ok());
    REQUIRE(!kept->compact().is_ok());
    REQUIRE(!kept->pin_checkpoint(pin).is_ok());
    std::vector<LogRecord> log;
    REQUIRE(!kept->read_log(1, 10, &log).is_ok());
    REQUIRE(kept->checkpoints().empty());
    REQUIRE(!kept->check_health(true).ok);
    REQUIRE(!kept->state().served);
    REQUIRE(kept->shutdown().is_ok());
    // The transaction names a tree that is gone.
    TransactionResult t = rt->transact({{"tracker", tree_inserts(kTracker, 50, 1)}, {"notes", tree_inserts(kNotes, 50, 1)}});
    REQUIRE(t.status.kind() == tree::ErrorKind::kNotFound);
    REQUIRE(t.refused_part == std::optional<size_t>(1));
    REQUIRE(mark_of(*tree_of(*rt, "tracker")) == tracker_mark);
    REQUIRE(rt->shutdown().is_ok());
  }
  // Gone from the catalog and from every t.* family.
  REQUIRE(!catalog_entry(data, "notes"));
  const std::map<std::string, uint64_t> after = records_of(data, first->id);
  INFO("records after the drop: " << total(after));
  REQUIRE(total(after) == 0);
  // The other named tree keeps its records.
  const std::optional<storage::TreeEntry> tracker = catalog_entry(data, "tracker");
  REQUIRE(tracker);
  REQUIRE(records_of(data, tracker->id).at("t.operations") == 5);
  {
    std::unique_ptr<Runtime> rt = open_store(cfg);
    REQUIRE(names_of(*rt) == std::vector<std::string>{"default", "tracker"});
    REQUIRE(mark_of(*tree_of(*rt, "tracker")) == tracker_mark);
    // The same name again: a new, empty tree (other parameters, even).
    REQUIRE(rt->create_tree(config::Config::Tree{32, std::nullopt, "notes", 0}).is_ok());
    std::shared_ptr<Runtime> notes = tree_of(*rt, "notes");
    REQUIRE(notes->last_sequence() == 0);
    REQUIRE(notes->digest() == empty_digest(tree::TreeParams{32, std::nullopt}));
    REQUIRE(notes->checkpoints().size() <= 1);
    REQUIRE(!notes->lookup(tree_key(32, 3), false).outcome.existed);
    std::vector<LogRecord> log;
    REQUIRE(notes->read_log(1, 10, &log).is_ok());
    REQUIRE(log.empty());
    REQUIRE(rt->shutdown().is_ok());
  }
  const std::optional<storage::TreeEntry> second = catalog_entry(data, "notes");
  REQUIRE(second);
  REQUIRE(second->id != first->id);
  REQUIRE(second->key_length == 32);
  REQUIRE(second->value_length == std::nullopt);
  REQUIRE(total(records_of(data, first->id)) == 0);
}

TEST_CASE("trees lifecycle: a tree the configuration declares comes back empty at the next start after a drop",
          "[trees]") {
  TempDir dir;
  config::Config cfg = store_config(dir.path("store"));
  cfg.trees = {config::Config::Tree{32, 8, "tracker", 0}};
  const tree::TreeParams kTracker{32, 8};
  uint32_t old_id = 0;
  {
    std::unique_ptr<Runtime> rt = open_store(cfg);
    REQUIRE(tree_of(*rt, "tracker")->apply_and_wait(tree_inserts(kTracker, 0, 10)).status.is_ok());
    REQUIRE(rt->shutdown().is_ok());
  }
  old_id = catalog_entry(cfg.storage.data_dir, "tracker")->id;
  {
    std::unique_ptr<Runtime> rt = open_store(cfg);
    REQUIRE(rt->drop_tree("tracker").is_ok());
    REQUIRE(names_of(*rt) == std::vector<std::string>{"default"});
    // Created again through the API with other parameters, it would keep
    // the next start from opening: refused, naming the declared ones.
    for (const config::Config::Tree& other : {config::Config::Tree{64, 8, "tracker", 0},
                                              config::Config::Tree{32, std::nullopt, "tracker", 0},
                                              config::Config::Tree{32, 16, "tracker", 0}}) {
      tree::Status s = rt->create_tree(other);
      INFO(s.to_string());
      REQUIRE(s.kind() == tree::ErrorKind::kInvalidArgument);
      REQUIRE(s.message().find("declared in the configuration") != std::string::npos);
      REQUIRE(s.message().find("key_length 32 and value_length 8") != std::string::npos);
    }
    REQUIRE(names_of(*rt) == std::vector<std::string>{"default"});
    REQUIRE(rt->create_tree({32, 8, "tracker", 0}).is_ok());  // with its declared parameters it may
    REQUIRE(rt->drop_tree("tracker").is_ok());
    REQUIRE(rt->shutdown().is_ok());
  }
  std::unique_ptr<Runtime> rt = open_store(cfg);
  REQUIRE(names_of(*rt) == std::vector<std::string>{"default", "tracker"});
  std::shared_ptr<Runtime> tracker = tree_of(*rt, "tracker");
  REQUIRE(tracker->last_sequence() == 0);
  REQUIRE(tracker->digest() == empty_digest(kTracker));
  REQUIRE(!tracker->lookup(tree_key(32, 1), false).outcome.existed);
  REQUIRE(rt->shutdown().is_ok());
  const std::optional<storage::TreeEntry> now = catalog_entry(cfg.storage.data_dir, "tracker");
  REQUIRE(now);
  REQUIRE(now->id != old_id);
  REQUIRE(total(records_of(cfg.storage.data_dir, old_id)) == 0);
}

TEST_CASE("trees lifecycle: names and parameters that are not a tree's are refused with a reason, the default "
          "tree cannot be dropped, and only the store's runtime manages trees", "[trees]") {
  TempDir dir;
  config::Config cfg = store_config(dir.path("store"));
  cfg.trees = {config::Config::Tree{32, 8, "tracker", 0}};
  std::unique_ptr<Runtime> rt = open_store(cfg);
  struct Case {
    config::Config::Tree params;
    const char* says;  // in the message
  };
  const std::vector<Case> refused = {
      {{32, std::nullopt, "", 0}, "1..64 characters"},
      {{32, std::nullopt, std::string(65, 'a'), 0}, "1..64 characters"},
      {{32, std::nullopt, "Upper", 0}, "a-z"},
      {{32, std::nullopt, "has space", 0}, "a-z"},
      {{32, std::nullopt, "../up", 0}, "a-z"},
      {{32, std::nullopt, "a/b", 0}, "a-z"},
      {{32, std::nullopt, std::string("nul\0x", 5), 0}, "a-z"},
      {{32, std::nullopt, "caf\xc3\xa9", 0}, "a-z"},
      {{32, std::nullopt, "default", 0}, "default"},
      {{0, std::nullopt, "zero", 0}, "key_length"},
      {{256, std::nullopt, "big", 0}, "key_length"},
      {{32, 0x80000000u, "huge", 0}, "value_length"},
      {{32, UINT32_MAX, "max", 0}, "value_length"},  // the catalog's mark for "any length"
      {{32, 8, "tracker", 0}, "exists"},
      {{64, 16, "tracker", 0}, "exists"},
  };
  for (const Case& c : refused) {
    tree::Status s = rt->create_tree(c.params);
    INFO("name '" << c.params.name << "', key_length " << c.params.key_length << ": " << s.to_string());
    CHECK(s.kind() == tree::ErrorKind::kInvalidArgument);
    CHECK(s.message().find(c.says) != std::string::npos);
  }
  CHECK(names_of(*rt) == std::vector<std::string>{"default", "tracker"});
  // The longest name and the extreme key lengths are fine.
  CHECK(rt->create_tree({1, std::nullopt, std::string(64, 'z'), 0}).is_ok());
  CHECK(rt->create_tree({255, 0, "k255-v0_", 0}).is_ok());
  CHECK(rt->tree("k255-v0_")->apply_and_wait({{tree::OpType::kInsert, tree::Bytes(255, 7), {}, 0}}).status.is_ok());
  // The default tree is not dropped, and says why.
  tree::Status d = rt->drop_tree("default");
  INFO(d.to_string());
  CHECK(!d.is_ok());
  CHECK(d.message().find("default tree cannot be dropped") != std::string::npos);
  CHECK(rt->trees().front().status.is_ok());
  CHECK(rt->drop_tree("").kind() == tree::ErrorKind::kNotFound);
  // A named tree's runtime lists itself and manages nothing.
  std::shared_ptr<Runtime> tracker = tree_of(*rt, "tracker");
  REQUIRE(tracker->trees().size() == 1);
  CHECK(tracker->trees()[0].name == "tracker");
  CHECK(tracker->tree("default") == nullptr);
  CHECK(tracker->create_tree({32, std::nullopt, "other", 0}).kind() == tree::ErrorKind::kInvalidArgument);
  CHECK(tracker->drop_tree("tracker").kind() == tree::ErrorKind::kInvalidArgument);
  CHECK(tracker->transact({{"tracker", {}}}).status.kind() == tree::ErrorKind::kInvalidArgument);
  CHECK(rt->tree("tracker") != nullptr);
  REQUIRE(rt->shutdown().is_ok());
  // After shutdown every call answers, none crashes.
  CHECK(!rt->create_tree({32, std::nullopt, "late", 0}).is_ok());
  CHECK(!rt->drop_tree("tracker").is_ok());
  CHECK(!rt->transact({{"tracker", {}}}).status.is_ok());
  CHECK(rt->tree("tracker") == nullptr);
  CHECK(!tracker->apply_and_wait(tree_inserts(tree::TreeParams{32, 8}, 0, 1)).status.is_ok());
}

TEST_CASE("trees lifecycle: [[trees]] entries that are not a tree's, or that contradict the store, refuse the start",
          "[trees]") {
  TempDir dir;
  config::Config cfg = store_config(dir.path("store"));
  const std::vector<config::Config::Tree> bad = {{32, std::nullopt, "Bad", 0}, {0, std::nullopt, "zero", 0},
                                                 {32, std::nullopt, "default", 0}};
  for (const auto& t : bad) {
    config::Config c = cfg;
    c.trees = {t};
    std::unique_ptr<Runtime> rt;
    tree::Status s = Runtime::open(c, &rt);
    INFO(s.to_string());
    CHECK(s.kind() == tree::ErrorKind::kInvalidArgument);
    CHECK(s.message().find("trees[0]") != std::string::npos);
  }
  config::Config twice = cfg;
  twice.trees = {{32, 8, "a", 0}, {32, 8, "a", 0}};
  std::unique_ptr<Runtime> rt;
  CHECK(Runtime::open(twice, &rt).kind() == tree::ErrorKind::kInvalidArgument);
  cfg.trees = {{32, 8, "a", 0}};
  rt = open_store(cfg);
  REQUIRE(rt->shutdown().is_ok());
  rt.reset();
  // The store holds 'a' with 8-byte values: declaring it otherwise refuses the start.
  for (auto other : {config::Config::Tree{32, 16, "a", 0}, config::Config::Tree{32, std::nullopt, "a", 0},
                     config::Config::Tree{64, 8, "a", 0}}) {
    config::Config c = cfg;
    c.trees = {other};
    tree::Status s = Runtime::open(c, &rt);
    INFO(s.to_string());
    CHECK(s.kind() == tree::ErrorKind::kInvalidArgument);
    CHECK(s.message().find("'a'") != std::string::npos);
    CHECK(s.message().find("never change") != std::string::npos);
  }
  rt = open_store(cfg);
  CHECK(names_of(*rt) == std::vector<std::string>{"default", "a"});
}
