// A named tree whose records are damaged while the store is stopped (issue
// 15: "a damaged tree falls back alone ... while the others serve"): its
// latest checkpoint, its checkpoint's root node, the tail of its log, or
// everything recovery could use. The store opens, the other trees answer
// (batches, reads, transactions among themselves), trees() reports the
// damaged tree's status, and a tree that cannot be recovered can be dropped.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "basis/runtime.h"
#include "storage/checkpoint_store.h"
#include "storage/coding.h"
#include "storage/keyspace.h"
#include "storage/tree_catalog.h"
#include "tests/trees_test_util.h"

using namespace basis;
using basis::storage::testing::TempDir;
using namespace basis::testing::trees;

namespace {

struct Spec {
  const char* name;
  tree::TreeParams params;
};
const std::vector<Spec> kNamed = {{"alpha", {32, 16}}, {"beta", {32, 8}}, {"gamma", {64, std::nullopt}}};
const tree::TreeParams kDefault{32, std::nullopt};

config::Config damage_config(const std::string& dir) {
  config::Config c = store_config(dir);
  c.persistence.checkpoint_interval.operations = 1'000'000;  // checkpoints when the test says
  for (const Spec& s : kNamed) c.trees.push_back(config::Config::Tree{s.params.key_length, s.params.value_length, s.name, 0});
  return c;
}

// Three batches of 20 on every tree with a checkpoint after each, then ten
// more operations after the last checkpoint (shutdown seals them too).
std::map<std::string, TreeMark> build(const config::Config& cfg) {
  std::unique_ptr<Runtime> rt = open_store(cfg);
  std::map<std::string, TreeMark> marks;
  for (uint64_t b = 0; b < 3; ++b) {
    REQUIRE(rt->apply_and_wait(tree_inserts(kDefault, b * 20, 20)).status.is_ok());
    REQUIRE(rt->checkpoint_now().is_ok());
    for (const Spec& s : kNamed) {
      std::shared_ptr<Runtime> t = tree_of(*rt, s.name);
      REQUIRE(t->apply_and_wait(tree_inserts(s.params, b * 20, 20)).status.is_ok());
      REQUIRE(t->checkpoint_now().is_ok());
    }
  }
  REQUIRE(rt->transact({{"alpha", tree_inserts(kNamed[0].params, 100, 10)},
                        {"beta", tree_inserts(kNamed[1].params, 100, 10)},
                        {"gamma", tree_inserts(kNamed[2].params, 100, 10)},
                        {"default", tree_inserts(kDefault, 100, 10)}})
              .status.is_ok());
  marks["default"] = mark_of(*rt);
  for (const Spec& s : kNamed) marks[s.name] = mark_of(*tree_of(*rt, s.name));
  REQUIRE(rt->shutdown().is_ok());
  return marks;
}

// The damage, done through the database of the stopped store.
enum class Damage {
  kLatestCheckpoint,      // the newest checkpoint record's bytes
  kCheckpointRoot,        // the root node of the newest checkpoint, deleted
  kLogTail,               // the last five operation records, deleted (the newest checkpoint covers them)
  kEverything,            // every checkpoint record, an early operation record and every note, deleted
};
const char* damage_name(Damage d) {
  switch (d) {
    case Damage::kLatestCheckpoint: return "latest checkpoint record damaged";
    case Damage::kCheckpointRoot: return "latest checkpoint's root node deleted";
    case Damage::kLogTail: return "last five log records deleted";
    case Damage::kEverything: return "every checkpoint, an early log record and every note deleted";
  }
  return "?";
}

void damage(const std::string& data_dir, const std::string& name, Damage d) {
  std::unique_ptr<storage::Database> db = basis::testing::open_closed_store(data_dir);
  std::vector<storage::TreeEntry> entries;
  REQUIRE(storage::list_trees(*db, &entries).is_ok());
  auto entry = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return e.name == name; });
  REQUIRE((entry != entries.end() || name == "default"));
  const storage::Keyspace ks = name == "default" ? storage::Keyspace() : storage::Keyspace::for_tree(entry->id, entry->key_length);
  storage::CheckpointStore checkpoints(db.get(), ks);
  std::vector<storage::CheckpointRecord> list;
  REQUIRE(checkpoints.list(&list).is_ok());
  REQUIRE(list.size() >= 3);
  rocksdb::WriteBatch batch;
  auto family = [&](storage::Family f) { return db->handle(ks.family(f)); };
  switch (d) {
    case Damage::kLatestCheckpoint: {
      const std::string key = ks.key(storage::sequence_key(list.front().id));
      std::string value;
      REQUIRE(db->get(ks.family(storage::Family::kCheckpoints), key, &value).is_ok());
      value[value.size() / 2] ^= 0x5a;
      batch.Put(family(storage::Family::kCheckpoints), key, value);
      break;
    }
    case Damage::kCheckpointRoot: {
      const tree::Digest& root = list.front().digest;
      batch.Delete(family(storage::Family::kNodes),
                   ks.key(std::string_view(reinterpret_cast<const char*>(root.data()), tree::kLabelSize)));
      break;
    }
    case Damage::kLogTail: {
      const uint64_t last = list.front().last_sequence;
      for (uint64_t s = last - 4; s <= last; ++s) batch.Delete(family(storage::Family::kOperations), ks.key(storage::sequence_key(s)));
      break;
    }
    case Damage::kEverything: {
      for (const auto& cp : list) batch.Delete(family(storage::Family::kCheckpoints), ks.key(storage::sequence_key(cp.id)));
      batch.Delete(family(storage::Family::kOperations), ks.key(storage::sequence_key(5)));
      rocksdb::ReadOptions ro;
      ro.total_order_seek = true;
      std::unique_ptr<rocksdb::Iterator> it(db->raw()->NewIterator(ro, family(storage::Family::kNotes)));
      for (it->Seek(ks.prefix()); it->Valid() && it->key().starts_with(ks.prefix()); it->Next()) {
        batch.Delete(family(storage::Family::kNotes), it->key());
      }
      REQUIRE(it->status().ok());
      break;
    }
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  REQUIRE(db->raw()->Write(wo, &batch).ok());
  REQUIRE(db->flush().is_ok());
}

// The trees other than `damaged` are as they were and take batches,
// lookups and transactions among themselves.
void require_others_serve(Runtime& rt, const std::string& damaged, const std::map<std::string, TreeMark>& marks) {
  std::vector<TransactionPart> parts;
  for (const auto& [name, mark] : marks) {
    if (name == damaged) continue;
    INFO("tree " << name);
    std::shared_ptr<Runtime> t = tree_of(rt, name);
    REQUIRE(mark_of(*t) == mark);
    const tree::TreeParams p = name == "default" ? kDefault
                                                 : std::find_if(kNamed.begin(), kNamed.end(), [&](const Spec& s) {
                                                     return s.name == name;
                                                   })->params;
    REQUIRE(t->lookup(tree_key(p.key_length, 7), true).outcome.existed);
    REQUIRE(t->apply_and_wait(tree_inserts(p, 500, 3)).status.is_ok());
    parts.push_back({name, tree_inserts(p, 600, 3)});
  }
  TransactionResult r = rt.transact(parts);
  INFO(r.status.to_string());
  REQUIRE(r.status.is_ok());
}

}  // namespace

TEST_CASE("trees damage: a named tree's damaged records do not stop the other trees", "[trees][corruption]") {
  for (Damage d : {Damage::kLatestCheckpoint, Damage::kCheckpointRoot, Damage::kEverything}) {
    DYNAMIC_SECTION(damage_name(d)) {
      TempDir dir;
      const config::Config cfg = damage_config(dir.path("store"));
      const std::map<std::string, TreeMark> marks = build(cfg);
      damage(cfg.storage.data_dir, "beta", d);
      std::unique_ptr<Runtime> rt;
      tree::Status opened = Runtime::open(cfg, &rt);
      INFO("open: " << opened.to_string());
      REQUIRE(opened.is_ok());
      std::vector<TreeInfo> infos = rt->trees();
      REQUIRE(infos.size() == 4);
      const TreeInfo& beta = infos[2];
      REQUIRE(beta.name == "beta");
      std::shared_ptr<Runtime> b = rt->tree("beta");
      std::string what;
      if (b) {
        what = std::string("served, recovered by ") + recovery_path_name(b->recovery().path);
        for (const auto& f : b->recovery().fallbacks) what += "; fell back: " + f;
      } else {
        what = "not served: " + beta.status.to_string();
      }
      WARN(damage_name(d) << ": beta " << what);
      require_others_serve(*rt, "beta", marks);
      if (d == Damage::kLatestCheckpoint || d == Damage::kCheckpointRoot) {
        // Older checkpoints and the log still hold it all: served as it was,
        // from an older checkpoint (a damaged checkpoint record makes the
        // list unreadable: then from the whole log), saying why.
        REQUIRE(beta.status.is_ok());
        REQUIRE(b);
        REQUIRE((b->recovery().path == RecoveryPath::kOlderCheckpoint || b->recovery().path == RecoveryPath::kFullReplay));
        REQUIRE(!b->recovery().fallbacks.empty());
        REQUIRE(mark_of(*b) == marks.at("beta"));
        REQUIRE(b->check_health(true).ok);
      } else if (b) {
        // Served: then as it was (never another tree) and healthy.
        REQUIRE(beta.status.is_ok());
        REQUIRE(mark_of(*b) == marks.at("beta"));
        HealthReport h = b->check_health(true);
        INFO(h.problem);
        REQUIRE(h.ok);
      } else {
        // Not served: trees() says why, a transaction naming it is refused,
        // and it can be dropped (a declared tree then comes back empty).
        REQUIRE(!beta.status.is_ok());
        REQUIRE(!beta.status.message().empty());
        TransactionResult t = rt->transact({{"alpha", tree_inserts(kNamed[0].params, 700, 1)},
                                            {"beta", tree_inserts(kNamed[1].params, 700, 1)}});
        REQUIRE(!t.status.is_ok());
        REQUIRE(t.refused_part == std::optional<size_t>(1));
        tree::Status dropped = rt->drop_tree("beta");
        INFO("drop: " << dropped.to_string());
        REQUIRE(dropped.is_ok());
        REQUIRE(rt->shutdown().is_ok());
        rt = open_store(cfg);
        REQUIRE(rt->trees()[2].status.is_ok());
        REQUIRE(tree_of(*rt, "beta")->last_sequence() == 0);
      }
      REQUIRE(rt->shutdown().is_ok());
      // And once more: every tree opens again.
      rt = open_store(cfg);
      for (const TreeInfo& info : rt->trees()) {
        INFO(info.name << ": " << info.status.to_string());
        if (info.name != "beta" || d != Damage::kEverything) REQUIRE(info.status.is_ok());
      }
    }
  }
}

// KNOWN GAP (reported, not fixed here: engine/recovery.cc is not this
// branch's): a named tree's log cut at a record boundary is not noticed.
// The default tree's durable mark refuses such a store at open ("the
// write-ahead log was damaged or cut"); named trees have no mark, and
// build_version leaves out, without a word, every checkpoint ahead of the
// log: the tree is served at sequence 65 of 70 (five acknowledged
// operations gone, recovery path "older_checkpoint", no fallback named), a
// full health check then finds notes without their keys, and the next
// batch reuses sequence numbers 66..70 for other operations. What this
// test asks: the tree is refused (trees() says why) or served whole.
// [!mayfail] until that is decided; it shows the failure in its output.
// A named tree has no durable mark of its own: its checkpoint ahead of its
// log is the sign (engine/recovery.cc), and the tree is refused.
TEST_CASE("trees damage: a named tree whose log lost its last records is refused, naming the loss, not served "
          "short", "[trees][corruption]") {
  TempDir dir;
  const config::Config cfg = damage_config(dir.path("store"));
  const std::map<std::string, TreeMark> marks = build(cfg);
  damage(cfg.storage.data_dir, "beta", Damage::kLogTail);
  std::unique_ptr<Runtime> rt = open_store(cfg);
  require_others_serve(*rt, "beta", marks);  // this part holds
  const TreeInfo beta = rt->trees()[2];
  REQUIRE(beta.name == "beta");
  std::shared_ptr<Runtime> b = rt->tree("beta");
  INFO(beta.status.to_string());
  REQUIRE_FALSE(b);
  REQUIRE(beta.status.kind() == tree::ErrorKind::kCorruption);
  REQUIRE(beta.status.message().find("are lost") != std::string::npos);
}

// One damaged catalog entry refuses the start of the whole store (by
// design: actors/runtime_open.cc reads the catalog before any tree starts),
// naming the tree: the other trees are not served meanwhile.
TEST_CASE("trees damage: a damaged catalog entry refuses the start, naming the tree", "[trees][corruption]") {
  TempDir dir;
  const config::Config cfg = damage_config(dir.path("store"));
  build(cfg);
  {
    std::unique_ptr<storage::Database> db = basis::testing::open_closed_store(cfg.storage.data_dir);
    std::string value;
    REQUIRE(db->get(storage::Family::kMetadata, "tree/gamma", &value).is_ok());
    value[6] ^= 0x01;  // the key length: the checksum no longer matches
    rocksdb::WriteOptions wo;
    wo.sync = true;
    REQUIRE(db->raw()->Put(wo, db->handle(storage::Family::kMetadata), "tree/gamma", value).ok());
  }
  std::unique_ptr<Runtime> rt;
  tree::Status s = Runtime::open(cfg, &rt);
  INFO(s.to_string());
  REQUIRE(s.kind() == tree::ErrorKind::kCorruption);
  REQUIRE(s.message().find("'gamma'") != std::string::npos);
}
