#include "storage/database.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <set>

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_batch.h>

#include "storage/durable_mark.h"
#include "storage/info_log.h"
#include "storage/mark_check.h"
#include "storage/store_identity.h"
#include "storage/store_lock.h"

namespace basis::storage {

using tree::ErrorKind;

namespace {

// A probe writes nothing, not even RocksDB's LOG.
class DiscardingLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char*, va_list) override {}
};

}  // namespace

std::string_view family_name(Family f) {
  switch (f) {
    case Family::kNodes: return kNodes;
    case Family::kOperations: return kOperations;
    case Family::kCheckpoints: return kCheckpoints;
    case Family::kMetadata: return kMetadata;
    case Family::kNotes: return kNotes;
    case Family::kTreeNodes: return kTreeNodes;
    case Family::kTreeOperations: return kTreeOperations;
    case Family::kTreeCheckpoints: return kTreeCheckpoints;
    case Family::kTreeMetadata: return kTreeMetadata;
    case Family::kTreeNotes: return kTreeNotes;
  }
  return "?";
}

Status from_rocksdb(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::ok();
  ErrorKind kind = s.IsNotFound() ? ErrorKind::kNotFound
                   : s.IsCorruption() ? ErrorKind::kCorruption
                   : s.IsInvalidArgument() ? ErrorKind::kInvalidArgument
                   : s.IsNoSpace()         ? ErrorKind::kResourceExhausted
                                           : ErrorKind::kIOError;
  return Status(kind, std::string(context) + ": " + s.ToString());
}

namespace {

// The stores this process holds open for writing. A POSIX lock belongs to
// the process and goes when any descriptor of its file closes, so the probe
// below never touches a store this process holds (RocksDB refuses that
// second open itself).
std::mutex open_stores_mutex;
std::set<std::string> open_stores;

std::string store_key(const std::string& path) {
  std::error_code ec;
  std::string key = std::filesystem::weakly_canonical(path, ec).string();
  return ec ? path : key;
}

// kBusy while another process holds the store's LOCK. Asked before RocksDB
// opens it: a refused RocksDB open has already renamed the holder's LOG.
Status refuse_if_held_elsewhere(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(open_stores_mutex);
    if (open_stores.count(store_key(path))) return Status::ok();
  }
  return StoreLock::check_not_held(path);
}

}  // namespace

Status Database::open(const DatabaseOptions& options, std::unique_ptr<Database>* out) {
  if (!options.read_only) {
    if (Status s = options.params.validate(); !s.is_ok()) return s;
  }
  std::unique_ptr<Database> d(new Database());
  d->path_ = options.path;

  // Only where no store ever was may RocksDB create one (store_identity.h).
  bool may_create = false;
  if (Status s = check_store_presence(options.path, &may_create); !s.is_ok()) return s;
  if (options.read_only && may_create) {
    return Status(ErrorKind::kNotFound, "no store at " + options.path);
  }
  // An existing store is looked at read-only first: a refusal leaves it as it was.
  if (!options.read_only && !may_create) {
    if (Status s = refuse_if_held_elsewhere(options.path); !s.is_ok()) return s;
    if (Status s = check_log_against_mark(options, &d->mark_check_); !s.is_ok()) return s;
  }
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing && may_create;
  // The t.* families (named trees) are new to stores written before them:
  // created empty at a writable open, whatever create_if_missing says.
  db_options.create_missing_column_families = !options.read_only;
  if (options.env) db_options.env = options.env;
  // A log damaged before its last record is refused, not silently cut there
  // (a torn last record, as a crash leaves it, is dropped); the durable mark
  // catches a log cut at a record boundary.
  db_options.wal_recovery_mode = options.salvage_log || options.accept_lost_log_tail
                                     ? rocksdb::WALRecoveryMode::kPointInTimeRecovery
                                     : rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // Never RocksDB's own file logger: on a full disk it aborts the process
  // (storage/info_log.h). A read-only open writes no log at all.
  if (options.read_only) {
    db_options.info_log = std::make_shared<DiscardingLogger>();
  } else {
    db_options.info_log = InfoLog::open(options.env, options.path);
  }
  d->compaction_reserve_ = options.read_only ? 0 : options.compaction_reserve;
  d->ingest_min_bytes_ = options.ingest_min_bytes;
  if (options.memory_budget > 0) d->memory_budget_.set_limit(options.memory_budget);
  if (options.compaction_reserve > 0 && !options.read_only) {
    // RocksDB must never meet a full disk: a compaction that would leave
    // less than the reserve free waits (facebook/rocksdb#12448).
    std::shared_ptr<rocksdb::SstFileManager> files(rocksdb::NewSstFileManager(options.env ? options.env : rocksdb::Env::Default()));
    files->SetCompactionBufferSize(options.compaction_reserve);
    db_options.sst_file_manager = std::move(files);
  }
  db_options.IncreaseParallelism(2);
  // The hash memtable of `nodes` (below) takes writes from one thread at a time.
  db_options.allow_concurrent_memtable_write = false;

  // nodes: point reads by label, so bloom filters. No block cache: labels
  // are random, so a block read for one node rarely serves another, and
  // the node store caches decoded records (measured: a full verification
  // of 2,000,001 nodes took 5.4 s through a block cache, 2.4 s without).
  rocksdb::BlockBasedTableOptions node_table;
  node_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  node_table.no_block_cache = true;
  rocksdb::ColumnFamilyOptions node_cf;
  node_cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(node_table));
  node_cf.compression = options.node_compression ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  node_cf.optimize_filters_for_hits = true;
  // Garbage collection deletes nodes in bulk: table files dense with
  // deletions are compacted soon, so that the space comes back.
  node_cf.table_properties_collector_factories.emplace_back(
      rocksdb::NewCompactOnDeletionCollectorFactory(128, 32, 0.25));
  // Labels are uniformly random: hash buckets on a 4-byte prefix keep each
  // memtable skiplist short, which is where node writes spend their time.
  // Reads are by label only; a full scan needs ReadOptions::total_order_seek.
  node_cf.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(4));
  node_cf.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(1 << 20));
  // operations: appended in key order and read in ranges.
  rocksdb::ColumnFamilyOptions sequential_cf;
  sequential_cf.compression = rocksdb::kLZ4Compression;
  // Retention removes old records with a range deletion; a periodic
  // compaction gives the space back.
  sequential_cf.periodic_compaction_seconds = 6 * 3600;
  rocksdb::ColumnFamilyOptions plain_cf;
  // t.nodes: the named trees' nodes, keyed id (4 bytes) then label: the
  // hash buckets take the id and the label's first 4 bytes.
  rocksdb::ColumnFamilyOptions tree_node_cf = node_cf;
  tree_node_cf.prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(8));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, plain_cf},
      {kNodes, node_cf},
      {kOperations, sequential_cf},
      {kCheckpoints, plain_cf},
      {kMetadata, plain_cf},
      {kNotes, plain_cf},
      {kTreeNodes, tree_node_cf},
      {kTreeOperations, sequential_cf},
      {kTreeCheckpoints, plain_cf},
      {kTreeMetadata, plain_cf},
      {kTreeNotes, plain_cf},
  };
  if (options.read_only) {
    // A store that never held a named tree has no t.* family, and a
    // read-only open creates none: open what there is.
    std::vector<std::string> present;
    (void)rocksdb::DB::ListColumnFamilies(db_options, options.path, &present);
    std::set<std::string> names(present.begin(), present.end());
    descriptors.erase(std::remove_if(descriptors.begin() + 6, descriptors.end(),
                                     [&](const auto& d) { return names.count(d.name) == 0; }),
                      descriptors.end());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = options.read_only
                         ? rocksdb::DB::OpenForReadOnly(db_options, options.path, descriptors, &handles, &raw)
                         : rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  if (s.IsIOError() && s.ToString().find("While lock file") != std::string::npos) {
    // Taken by another process since the probe above: named the same way.
    if (Status held = refuse_if_held_elsewhere(options.path); !held.is_ok()) return held;
  }
  if (!s.ok()) return from_rocksdb(s, "opening " + options.path);
  d->db_.reset(raw);
  if (!options.read_only) {
    std::lock_guard<std::mutex> lock(open_stores_mutex);
    d->registered_ = open_stores.insert(store_key(options.path)).second;
  }
  d->default_handle_ = handles[0];
  for (size_t i = 1; i < handles.size(); ++i) {
    for (int f = 0; f < kFamilyCount; ++f) {
      if (descriptors[i].name == family_name(static_cast<Family>(f))) d->handles_[f] = handles[i];
    }
  }
  if (Status st = d->check_metadata(options); !st.is_ok()) return st;
  if (options.read_only) {
    *out = std::move(d);
    return Status::ok();
  }
  if (Status st = d->open_mark(); !st.is_ok()) return st;
  if (Status st = record_store_identity(options.path); !st.is_ok()) return st;
  *out = std::move(d);
  return Status::ok();
}

Database::~Database() {
  if (!db_) return;
  if (registered_) {
    std::lock_guard<std::mutex> lock(open_stores_mutex);
    open_stores.erase(store_key(path_));
  }
  for (auto* h : handles_) {
    if (h) db_->DestroyColumnFamilyHandle(h);
  }
  if (default_handle_) db_->DestroyColumnFamilyHandle(default_handle_);
  db_->Close();
}

Status Database::open_mark() {
  MarkCheck& c = mark_check_;
  const std::string store_id = c.store_id.empty() ? DurableMark::new_store_id() : c.store_id;
  if (Status s = DurableMark::open(path_, c.recovered, store_id, &mark_); !s.is_ok()) return s;
  if (c.store_id.empty()) {
    // After the mark exists: from now on the store itself says it keeps one.
    rocksdb::WriteBatch batch;
    batch.Put(handle(Family::kMetadata), kMarkIdKey, store_id);
    if (Status s = write(&batch, true); !s.is_ok()) return s;
    c.store_id = store_id;
  }
  if ((c.had_mark && c.mark > c.recovered) || !c.log_damage.empty() || (c.accepted && !c.had_mark)) {
    // Accepted by the operator, or lost with the page cache (sync "never").
    if (Status s = mark_->set(c.recovered); !s.is_ok()) return s;
    c.moved_back = true;
    note_accepted_loss(path_, (c.warning.empty() ? std::string("accepted by the operator: ") : c.warning + ": ") +
                                  "the log recovered through " + std::to_string(c.recovered) +
                                  (c.had_mark ? ", the durable mark said " + std::to_string(c.mark)
                                              : std::string(", without a readable durable mark")) +
                                  (c.mark > c.recovered ? ", operations " + std::to_string(c.recovered + 1) + ".." +
                                                              std::to_string(c.mark) + " are lost"
                                                        : std::string()) +
                                  (c.log_damage.empty() ? std::string() : "; RocksDB: " + c.log_damage) +
                                  "; new operations are numbered from " + std::to_string(c.recovered + 1));
  }
  return Status::ok();
}

void Database::mark_durable(uint64_t sequence, bool synced) {
  // A mark that cannot be written lags the log, which is safe: the write
  // itself succeeded and its batch is durable.
  if (mark_) (void)mark_->advance(sequence, synced);
}

Status Database::check_metadata(const DatabaseOptions& options) {
  std::string value;
  Status s = get(Family::kMetadata, kMetadataKey, &value);
  if (s.kind() == ErrorKind::kNotFound && options.read_only) return Status::ok();
  if (s.kind() == ErrorKind::kNotFound) {
    metadata_ = MetadataRecord{kFormatVersion, options.params};
    rocksdb::WriteBatch batch;
    batch.Put(handle(Family::kMetadata), kMetadataKey, encode(metadata_));
    return write(&batch, true);
  }
  if (!s.is_ok()) return s;
  if (Status d = decode(value, kMetadataKey, &metadata_); !d.is_ok()) return d;
  if (metadata_.format_version > kFormatVersion) {
    return Status(ErrorKind::kInvalidArgument,
                  options.path + " was written in format " + std::to_string(metadata_.format_version) +
                      ", newer than this build's " + std::to_string(kFormatVersion));
  }
  auto describe = [](const tree::TreeParams& p) {
    return "key length " + std::to_string(p.key_length) + ", value length " +
           (p.value_length ? std::to_string(*p.value_length) : std::string("variable"));
  };
  if (options.read_only) return Status::ok();
  if (metadata_.params.key_length != options.params.key_length ||
      metadata_.params.value_length != options.params.value_length) {
    return Status(ErrorKind::kInvalidArgument, options.path + " holds a tree with " +
                                                   describe(metadata_.params) +
                                                   ", but the configuration says " +
                                                   describe(options.params));
  }
  return Status::ok();
}

Status Database::write(rocksdb::WriteBatch* batch, bool sync) {
  if (Status failed = wal_failure(); !failed.is_ok()) return failed;
  // Every write goes to the WAL, and a WAL write that meets a full disk is
  // one RocksDB 7.8 does not survive (facebook/rocksdb#12448): below half
  // the reserve (the oplog appender already stops at all of it), checkpoints,
  // retention and pins are refused too, leaving the rest to compactions.
  if (Status room = check_room(compaction_reserve_ / 2, "writing to"); !room.is_ok()) return room;
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s = db_->Write(wo, batch);
  // RocksDB's I/O errors name the file. One in a write-ahead log (*.log)
  // leaves the log writer broken: RocksDB 7.8 cannot write again without a
  // reopen, and resuming it aborts the process (an assertion in
  // TableFileName after ENOSPC; found by tests/supervision_test).
  if (!s.ok() && s.IsIOError() && s.ToString().find(".log") != std::string::npos) {
    std::lock_guard lock(wal_mutex_);
    if (wal_failure_.is_ok()) {
      wal_failure_ = from_rocksdb(s, "the write-ahead log of " + path_ + " failed, and RocksDB writes nothing more "
                                     "until the store is reopened: restart to write again (every acknowledged "
                                     "batch is durable)");
    }
  }
  return from_rocksdb(s, "writing to " + path_);
}

Status Database::wal_failure() const {
  std::lock_guard lock(wal_mutex_);
  return wal_failure_;
}

Status Database::get(Family family, std::string_view key, std::string* value) const {
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle(family),
                               rocksdb::Slice(key.data(), key.size()), value);
  if (s.IsNotFound()) return Status(ErrorKind::kNotFound, record_name(family_name(family), key) + " not found");
  return from_rocksdb(s, "reading " + record_name(family_name(family), key));
}

uint64_t Database::family_bytes(Family family) const {
  uint64_t files = 0;
  db_->GetIntProperty(handle(family), "rocksdb.total-sst-files-size", &files);
  return files;
}

uint64_t Database::estimated_keys(Family family) const {
  uint64_t keys = 0;
  db_->GetIntProperty(handle(family), "rocksdb.estimate-num-keys", &keys);
  return keys;
}

uint64_t Database::disk_bytes() const {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path_, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

Status Database::check_room(uint64_t needed, const char* what) const {
  if (needed == 0) return Status::ok();
  const uint64_t free = free_bytes(path_);
  if (free >= needed) return Status::ok();  // UINT64_MAX, when it cannot tell: RocksDB answers
  return Status(ErrorKind::kResourceExhausted,
                std::string("not ") + what + " " + path_ + ": its file system has " + std::to_string(free) +
                    " bytes free, below the " + std::to_string(needed) + " bytes kept free (storage.min_free_space " +
                    std::to_string(compaction_reserve_) + ")");
}

uint64_t free_bytes(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return UINT64_MAX;
  return static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
}

uint64_t Database::memtable_bytes() const {
  uint64_t total = 0;  // every family at once
  return db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &total) ? total : 0;
}

Status Database::flush_async(uint64_t min_bytes) {
  // At checkpoints: the durable mark survives a power loss from here on.
  if (mark_) (void)mark_->sync();
  if (min_bytes > 0 && memtable_bytes() < min_bytes) return Status::ok();
  // A flush writes tables: never into a full disk (see write()). The WAL
  // keeps everything meanwhile.
  if (Status room = check_room(compaction_reserve_ / 2, "flushing"); !room.is_ok()) return room;
  rocksdb::FlushOptions fo;
  fo.wait = false;
  fo.allow_write_stall = true;
  return from_rocksdb(db_->Flush(fo, open_handles()), "flushing " + path_);
}

std::vector<rocksdb::ColumnFamilyHandle*> Database::open_handles() const {
  std::vector<rocksdb::ColumnFamilyHandle*> all;
  for (auto* h : handles_) {
    if (h) all.push_back(h);
  }
  return all;
}

Status Database::compact(std::initializer_list<Family> families) {
  // A compaction writes the new tables before it deletes the old ones.
  if (Status room = check_room(compaction_reserve_, "compacting"); !room.is_ok()) return room;
  rocksdb::CompactRangeOptions o;
  // Rewrite the last level too: that is where most deletions wait.
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
  for (Family f : families) {
    rocksdb::Status s = db_->CompactRange(o, handle(f), nullptr, nullptr);
    if (!s.ok()) return from_rocksdb(s, "compacting " + std::string(family_name(f)) + " of " + path_);
  }
  return Status::ok();
}

Status Database::resume() {
  if (Status failed = wal_failure(); !failed.is_ok()) return failed;  // never resumed: see write()
  rocksdb::Status s = db_->Resume();
  // Busy: RocksDB is recovering by itself already; the caller tries again later.
  if (s.IsBusy()) return Status(ErrorKind::kBusy, "resuming writes to " + path_ + ": RocksDB is still recovering");
  return from_rocksdb(s, "resuming writes to " + path_);
}

Status Database::flush() {
  if (Status room = check_room(compaction_reserve_ / 2, "flushing"); !room.is_ok()) return room;
  rocksdb::FlushOptions fo;
  if (Status s = from_rocksdb(db_->Flush(fo, open_handles()), "flushing " + path_); !s.is_ok()) return s;
  if (Status s = from_rocksdb(db_->SyncWAL(), "syncing " + path_); !s.is_ok()) return s;
  return mark_ ? mark_->sync() : Status::ok();
}

}  // namespace basis::storage
