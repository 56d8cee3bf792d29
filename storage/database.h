// One RocksDB database per data directory, with the column families nodes,
// operations, checkpoints, metadata and notes. Opening checks that the
// directory was written with this format and these tree parameters.
#pragma once

#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "storage/records.h"
#include "tree/params.h"
#include "tree/status.h"

namespace rocksdb {
class DB;
class Env;
class ColumnFamilyHandle;
class WriteBatch;
class Status;
}  // namespace rocksdb

namespace basis::storage {

struct DatabaseOptions {
  std::string path;
  tree::TreeParams params;
  bool node_compression = false;  // labels and keys are random bytes
  bool create_if_missing = true;
  // Not owned; null: RocksDB's default. Every file of the database (and the
  // node tables it ingests) goes through it, so tests can inject I/O faults.
  // Must outlive the Database.
  rocksdb::Env* env = nullptr;
};

enum class Family { kNodes, kOperations, kCheckpoints, kMetadata, kNotes };
std::string_view family_name(Family f);

class Database {
 public:
  static Status open(const DatabaseOptions& options, std::unique_ptr<Database>* out);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const MetadataRecord& metadata() const { return metadata_; }
  const std::string& path() const { return path_; }

  // Atomic across families. `sync` waits until the write is on disk. Once a
  // write has failed in the write-ahead log, every write (and resume()) is
  // refused with wal_failure() until the database is reopened.
  Status write(rocksdb::WriteBatch* batch, bool sync);
  // OK, or why writes are refused until a reopen. Thread-safe.
  Status wal_failure() const;
  // kNotFound when absent.
  Status get(Family family, std::string_view key, std::string* value) const;
  // Flushes memtables and syncs the write-ahead log.
  Status flush();
  // After RocksDB stopped writing on a background error (a compaction or
  // flush that met a full disk, say): clears it and resumes, once the cause
  // is gone. OK when there was nothing to resume.
  Status resume();
  // Starts flushing every family's memtable without waiting, so that a reopen
  // has little write-ahead log to replay (a log file lives until every family
  // with data in it has been flushed, including the rarely written metadata).
  Status flush_async();

  // Compacts the whole key range of each family: deleted records leave the disk.
  Status compact(std::initializer_list<Family> families);

  // Bytes of `family` in table files (what is still only in memtables is in
  // the write-ahead log).
  uint64_t family_bytes(Family family) const;
  // Bytes of the database's files on disk (tables, logs, manifests).
  uint64_t disk_bytes() const;

  rocksdb::DB* raw() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* handle(Family f) const { return handles_[static_cast<int>(f)]; }

 private:
  Database() = default;
  Status check_metadata(const DatabaseOptions& options);

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* handles_[5] = {};
  rocksdb::ColumnFamilyHandle* default_handle_ = nullptr;
  MetadataRecord metadata_;
  mutable std::mutex wal_mutex_;
  Status wal_failure_;  // guarded by wal_mutex_
};

// A RocksDB status as ours, with `context` prefixed to its message.
Status from_rocksdb(const rocksdb::Status& s, std::string_view context);

}  // namespace basis::storage
