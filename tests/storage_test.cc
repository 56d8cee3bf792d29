// The storage layer against real RocksDB directories: a tree far larger than
// the node cache, the operation log and its corruption checks, metadata,
// checkpoints and backups.
#include <catch2/catch.hpp>

#include <rocksdb/db.h>
#include <unistd.h>

#include <cstdio>

#include "bench/benchmark_data.h"
#include "storage/backup.h"
#include "storage/checkpoint_store.h"
#include "storage/coding.h"
#include "storage/node_store.h"
#include "storage/oplog.h"
#include "tests/storage_test_util.h"
#include "tests/tree_test_util.h"
#include "basis/tree/hash.h"

using namespace basis::storage;
using namespace basis::tree;
using basis::storage::testing::TempDir;
using basis::tree::testing::OpGenerator;
using basis::tree::testing::OwnedOp;

namespace {

DatabaseOptions options_for(const std::string& path, TreeParams params) {
  DatabaseOptions o;
  o.path = path;
  o.params = params;
  return o;
}

Bytes key_of(uint64_t i) {
  Label l = basis::bench::benchmark_key(i);
  return Bytes(l.begin(), l.end());
}

void store_nodes(BatchProver* prover, NodeStore* store) {
  REQUIRE(prover->visit_unstored_nodes([&](const Node& n) { store->add(n, prover->pool()); }).is_ok());
  REQUIRE(store->flush(false).is_ok());
}

}  // namespace

TEST_CASE("a tree far larger than the node cache matches the in-memory tree, also after reopening",
          "[storage][node-store]") {
  TempDir dir;
  const TreeParams params{32, std::nullopt};
  const uint64_t n = 200'000;
  BatchProver memory(params);
  Digest digest;
  Bytes proof_memory, proof_stored;
  OpOutcome out;
  {
    std::unique_ptr<Database> db;
    REQUIRE(Database::open(options_for(dir.path(), params), &db).is_ok());
    NodeStore store(db.get(), size_t{4} << 20);  // 4 MiB of records for ~400,000 nodes
    BatchProver stored(params, memory.digest(), &store);
    store.add(*memory.root(), memory.pool());  // the empty tree's sentinel leaf
    for (uint64_t i = 0; i < n;) {
      for (uint64_t end = std::min(n, i + 1000); i < end; ++i) {
        Bytes k = key_of(i), v = Bytes{uint8_t(i), uint8_t(i >> 8), uint8_t(i >> 16)};
        REQUIRE(memory.perform(Operation::insert(view(k), view(v)), &out).is_ok());
        REQUIRE(stored.perform(Operation::insert(view(k), view(v)), &out).is_ok());
      }
      memory.generate_proof(&proof_memory);
      stored.generate_proof(&proof_stored);
      REQUIRE(proof_memory == proof_stored);
      store_nodes(&stored, &store);
      size_t released;
      REQUIRE(stored.unload_below(8, &released).is_ok());  // keep only the top levels
    }
    REQUIRE(stored.digest() == memory.digest());
    REQUIRE(store.cache_bytes() <= (size_t{4} << 20));
    REQUIRE(stored.pool().live_nodes() < 2000);
    REQUIRE(store.flush(true).is_ok());
    digest = stored.digest();
  }
  // Reopen from disk with nothing but the digest, and go on.
  std::unique_ptr<Database> db;
  REQUIRE(Database::open(options_for(dir.path(), params), &db).is_ok());
  NodeStore store(db.get(), size_t{2} << 20);
  BatchProver reopened(params, digest, &store);
  OpGenerator gen(params, 31, 1000);
  for (int batch = 0; batch < 40; ++batch) {
    for (int i = 0; i < 50; ++i) {
      OwnedOp op = gen.next();
      if (i % 2 == 0) op = OwnedOp{OpType::kUpdate, key_of(gen.rng()() % n), Bytes{7}, 0};
      OpOutcome a, b;
      Status sa = memory.perform(op.op(), &a);
      Status sb = reopened.perform(op.op(), &b);
      REQUIRE(sa.kind() == sb.kind());
      REQUIRE(a.old_value == b.old_value);
    }
    memory.generate_proof(&proof_memory);
    reopened.generate_proof(&proof_stored);
    store_nodes(&reopened, &store);
    REQUIRE(proof_memory == proof_stored);
    REQUIRE(memory.digest() == reopened.digest());
  }
}

// Resident memory now (Linux), in bytes.
static uint64_t resident_bytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

TEST_CASE("an empty node store takes little memory whatever its cache bound (one per tree of a store)",
          "[storage][nodes]") {
  TempDir dir;
  std::unique_ptr<Database> db;
  REQUIRE(Database::open(options_for(dir.path(), TreeParams{32, 8}), &db).is_ok());
  // The default bound of a tree's record cache is 256 MiB (node_cache_size / 4).
  // Presizing its index for all of it zeroed 8 MiB per store: 8 GiB for a store of 1,000 trees.
  const uint64_t before = resident_bytes();
  std::vector<std::unique_ptr<NodeStore>> stores;
  for (int i = 0; i < 32; ++i) stores.push_back(std::make_unique<NodeStore>(db.get(), size_t{256} << 20));
  const uint64_t grown = resident_bytes() - before;
  INFO("32 empty node stores took " << grown << " bytes");
  CHECK(grown < (uint64_t{32} << 20));
  // It still grows with what it holds: a cache of 256 MiB serves a tree far larger than the presized part.
  BatchProver prover(TreeParams{32, 8});
  OpOutcome out;
  for (uint64_t i = 0; i < 20'000; ++i) {
    Bytes v(8, static_cast<uint8_t>(i));
    REQUIRE(prover.perform({OpType::kInsert, view(key_of(i)), view(v), 0}, &out).is_ok());
  }
  Bytes proof;
  prover.generate_proof(&proof);
  store_nodes(&prover, stores.front().get());
  CHECK(stores.front()->cache_bytes() > size_t{4096} * 256);
}

TEST_CASE("a directory refuses other tree parameters and newer formats", "[storage][metadata]") {
  TempDir dir;
  {
    std::unique_ptr<Database> db;
    REQUIRE(Database::open(options_for(dir.path(), TreeParams{32, 8}), &db).is_ok());
  }
  std::unique_ptr<Database> db;
  Status s = Database::open(options_for(dir.path(), TreeParams{32, std::nullopt}), &db);
  REQUIRE(s.kind() == ErrorKind::kInvalidArgument);
  REQUIRE(s.message().find("value length 8") != std::string::npos);
  REQUIRE(s.message().find("value length variable") != std::string::npos);
  {
    // Pretend a newer build wrote the directory.
    REQUIRE(Database::open(options_for(dir.path(), TreeParams{32, 8}), &db).is_ok());
    rocksdb::WriteBatch b;
    b.Put(db->handle(Family::kMetadata), kMetadataKey,
          encode(MetadataRecord{kFormatVersion + 1, TreeParams{32, 8}}));
    REQUIRE(db->write(&b, true).is_ok());
    db.reset();
  }
  s = Database::open(options_for(dir.path(), TreeParams{32, 8}), &db);
  REQUIRE(s.kind() == ErrorKind::kInvalidArgument);
  REQUIRE(s.message().find("newer than this build") != std::string::npos);
}

namespace {

// Applies `count` random operations, returning their oplog records and notes.
void make_records(BatchProver* prover, OpGenerator* gen, uint64_t* sequence, size_t count,
                  std::vector<OperationRecord>* records, std::vector<NoteUpdate>* notes) {
  OpOutcome out;
  for (size_t i = 0; i < count; ++i) {
    OwnedOp op = gen->next();
    if (op.type == OpType::kLookup) continue;
    Digest before = prover->digest();
    if (!prover->perform(op.op(), &out).is_ok()) continue;
    Digest after = prover->digest();
    if (after == before && op.type != OpType::kUpdate) continue;
    OperationRecord r;
    r.sequence = ++*sequence;
    r.type = op.type;
    r.key = op.key;
    r.value = op.value;
    r.delta = op.delta;
    r.had_previous = out.existed;
    r.previous = out.old_value;
    r.digest_before = before;
    r.digest_after = after;
    records->push_back(r);
    OpOutcome now;
    REQUIRE(prover->get(view(op.key), &now).is_ok());
    NoteUpdate note{op.key, std::nullopt};
    if (now.existed) note.note = NoteRecord{now.old_value, r.sequence};
    notes->push_back(note);
  }
}

}  // namespace

TEST_CASE("a scan crosses a rebase: the records after it chain from the accepted digest", "[storage][oplog]") {
  TempDir dir;
  TreeParams params{32, std::nullopt};
  std::unique_ptr<Database> db;
  REQUIRE(Database::open(options_for(dir.path(), params), &db).is_ok());
  std::unique_ptr<Oplog> log;
  REQUIRE(Oplog::open(db.get(), &log).is_ok());
  BatchProver logged(params);
  OpGenerator gen(params, 7, 200);
  uint64_t seq = 0;
  std::vector<OperationRecord> before;
  std::vector<NoteUpdate> notes;
  make_records(&logged, &gen, &seq, 40, &before, &notes);
  REQUIRE(log->append(before, notes, true).is_ok());
  // Another tree (as a rebuild from notes gives one), accepted by the operator.
  BatchProver rebuilt(params);
  OpGenerator other(params, 8, 200);
  uint64_t unused = 0;
  std::vector<OperationRecord> ignored;
  std::vector<NoteUpdate> ignored_notes;
  make_records(&rebuilt, &other, &unused, 30, &ignored, &ignored_notes);
  rebuilt.end_batch();
  const Digest accepted = rebuilt.digest();
  REQUIRE(accepted != logged.digest());
  const uint64_t base = seq;
  REQUIRE(log->rebase(base, accepted).is_ok());
  std::vector<OperationRecord> after;
  notes.clear();
  make_records(&rebuilt, &other, &seq, 30, &after, &notes);
  REQUIRE(!after.empty());
  REQUIRE(log->append(after, notes, true).is_ok());
  for (int reopen = 0; reopen < 2; ++reopen) {
    uint64_t seen = 0;
    REQUIRE(log->scan(1, UINT64_MAX, [&](const OperationRecord& r) {
      REQUIRE(r.sequence == ++seen);
      if (r.sequence == base + 1) REQUIRE(r.digest_before == accepted);
      return true;
    }).is_ok());
    REQUIRE(seen == seq);
    // A scan that starts right after the base hands out the accepted digest too.
    REQUIRE(log->scan(base + 1, base + 1, [&](const OperationRecord& r) {
      REQUIRE(r.digest_before == accepted);
      return true;
    }).is_ok());
    log.reset();
    REQUIRE(Oplog::open(db.get(), &log).is_ok());
  }
}

TEST_CASE("the operation log keeps records in order and names a corrupt one",
          "[storage][oplog]") {
  TempDir dir;
  TreeParams params{32, std::nullopt};
  std::unique_ptr<Database> db;
  REQUIRE(Database::open(options_for(dir.path(), params), &db).is_ok());
  std::unique_ptr<Oplog> log;
  REQUIRE(Oplog::open(db.get(), &log).is_ok());
  REQUIRE(log->last_sequence() == 0);

  BatchProver prover(params);
  OpGenerator gen(params, 41, 200);
  uint64_t seq = 0;
  std::vector<OperationRecord> all;
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<OperationRecord> records;
    std::vector<NoteUpdate> notes;
    make_records(&prover, &gen, &seq, 30, &records, &notes);
    REQUIRE(log->append(records, notes, batch % 2 == 0).is_ok());
    all.insert(all.end(), records.begin(), records.end());
    prover.end_batch();
  }
  REQUIRE(log->last_sequence() == all.size());

  // A record that does not continue the log is refused, and nothing is written.
  std::vector<OperationRecord> bad{all.back()};
  bad[0].sequence = seq + 2;
  REQUIRE(log->append(bad, {}, true).kind() == ErrorKind::kInvalidArgument);
  bad[0].sequence = seq + 1;
  REQUIRE(log->append(bad, {}, true).kind() == ErrorKind::kInvalidArgument);  // digest chain

  // Reopening finds the same end; scanning finds every record in order.
  log.reset();
  REQUIRE(Oplog::open(db.get(), &log).is_ok());
  REQUIRE(log->last_sequence() == all.size());
  REQUIRE(*log->last_digest() == prover.digest());
  size_t seen = 0;
  REQUIRE(log->scan(1, UINT64_MAX, [&](const OperationRecord& r) {
    REQUIRE(r.sequence == all[seen].sequence);
    REQUIRE(r.digest_before == all[seen].digest_before);
    REQUIRE(r.digest_after == all[seen].digest_after);
    ++seen;
    return true;
  }).is_ok());
  REQUIRE(seen == all.size());
  // Only the first record of each write stores its digest before; a scan
  // that starts after it still hands every record out whole.
  REQUIRE(log->scan(17, 17, [&](const OperationRecord& r) {
    REQUIRE(r.digest_before == all[16].digest_before);
    return true;
  }).is_ok());

  // Replaying the log from the empty tree reproduces every digest.
  BatchProver replay(params);
  OpOutcome out;
  REQUIRE(log->scan(1, UINT64_MAX, [&](const OperationRecord& r) {
    REQUIRE(replay.digest() == r.digest_before);
    REQUIRE(replay.perform(r.operation(), &out).is_ok());
    REQUIRE(replay.digest() == r.digest_after);
    return true;
  }).is_ok());

  // One damaged record on disk: the scan stops with an error naming it.
  std::string key = sequence_key(7), value, intact;
  REQUIRE(db->get(Family::kOperations, key, &value).is_ok());
  intact = value;
  value[value.size() / 2] ^= 0x20;
  REQUIRE(db->raw()->Put(rocksdb::WriteOptions(), db->handle(Family::kOperations), key, value).ok());
  Status s = log->scan(1, UINT64_MAX, [](const OperationRecord&) { return true; });
  REQUIRE(s.kind() == ErrorKind::kCorruption);
  REQUIRE(s.message().find("operations record 7") != std::string::npos);

  // A missing record is a gap.
  REQUIRE(db->raw()->Delete(rocksdb::WriteOptions(), db->handle(Family::kOperations), key).ok());
  s = log->scan(1, UINT64_MAX, [](const OperationRecord&) { return true; });
  REQUIRE(s.kind() == ErrorKind::kCorruption);
  REQUIRE(s.message().find("expected record 7, found 8") != std::string::npos);
  // Record 8 leaves its digest before to record 7, which is gone.
  s = log->scan(8, UINT64_MAX, [](const OperationRecord&) { return true; });
  REQUIRE(s.kind() == ErrorKind::kCorruption);
  REQUIRE(s.message().find("operations record 8 leaves its digest before to record 7") != std::string::npos);
  REQUIRE(db->raw()->Put(rocksdb::WriteOptions(), db->handle(Family::kOperations), key, intact).ok());

  // Removal of a prefix: the new first record then stores its digest before.
  REQUIRE(log->remove_through(7).is_ok());
  REQUIRE(log->first_sequence() == 8);
  seen = 0;
  REQUIRE(log->scan(8, UINT64_MAX, [&](const OperationRecord& r) {
    REQUIRE(r.digest_before == all[7 + seen].digest_before);
    return ++seen, true;
  }).is_ok());
  REQUIRE(seen == all.size() - 7);
}

TEST_CASE("checkpoints are verified when created, listed newest first and removable",
          "[storage][checkpoints]") {
  TempDir dir;
  TreeParams params{32, 8};
  std::unique_ptr<Database> db;
  REQUIRE(Database::open(options_for(dir.path(), params), &db).is_ok());
  NodeStore store(db.get(), 1 << 20);
  BatchProver prover(params);
  OpGenerator gen(params, 51, 5000);
  OpOutcome out;
  CheckpointStore checkpoints(db.get());
  for (uint64_t id = 1; id <= 3; ++id) {
    for (int i = 0; i < 2000; ++i) (void)prover.perform(gen.next().op(), &out);
    prover.end_batch();
    store_nodes(&prover, &store);
    REQUIRE(store.flush(true).is_ok());
    CheckpointRecord cp{id, 1000 * id, prover.digest(), 2000 * id, 0, ""};
    REQUIRE(checkpoints.create(&cp, 2).is_ok());
    TreeShape shape;
    REQUIRE(check_tree(prover.pool(), prover.root(), prover.height(), &shape).is_ok());
    REQUIRE(cp.node_count == shape.leaves + shape.internal_nodes);
  }
  std::vector<CheckpointRecord> list;
  REQUIRE(checkpoints.list(&list).is_ok());
  REQUIRE(list.size() == 3);
  REQUIRE(list[0].id == 3);
  REQUIRE(list[2].id == 1);
  REQUIRE(checkpoints.remove(2).is_ok());
  REQUIRE(checkpoints.list(&list).is_ok());
  REQUIRE(list.size() == 2);
  CheckpointRecord missing;
  REQUIRE(checkpoints.read(2, &missing).kind() == ErrorKind::kNotFound);

  // A damaged node makes verification fail and names the node.
  Label root;
  std::copy(list[0].digest.begin(), list[0].digest.begin() + 32, root.begin());
  std::string key(reinterpret_cast<const char*>(root.data()), 32), value;
  REQUIRE(db->get(Family::kNodes, key, &value).is_ok());
  NodeRecord rec;
  REQUIRE(decode(value, key, &rec).is_ok());
  rec.balance = static_cast<int8_t>(rec.balance == 0 ? 1 : 0);  // well-formed, wrong label
  REQUIRE(db->raw()->Put(rocksdb::WriteOptions(), db->handle(Family::kNodes), key, encode(rec)).ok());
  CheckpointRecord cp{9, 0, list[0].digest, 0, 0, ""};
  Status s = checkpoints.create(&cp, 2);
  REQUIRE(s.kind() == ErrorKind::kCorruption);
  REQUIRE(s.message().find("nodes record " + to_hex(root)) != std::string::npos);
}

TEST_CASE("a backup restores exactly the backed-up state", "[storage][backup]") {
  TempDir dir;
  TreeParams params{32, std::nullopt};
  BatchProver prover(params);
  OpGenerator gen(params, 61, 300);
  uint64_t seq = 0;
  uint64_t backed_up_sequence = 0;
  Digest backed_up_digest{};
  {
    std::unique_ptr<Database> db;
    REQUIRE(Database::open(options_for(dir.path(), params), &db).is_ok());
    std::unique_ptr<Oplog> log;
    REQUIRE(Oplog::open(db.get(), &log).is_ok());
    auto write_some = [&] {
      std::vector<OperationRecord> records;
      std::vector<NoteUpdate> notes;
      make_records(&prover, &gen, &seq, 100, &records, &notes);
      REQUIRE(log->append(records, notes, true).is_ok());
    };
    write_some();
    REQUIRE(create_backup(db.get(), dir.path("backups")).is_ok());
    backed_up_sequence = log->last_sequence();
    backed_up_digest = *log->last_digest();
    write_some();
    REQUIRE(create_backup(db.get(), dir.path("other-backups")).is_ok());
    write_some();
    REQUIRE(log->last_sequence() > backed_up_sequence);
  }
  REQUIRE(verify_latest_backup(dir.path("backups")).is_ok());
  REQUIRE(restore_latest_backup(dir.path("backups"), dir.path()).is_ok());
  std::unique_ptr<Database> db;
  REQUIRE(Database::open(options_for(dir.path(), params), &db).is_ok());
  std::unique_ptr<Oplog> log;
  REQUIRE(Oplog::open(db.get(), &log).is_ok());
  REQUIRE(log->last_sequence() == backed_up_sequence);
  REQUIRE(*log->last_digest() == backed_up_digest);
  REQUIRE(verify_latest_backup(dir.path("no-such-backups")).kind() == ErrorKind::kNotFound);
}
