// One RocksDB database per data directory, with the column families nodes,
// operations, checkpoints, metadata and notes. Opening checks that the
// directory was written with this format and these tree parameters.
#pragma once

#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "storage/memory_budget.h"
#include "storage/records.h"
#include "basis/tree/params.h"
#include "basis/tree/status.h"

namespace rocksdb {
class DB;
class Env;
class ColumnFamilyHandle;
class WriteBatch;
class Status;
}  // namespace rocksdb

namespace basis::storage {

class DurableMark;

struct DatabaseOptions {
  std::string path;
  tree::TreeParams params;
  bool node_compression = false;  // labels and keys are random bytes
  // Nodes written at once below this go through a synced write batch, not
  // an ingested table file (see ingest_nodes). persistence.node_ingest_min_size.
  uint64_t ingest_min_bytes = uint64_t{1} << 20;
  bool create_if_missing = true;
  // Not owned; null: RocksDB's default. Every file of the database (and the
  // node tables it ingests) goes through it, so tests can inject I/O faults.
  // Must outlive the Database.
  rocksdb::Env* env = nullptr;
  // A probe: RocksDB opened read-only, nothing written (not even its LOG),
  // the tree parameters not checked. For looking before a real open.
  bool read_only = false;
  // How a write-ahead log damaged in its middle is met: refused (the
  // default), or read up to the damage (after an operator accepted the loss).
  bool salvage_log = false;
  // The operator accepted that the log recovers below the durable-sequence
  // mark (basis-tree accept-loss): the open goes on and moves the mark back.
  bool accept_lost_log_tail = false;
  // Free space RocksDB keeps in reserve: a compaction that would leave less
  // does not start (0: none). storage.min_free_space.
  uint64_t compaction_reserve = 0;
  // The store-wide budget of the trees in memory and the node caches
  // (persistence.node_cache_size; 0: none). See memory_budget().
  uint64_t memory_budget = 0;
};

// What the open found of the log against the durable-sequence mark.
struct MarkCheck {
  bool had_mark = false;       // false: a store from before marks, or a new one
  uint64_t mark = 0;           // the sequence the mark recorded
  uint64_t recovered = 0;      // where the log recovers to
  std::string log_damage;      // RocksDB's refusal of the log, when it refused
  bool accepted = false;       // the open was told accept_lost_log_tail
  bool moved_back = false;     // the mark was moved back to `recovered`
  std::string warning;         // why a loss was let pass (for the caller's log)
  std::string store_id;        // the mark's id kept inside the store ("" before there was one)
};

// The metadata key of the store's mark id (DurableMark::new_store_id()).
inline constexpr char kMarkIdKey[] = "mark_id";

// Bytes available to an unprivileged writer on the file system holding
// `path`; UINT64_MAX when it cannot be told (then no limit refuses).
uint64_t free_bytes(const std::string& path);

// The default tree's families, then the named trees' (t.*: every key starts
// with the tree's 4-byte id, storage::Keyspace).
enum class Family {
  kNodes,
  kOperations,
  kCheckpoints,
  kMetadata,
  kNotes,
  kTreeNodes,
  kTreeOperations,
  kTreeCheckpoints,
  kTreeMetadata,
  kTreeNotes
};
inline constexpr int kFamilyCount = 10;
// The named trees' family that holds what `f` holds for the default tree.
inline constexpr Family named_tree_family(Family f) {
  return static_cast<int>(f) >= 5 ? f : static_cast<Family>(static_cast<int>(f) + 5);
}
// The default tree's families, in the order reports list them.
inline constexpr Family kFamilies[] = {Family::kNodes, Family::kOperations, Family::kCheckpoints, Family::kMetadata,
                                       Family::kNotes};
std::string_view family_name(Family f);

class Database {
 public:
  // An existing store is first probed read-only (check_log_against_mark):
  // a store whose log recovers below its durable mark, whose mark is missing
  // or damaged, or whose table files are missing, is refused before RocksDB
  // writes anything.
  static Status open(const DatabaseOptions& options, std::unique_ptr<Database>* out);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const MetadataRecord& metadata() const { return metadata_; }
  const std::string& path() const { return path_; }
  const MarkCheck& mark_check() const { return mark_check_; }
  // After a write of the log through `sequence` returned: the durable mark
  // follows (not synced; flush() and flush_async() sync it). No-op read-only.
  void mark_durable(uint64_t sequence, bool synced);

  // Atomic across families. `sync` waits until the write is on disk. Once a
  // write has failed in the write-ahead log, every write (and resume()) is
  // refused with wal_failure() until the database is reopened.
  // kResourceExhausted, without writing, while its file system has less
  // than half of `compaction_reserve` free.
  Status write(rocksdb::WriteBatch* batch, bool sync);
  // OK, or why writes are refused until a reopen. Thread-safe.
  Status wal_failure() const;
  // kNotFound when absent.
  Status get(Family family, std::string_view key, std::string* value) const;
  // Flushes memtables and syncs the write-ahead log. Flushes and compactions
  // are refused (kResourceExhausted) while the free space is below half of
  // `compaction_reserve` (compactions: below all of it): RocksDB must never
  // meet a full disk.
  Status flush();
  // After RocksDB stopped writing on a background error (a compaction or
  // flush that met a full disk, say): clears it and resumes, once the cause
  // is gone. OK when there was nothing to resume.
  Status resume();
  // Starts flushing every family's memtable without waiting, so that a reopen
  // has little write-ahead log to replay (a log file lives until every family
  // with data in it has been flushed, including the rarely written metadata),
  // once the memtables hold at least `min_bytes`: below, the log to replay
  // is short, and a flush of a little would leave a table file of a little
  // (a store of many trees would gather thousands, each opened at a start).
  // Syncs the durable mark either way.
  Status flush_async(uint64_t min_bytes = 0);

  // Compacts the whole key range of each family: deleted records leave the disk.
  Status compact(std::initializer_list<Family> families);

  // Bytes of `family` in table files (what is still only in memtables is in
  // the write-ahead log).
  uint64_t family_bytes(Family family) const;
  // RocksDB's estimate of the keys in `family` (for progress: it can be off
  // both ways).
  uint64_t estimated_keys(Family family) const;
  // Bytes of the database's files on disk (tables, logs, manifests).
  uint64_t disk_bytes() const;

  // kResourceExhausted, naming the numbers, while fewer than `needed` bytes
  // are free on the store's file system (OK for 0, or when it cannot tell).
  Status check_room(uint64_t needed, const char* what) const;
  uint64_t compaction_reserve() const { return compaction_reserve_; }
  uint64_t ingest_min_bytes() const { return ingest_min_bytes_; }
  // Bytes in memtables, which a flush will write to tables.
  uint64_t memtable_bytes() const;

  rocksdb::DB* raw() const { return db_.get(); }
  // What every tree of the store charges its memory to (DatabaseOptions::memory_budget).
  MemoryBudget& memory_budget() const { return memory_budget_; }
  // Null only for a t.* family of a store opened read-only that has none
  // (it never held a named tree).
  rocksdb::ColumnFamilyHandle* handle(Family f) const { return handles_[static_cast<int>(f)]; }

 private:
  Database() = default;
  Status check_metadata(const DatabaseOptions& options);
  std::vector<rocksdb::ColumnFamilyHandle*> open_handles() const;
  // Opens the durable mark after a read-write open; moves it back where the
  // check let a loss pass.
  Status open_mark();

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* handles_[kFamilyCount] = {};
  mutable MemoryBudget memory_budget_;
  rocksdb::ColumnFamilyHandle* default_handle_ = nullptr;
  MetadataRecord metadata_;
  mutable std::mutex wal_mutex_;
  Status wal_failure_;  // guarded by wal_mutex_
  MarkCheck mark_check_;
  uint64_t compaction_reserve_ = 0;
  uint64_t ingest_min_bytes_ = 0;
  bool registered_ = false;  // in the process's set of open stores (database.cc)
  std::unique_ptr<DurableMark> mark_;
};

// A RocksDB status as ours, with `context` prefixed to its message.
Status from_rocksdb(const rocksdb::Status& s, std::string_view context);

}  // namespace basis::storage
