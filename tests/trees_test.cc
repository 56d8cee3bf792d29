// Named trees in one store (basis/trees.h): the reference's digests and
// proofs for trees of different key and value lengths, alone and in
// transactions; the transaction rule; creating and dropping trees; a
// restart that brings every tree back.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "basis/runtime.h"
#include "basis/tree/batch_verifier.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"

using namespace basis;
using nlohmann::json;

namespace {

// One batch of a reference vector file: its operations and the reference's answers.
struct VectorBatch {
  std::vector<OwnedOperation> ops;
  std::vector<std::string> errors;  // "" for an operation that succeeded
  std::vector<std::string> old;     // the value before, hex, or "null"
  std::string proof_hex, end_digest_hex;
};
struct VectorFile {
  uint32_t key_length = 0;
  std::optional<uint32_t> value_length;
  std::vector<VectorBatch> batches;
};

tree::Bytes hex(const json& j) {
  tree::Bytes out;
  REQUIRE(tree::from_hex(j.get<std::string>(), &out));
  return out;
}

VectorFile load_vectors(const std::string& name) {
  std::ifstream in(std::string(BASIS_REFERENCE_VECTORS) + "/" + name);
  REQUIRE(in.good());
  json doc = json::parse(in);
  VectorFile f;
  f.key_length = doc["keyLength"].get<uint32_t>();
  if (!doc["valueLength"].is_null()) f.value_length = doc["valueLength"].get<uint32_t>();
  for (const json& b : doc["batches"]) {
    VectorBatch vb;
    for (const json& o : b["ops"]) {
      OwnedOperation op;
      auto type = tree::parse_op_type(o["type"].get<std::string>());
      REQUIRE(type);
      op.type = *type;
      op.key = hex(o["key"]);
      if (o.contains("value") && !o["value"].is_null()) op.value = hex(o["value"]);
      if (o.contains("delta")) op.delta = std::stoll(o["delta"].is_string() ? o["delta"].get<std::string>() : o["delta"].dump());
      vb.ops.push_back(std::move(op));
    }
    for (const json& r : b["results"]) {
      vb.errors.push_back(r["ok"].get<bool>() ? "" : r.value("errorKind", std::string("?")));
      vb.old.push_back(r.contains("old") && !r["old"].is_null() ? r["old"].get<std::string>() : "null");
    }
    vb.proof_hex = b["proof"].get<std::string>();
    vb.end_digest_hex = b["endDigest"].get<std::string>();
    f.batches.push_back(std::move(vb));
  }
  return f;
}

// The reference's answer for one batch, against ours.
void check_batch(const BatchResult& r, const VectorBatch& expected, const std::string& where) {
  INFO(where);
  REQUIRE(r.status.is_ok());
  REQUIRE(r.statuses.size() == expected.errors.size());
  for (size_t i = 0; i < expected.errors.size(); ++i) {
    INFO("operation " << i);
    const std::string ours = r.statuses[i].is_ok() ? "" : std::string(tree::error_kind_name(r.statuses[i].kind()));
    CHECK(ours == expected.errors[i]);
    if (expected.errors[i].empty()) {
      const tree::OpOutcome& o = r.outcomes[i];
      CHECK((o.existed ? tree::to_hex(o.old_value) : std::string("null")) == expected.old[i]);
    }
  }
  CHECK(tree::to_hex(r.proof) == expected.proof_hex);
  CHECK(tree::to_hex(r.digest) == expected.end_digest_hex);
}

config::Config store_config(const std::string& dir) {
  config::Config c;
  c.storage.data_dir = dir;
  c.storage.min_free_space = 0;
  c.persistence.health_check_interval = std::chrono::milliseconds(0);
  return c;
}

config::Config::Tree tree_params(const std::string& name, const VectorFile& f) {
  config::Config::Tree t;
  t.name = name;
  t.key_length = f.key_length;
  t.value_length = f.value_length;
  return t;
}

}  // namespace

TEST_CASE("trees of different key and value lengths in one store give the reference's proofs and digests, "
          "alone and in transactions, and come back after a restart", "[trees]") {
  basis::storage::testing::TempDir dir;
  const VectorFile fixed8 = load_vectors("extended_ops_fixed8.json");  // 32-byte keys, 8-byte values
  const VectorFile keylen1 = load_vectors("keylen1_var.json");         // 1-byte keys, any values
  const VectorFile multi = load_vectors("multibatch_var.json");        // 32-byte keys, any values, 22 batches
  const VectorFile deflt = load_vectors("random1000_fixed32.json");    // the default tree: 32 and 32
  config::Config cfg = store_config(dir.path("store"));
  cfg.tree.key_length = deflt.key_length;
  cfg.tree.value_length = deflt.value_length;
  cfg.trees = {tree_params("fixed8", fixed8), tree_params("keylen1", keylen1)};
  std::map<std::string, std::string> last_digest;
  {
    std::unique_ptr<Runtime> rt;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    REQUIRE(rt->create_tree(tree_params("multi", multi)).is_ok());  // through the API
    std::vector<TreeInfo> trees = rt->trees();
    REQUIRE(trees.size() == 4);
    CHECK(trees[0].name == "default");
    CHECK(trees[1].name == "fixed8");
    CHECK(trees[1].value_length == std::optional<uint32_t>(8));
    CHECK(trees[2].name == "keylen1");
    CHECK(trees[2].key_length == 1);
    CHECK(trees[3].name == "multi");
    // The default tree alone, as before.
    for (size_t b = 0; b < deflt.batches.size(); ++b) {
      check_batch(rt->apply_and_wait(deflt.batches[b].ops), deflt.batches[b], "default batch " + std::to_string(b));
    }
    // The first batch of "multi" alone, on its own runtime; the rest in
    // transactions with the others' batches.
    std::shared_ptr<Runtime> m = rt->tree("multi");
    REQUIRE(m);
    check_batch(m->apply_and_wait(multi.batches[0].ops), multi.batches[0], "multi batch 0");
    const std::vector<std::pair<std::string, const VectorFile*>> files = {
        {"fixed8", &fixed8}, {"keylen1", &keylen1}, {"multi", &multi}};
    for (size_t b = 0; b + 1 < multi.batches.size(); ++b) {
      std::vector<TransactionPart> parts;
      std::vector<const VectorBatch*> expected;
      for (const auto& [name, f] : files) {
        const size_t index = name == "multi" ? b + 1 : b;
        if (index >= f->batches.size()) continue;
        parts.push_back(TransactionPart{name, f->batches[index].ops});
        expected.push_back(&f->batches[index]);
      }
      TransactionResult t = rt->transact(parts);
      REQUIRE(t.status.is_ok());
      REQUIRE(t.parts.size() == parts.size());
      for (size_t p = 0; p < parts.size(); ++p) {
        check_batch(t.parts[p], *expected[p], "transaction " + std::to_string(b) + ", tree " + parts[p].tree);
      }
    }
    for (const auto& [name, f] : files) {
      CHECK(tree::to_hex(rt->tree(name)->digest()) == f->batches.back().end_digest_hex);
      last_digest[name] = f->batches.back().end_digest_hex;
    }
    last_digest["default"] = deflt.batches.back().end_digest_hex;
    REQUIRE(rt->shutdown().is_ok());
  }
  std::unique_ptr<Runtime> rt;
  config::Config again = cfg;
  again.trees.clear();  // the store remembers its trees
  REQUIRE(Runtime::open(again, &rt).is_ok());
  REQUIRE(rt->trees().size() == 4);
  for (const auto& [name, digest] : last_digest) {
    INFO(name);
    std::shared_ptr<Runtime> t = rt->tree(name);
    REQUIRE(t);
    CHECK(tree::to_hex(t->digest()) == digest);
  }
  // A lookup's proof on a named tree verifies against its digest.
  std::shared_ptr<Runtime> k = rt->tree("keylen1");
  const OwnedOperation& inserted = keylen1.batches[0].ops[0];
  LookupResult found = k->lookup(inserted.key, true);
  REQUIRE(found.status.is_ok());
  tree::BatchVerifier verifier(tree::TreeParams{1, std::nullopt}, found.digest, tree::view(found.proof));
  tree::OpOutcome out;
  REQUIRE(verifier.perform(tree::Operation::lookup(tree::view(inserted.key)), &out).is_ok());
}

namespace {

struct TreeMark {
  tree::Digest digest{};
  uint64_t last_sequence = 0;
  bool operator==(const TreeMark&) const = default;
};

TreeMark mark_of(Runtime& rt, const std::string& name) {
  Runtime::TreeState s = rt.tree(name)->state();
  return TreeMark{s.digest, s.last_sequence};
}

std::vector<OwnedOperation> inserts_of(uint64_t first, uint64_t count, uint32_t key_length, size_t value_length) {
  std::vector<OwnedOperation> ops;
  for (uint64_t i = first; i < first + count; ++i) {
    tree::Bytes key = testing::key_of(i);
    key.resize(key_length);
    tree::Bytes value = testing::value_of(i);
    value.resize(value_length);
    ops.push_back({tree::OpType::kInsert, key, value, 0});
  }
  return ops;
}

}  // namespace

TEST_CASE("in a transaction over three trees a failing operation fails alone, while a refused part leaves every "
          "tree unchanged", "[trees]") {
  basis::storage::testing::TempDir dir;
  config::Config cfg = store_config(dir.path("store"));
  cfg.persistence.operation_batch_size = 20;
  config::Config::Tree reserve{32, 16, "reserve", 0}, tracker{32, 8, "tracker", 0}, other{64, std::nullopt, "other", 0};
  cfg.trees = {reserve, tracker, other};
  std::unique_ptr<Runtime> rt;
  REQUIRE(Runtime::open(cfg, &rt).is_ok());
  const std::vector<std::string> names = {"reserve", "tracker", "other"};
  auto marks = [&] {
    std::vector<TreeMark> m;
    for (const auto& n : names) m.push_back(mark_of(*rt, n));
    return m;
  };
  auto parts_of = [&](uint64_t first, uint64_t count) {
    return std::vector<TransactionPart>{{"reserve", inserts_of(first, count, 32, 16)},
                                        {"tracker", inserts_of(first, count, 32, 8)},
                                        {"other", inserts_of(first, count, 64, 5)}};
  };
  REQUIRE(rt->transact(parts_of(0, 10)).status.is_ok());
  const std::vector<TreeMark> before = marks();

  SECTION("an operation that fails (a missing key, a wrong value length) fails alone; its part goes on") {
    std::vector<TransactionPart> parts = parts_of(100, 5);
    parts[1].operations.push_back({tree::OpType::kRemove, testing::key_of(999), {}, 0});               // not there
    parts[0].operations.push_back({tree::OpType::kInsert, testing::key_of(1000), tree::Bytes(3, 1), 0});  // 3 != 16
    TransactionResult t = rt->transact(parts);
    REQUIRE(t.status.is_ok());
    REQUIRE(t.parts.size() == 3);
    CHECK(t.parts[1].statuses.back().kind() == tree::ErrorKind::kKeyNotFound);
    CHECK(t.parts[0].statuses.back().kind() == tree::ErrorKind::kValueLengthMismatch);
    std::vector<TreeMark> after = marks();
    for (size_t i = 0; i < 3; ++i) {
      INFO(names[i]);
      CHECK(after[i].last_sequence == before[i].last_sequence + 5);  // the five inserts, not the failure
      CHECK(t.parts[i].first_sequence == before[i].last_sequence + 1);
      CHECK(t.parts[i].start_digest == before[i].digest);
      CHECK(t.parts[i].digest == after[i].digest);
      // The part's proof verifies from the digest before to the digest after.
      tree::BatchVerifier v(rt->tree(names[i])->trees()[0].key_length == 64 ? tree::TreeParams{64, std::nullopt}
                                                                             : tree::TreeParams{32, i == 0 ? std::optional<uint32_t>(16) : std::optional<uint32_t>(8)},
                            before[i].digest, tree::view(t.parts[i].proof));
      for (size_t o = 0; o < parts[i].operations.size(); ++o) {
        if (!t.parts[i].statuses[o].is_ok()) continue;
        tree::OpOutcome out;
        REQUIRE(v.perform(parts[i].operations[o].view(), &out).is_ok());
      }
      CHECK(v.digest() == after[i].digest);
    }
  }
  SECTION("a part over operation_batch_size refuses the transaction: no tree changes") {
    std::vector<TransactionPart> parts = parts_of(200, 5);
    parts[2].operations = inserts_of(300, 21, 64, 5);
    TransactionResult t = rt->transact(parts);
    CHECK(t.status.kind() == tree::ErrorKind::kLimitExceeded);
    CHECK(t.refused_part == std::optional<size_t>(2));
    CHECK(t.parts.empty());
    CHECK(marks() == before);
  }
  SECTION("a part whose answer would exceed max_answer_bytes refuses the transaction: no tree changes") {
    rt.reset();
    cfg.persistence.max_answer_bytes = 4096;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    std::vector<TransactionPart> parts = parts_of(200, 3);
    parts[0].operations = inserts_of(400, 20, 32, 16);  // twenty proofs of inserts: more than 4 KB
    TransactionResult t = rt->transact(parts);
    CHECK(t.status.kind() == tree::ErrorKind::kLimitExceeded);
    CHECK(t.refused_part == std::optional<size_t>(0));
    CHECK(marks() == before);
  }
  SECTION("parts whose answers fit one by one but not together refuse the transaction, and no tree changes") {
    // The whole answer is held at once: max_answer_bytes bounds the sum.
    rt.reset();
    cfg.persistence.max_answer_bytes = 4096;
    REQUIRE(Runtime::open(cfg, &rt).is_ok());
    for (size_t i = 0; i < names.size(); ++i) {  // each part alone fits
      TransactionResult alone = rt->transact({parts_of(300, 4)[i]});
      INFO(names[i] << ": " << alone.status.to_string());
      REQUIRE(alone.status.is_ok());
    }
    const std::vector<TreeMark> fitted = marks();
    TransactionResult t = rt->transact(parts_of(400, 4));
    INFO(t.status.to_string());
    CHECK(t.status.kind() == tree::ErrorKind::kLimitExceeded);
    CHECK(t.status.message().find("the transaction's answer") != std::string::npos);
    CHECK(t.refused_part.has_value());
    CHECK(t.parts.empty());
    CHECK(marks() == fitted);
  }
  SECTION("a stopped tree refuses the transaction: no other tree changes") {
    rt->tree("other")->shutdown();
    TransactionResult t = rt->transact(parts_of(200, 5));
    CHECK(!t.status.is_ok());
    CHECK(t.refused_part == std::optional<size_t>(2));
    CHECK(mark_of(*rt, "reserve") == before[0]);
    CHECK(mark_of(*rt, "tracker") == before[1]);
  }
  SECTION("an unknown tree, a tree named twice, or no part at all is refused before anything") {
    std::vector<TransactionPart> parts = parts_of(200, 5);
    parts[1].tree = "nosuch";
    CHECK(rt->transact(parts).status.kind() == tree::ErrorKind::kNotFound);
    parts[1].tree = "reserve";
    CHECK(rt->transact(parts).status.kind() == tree::ErrorKind::kInvalidArgument);
    CHECK(rt->transact({}).status.kind() == tree::ErrorKind::kInvalidArgument);
    CHECK(marks() == before);
  }
  SECTION("the default tree takes part like any other") {
    std::vector<TransactionPart> parts = parts_of(500, 2);
    parts.push_back({"default", testing::inserts(500, 2)});
    const uint64_t default_before = rt->last_sequence();
    TransactionResult t = rt->transact(parts);
    REQUIRE(t.status.is_ok());
    CHECK(rt->last_sequence() == default_before + 2);
    CHECK(t.parts[3].digest == rt->digest());
  }
}
