// The store-wide memory budget (storage/memory_budget.h): node caches of
// several trees charge one budget, and each gives back its own while the
// store is over it.
#include <catch2/catch.hpp>

#include "basis/tree/batch_prover.h"
#include "storage/keyspace.h"
#include "storage/node_store.h"
#include "tests/runtime_test_util.h"
#include "tests/storage_test_util.h"

using namespace basis;

namespace {

// A tree of `keys` keys written through `store`, returning its digest.
tree::Digest build(storage::NodeStore* store, uint64_t keys) {
  tree::BatchProver prover(tree::TreeParams{32, std::nullopt}, store);
  for (uint64_t i = 0; i < keys; ++i) {
    tree::OpOutcome out;
    tree::Bytes k = testing::key_of(i), v = testing::value_of(i);
    REQUIRE(prover.perform(tree::Operation{tree::OpType::kInsert, tree::view(k), tree::view(v), 0}, &out).is_ok());
  }
  tree::Bytes proof;
  prover.generate_proof(&proof);
  (void)prover.visit_unstored_nodes([&](const tree::Node& n) { store->add(n, prover.pool()); });
  REQUIRE(store->flush(true).is_ok());
  return prover.digest();
}

}  // namespace

TEST_CASE("node caches of several trees stay within the store's one budget, and give it back", "[storage][memory]") {
  storage::testing::TempDir dir;
  storage::DatabaseOptions o;
  o.path = dir.path();
  o.params = tree::TreeParams{32, std::nullopt};
  constexpr uint64_t kBudget = 256 << 10;
  o.memory_budget = kBudget;
  std::unique_ptr<storage::Database> db;
  REQUIRE(storage::Database::open(o, &db).is_ok());
  storage::MemoryBudget& budget = db->memory_budget();
  REQUIRE(budget.limit() == kBudget);
  {
    // Each cache alone may hold 1 MB; together they are bound to 256 KB.
    std::vector<std::unique_ptr<storage::NodeStore>> stores;
    for (uint32_t t = 1; t <= 3; ++t) {
      stores.push_back(std::make_unique<storage::NodeStore>(db.get(), 1 << 20, storage::Keyspace::for_tree(t, 32)));
      build(stores.back().get(), 2000);  // every node passes through its cache
      INFO("after tree " << t << ": " << budget.used());
      REQUIRE(budget.used() <= kBudget + 4096);  // at most one entry over, while it is put
    }
    uint64_t held = 0;
    for (const auto& s : stores) held += s->cache_bytes();
    CHECK(held == budget.used());
    CHECK(stores.back()->cache_bytes() > 0);
  }
  CHECK(budget.used() == 0);  // every store gave back what it held
}
