// Verifying a new version from the records just written: what a checkpoint
// relies on. Each written record must hash to its label along the path from
// the root (leaves with the path's keys), and every other node the version
// names must be stored.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>

#include "storage/coding.h"
#include "storage/node_ingest.h"
#include "storage/node_store.h"
#include "storage/seal_window.h"
#include "storage/tree_verify.h"
#include "tests/storage_test_util.h"
#include "tests/tree_test_util.h"
#include "basis/tree/tree_check.h"

using namespace basis::storage;
using namespace basis::tree;
using basis::storage::testing::TempDir;
using basis::tree::testing::OpGenerator;

namespace {

using Written = std::vector<std::pair<Label, std::string>>;

// The prover's nodes not stored yet, encoded as the node writer gets them.
Written unstored(BatchProver* prover) {
  Written out;
  REQUIRE(prover->visit_unstored_nodes([&](const Node& n) {
    out.emplace_back(n.label, encode(to_record(n, prover->pool())));
  }).is_ok());
  return out;
}

// Flips a bit of the first written leaf's value; returns its label in hex.
std::string damage_a_leaf(Written* written) {
  for (auto& [label, record] : *written) {
    NodeRecord rec;
    REQUIRE(decode(record, chars_of(ByteView(label)), &rec).is_ok());
    if (!rec.is_leaf || rec.value.empty()) continue;
    rec.value[0] ^= 1;
    record = encode(rec);
    return to_hex(label);
  }
  FAIL("no leaf with a value among the written records");
  return "";
}

// The root label of `digest`.
Label root_of(const Digest& digest) {
  Label root;
  std::copy(digest.begin(), digest.begin() + kLabelSize, root.begin());
  return root;
}

}  // namespace

TEST_CASE("a new version verifies from the records written for it", "[storage][verify]") {
  TempDir dir;
  TreeParams params{32, std::nullopt};
  std::unique_ptr<Database> db = basis::storage::testing::open_database(dir.path(), params);
  BatchProver prover(params);
  OpGenerator gen(params, 71, 3000);
  OpOutcome out;
  // A first version, stored whole.
  for (int i = 0; i < 3000; ++i) (void)prover.perform(gen.next().op(), &out);
  prover.end_batch();
  Written first = unstored(&prover);
  REQUIRE(verify_written_nodes(*db, prover.digest(), first).is_ok());  // in memory: not stored yet is fine
  REQUIRE(ingest_nodes(db.get(), &first).is_ok());
  // A second version: only its new nodes are written.
  for (int i = 0; i < 200; ++i) (void)prover.perform(gen.next().op(), &out);
  prover.end_batch();
  Written second = unstored(&prover);
  REQUIRE(second.size() < first.size());
  REQUIRE(verify_written_nodes(*db, prover.digest(), second).is_ok());

  SECTION("a written leaf with another value is refused, naming it") {
    std::string name = damage_a_leaf(&second);
    Status s = verify_written_nodes(*db, prover.digest(), second);
    REQUIRE(s.kind() == ErrorKind::kCorruption);
    REQUIRE(s.message().find("nodes record " + name + " hashes to") != std::string::npos);
  }
  SECTION("a node the version names that was never stored is refused") {
    // Drop a written record that is not the root: the version names it, nothing holds it.
    const Label root = root_of(prover.digest());
    auto victim = std::find_if(second.begin(), second.end(), [&](const auto& e) { return e.first != root; });
    REQUIRE(victim != second.end());
    std::string name = to_hex(victim->first);
    second.erase(victim);
    Status s = verify_written_nodes(*db, prover.digest(), second);
    REQUIRE(s.kind() == ErrorKind::kCorruption);
    REQUIRE(s.message().find("nodes record " + name + " is missing") != std::string::npos);
  }
  SECTION("a damaged search key is caught through the leaves below it") {
    const Label root = root_of(prover.digest());
    auto top = std::find_if(second.begin(), second.end(), [&](const auto& e) { return e.first == root; });
    REQUIRE(top != second.end());
    NodeRecord rec;
    REQUIRE(decode(top->second, chars_of(ByteView(root)), &rec).is_ok());
    REQUIRE_FALSE(rec.is_leaf);
    rec.key.back() ^= 1;  // the label does not cover it: only the leaves' bounds do
    top->second = encode(rec);
    // Every node of the version in memory, so that the leaves on both sides are read.
    Written all = first;
    for (auto& e : second) all.push_back(e);
    Status s = verify_written_nodes(*db, prover.digest(), all);
    REQUIRE(s.kind() == ErrorKind::kCorruption);
    REQUIRE(s.message().find("hashes to") != std::string::npos);
  }
}

TEST_CASE("a seal window checks from disk when it outgrew its limit or its last check failed",
          "[storage][verify]") {
  TempDir dir;
  TreeParams params{32, std::nullopt};
  std::unique_ptr<Database> db = basis::storage::testing::open_database(dir.path(), params);
  BatchProver prover(params);
  OpGenerator gen(params, 72, 3000);
  OpOutcome out;
  auto next_version = [&](int ops) {
    for (int i = 0; i < ops; ++i) (void)prover.perform(gen.next().op(), &out);
    prover.end_batch();
    return unstored(&prover);
  };
  auto tree_nodes = [&] {
    TreeShape shape;
    REQUIRE(check_tree(prover.pool(), prover.root(), prover.height(), &shape).is_ok());
    return shape.leaves + shape.internal_nodes;
  };
  bool wrote = false;
  uint64_t checked = 0;

  SECTION("in memory while small, from disk once it outgrows keep_bytes") {
    SealWindow small(db.get(), SealWindow::Limits{size_t{1} << 20, size_t{1} << 30});
    REQUIRE(small.add(next_version(2000), &wrote).is_ok());
    REQUIRE(small.flush().is_ok());
    REQUIRE(small.seal(prover.digest(), &checked).is_ok());
    REQUIRE(checked == tree_nodes());  // the first version: every node is new
    Written second = next_version(100);
    const uint64_t fresh = second.size();
    REQUIRE(small.add(std::move(second), &wrote).is_ok());
    REQUIRE(small.flush().is_ok());
    REQUIRE(small.seal(prover.digest(), &checked).is_ok());
    REQUIRE(checked == fresh);  // only the new nodes, from memory

    SealWindow tiny(db.get(), SealWindow::Limits{1, 1});  // keeps nothing
    REQUIRE(tiny.add(next_version(100), &wrote).is_ok());
    REQUIRE(wrote);
    REQUIRE(tiny.flush().is_ok());
    REQUIRE(tiny.seal(prover.digest(), &checked).is_ok());
    REQUIRE(checked == tree_nodes());  // the whole version, read back
  }
  SECTION("after a failed check the next seal reads the whole version back and finds the damage") {
    SealWindow window(db.get(), SealWindow::Limits{});
    REQUIRE(window.add(next_version(2000), &wrote).is_ok());
    REQUIRE(window.flush().is_ok());
    REQUIRE(window.seal(prover.digest(), &checked).is_ok());
    // A version whose new records include a leaf with a wrong value: stored, refused.
    Written bad = next_version(50);
    std::string name = damage_a_leaf(&bad);
    REQUIRE(window.add(std::move(bad), &wrote).is_ok());
    REQUIRE(window.flush().is_ok());
    Status s = window.seal(prover.digest(), &checked);
    REQUIRE(s.kind() == ErrorKind::kCorruption);
    // The next version keeps most of it; checked from memory it would pass
    // over the damaged leaf, read back whole it does not.
    Written later = next_version(1);
    REQUIRE(window.add(std::move(later), &wrote).is_ok());
    REQUIRE(window.flush().is_ok());
    s = window.seal(prover.digest(), &checked);
    REQUIRE(s.kind() == ErrorKind::kCorruption);
    REQUIRE(s.message().find("nodes record " + name) != std::string::npos);
  }
}
