#include "storage/backup.h"

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include "storage/mark_check.h"
#include "storage/store_lock.h"

namespace basis::storage {

namespace {

// How often RocksDB reports a backup's copying (the engine's option).
constexpr uint64_t kProgressEvery = 1 << 20;

Status open_engine(const std::string& backup_dir, std::unique_ptr<rocksdb::BackupEngine>* out) {
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::BackupEngineOptions options(backup_dir);
  options.sync = true;
  options.callback_trigger_interval_size = kProgressEvery;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &raw);
  if (!s.ok()) return from_rocksdb(s, "opening backups in " + backup_dir);
  out->reset(raw);
  return Status::ok();
}

}  // namespace

Status create_backup(Database* db, const std::string& backup_dir, const std::function<void(uint64_t)>& progress) {
  std::unique_ptr<rocksdb::BackupEngine> engine;
  if (Status s = open_engine(backup_dir, &engine); !s.is_ok()) return s;
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  uint64_t copied = 0;
  // RocksDB calls it every kProgressEvery bytes copied, on the thread that
  // copies; RocksDB's callbacks must not throw.
  if (progress) {
    options.progress_callback = [&]() noexcept {
      copied += kProgressEvery;
      try {
        progress(copied);
      } catch (...) {
      }
    };
  }
  return from_rocksdb(engine->CreateNewBackup(options, db->raw()), "backing up to " + backup_dir);
}

Status latest_backup(const std::string& backup_dir, BackupSummary* out) {
  std::unique_ptr<rocksdb::BackupEngine> engine;
  if (Status s = open_engine(backup_dir, &engine); !s.is_ok()) return s;
  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos);
  if (infos.empty()) return Status(tree::ErrorKind::kNotFound, "no backup in " + backup_dir);
  out->id = infos.back().backup_id;
  out->timestamp = infos.back().timestamp;
  out->bytes = infos.back().size;
  out->files = infos.back().number_files;
  return Status::ok();
}

Status verify_latest_backup(const std::string& backup_dir) {
  std::unique_ptr<rocksdb::BackupEngine> engine;
  if (Status s = open_engine(backup_dir, &engine); !s.is_ok()) return s;
  std::vector<rocksdb::BackupInfo> infos;
  engine->GetBackupInfo(&infos);
  if (infos.empty()) return Status(tree::ErrorKind::kNotFound, "no backup in " + backup_dir);
  return from_rocksdb(engine->VerifyBackup(infos.back().backup_id, /*verify_with_checksum=*/true),
                      "verifying backup " + std::to_string(infos.back().backup_id) + " in " + backup_dir);
}

Status restore_latest_backup(const std::string& backup_dir, const std::string& db_dir, std::string* replaced) {
  if (replaced) replaced->clear();
  std::string live = db_dir;
  while (live.size() > 1 && live.back() == '/') live.pop_back();
  // Held through the restore: a store a running process holds is never
  // touched. RocksDB's restore deletes the LOCK file of the directory it
  // writes, so it writes a staging directory, whose own lock is taken before
  // it is swapped in: the store's path always holds a locked store.
  std::error_code ec;
  const bool existed = std::filesystem::exists(std::filesystem::path(live) / "CURRENT", ec);
  std::unique_ptr<StoreLock> live_lock;
  if (Status s = StoreLock::acquire(live, &live_lock); !s.is_ok()) return s;
  const std::string staging = live + ".restoring";
  std::filesystem::remove_all(staging, ec);  // a restore that stopped half-way
  if (ec) return Status(tree::ErrorKind::kIOError, "removing " + staging + ": " + ec.message());
  std::unique_ptr<rocksdb::BackupEngine> engine;
  if (Status s = open_engine(backup_dir, &engine); !s.is_ok()) return s;
  if (Status s = from_rocksdb(engine->RestoreDBFromLatestBackup(staging, staging),
                              "restoring " + live + " from " + backup_dir);
      !s.is_ok()) {
    std::filesystem::remove_all(staging, ec);
    return s;
  }
  std::unique_ptr<StoreLock> staging_lock;
  if (Status s = StoreLock::acquire(staging, &staging_lock); !s.is_ok()) return s;
  // One atomic exchange: the path holds the old store or the restored one,
  // never neither; the old one stays beside it until the operator removes it.
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, live.c_str(), RENAME_EXCHANGE) != 0) {
    const int error = errno;
    std::filesystem::remove_all(staging, ec);
    return Status(tree::ErrorKind::kIOError, "swapping " + staging + " and " + live + ": " + std::strerror(error));
  }
  if (!existed) {
    std::filesystem::remove_all(staging, ec);  // nothing but the lock file it was given
  } else {
    const std::string kept = live + ".replaced-" + std::to_string(std::time(nullptr));
    if (::rename(staging.c_str(), kept.c_str()) == 0 && replaced) *replaced = kept;
  }
  // The operator chose the backup's state: the durable mark follows it.
  uint64_t sequence = 0;
  return reset_mark_to_log(live, &sequence);
}

}  // namespace basis::storage
