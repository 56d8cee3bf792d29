#include "storage/backup.h"

#include <memory>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include "storage/mark_check.h"

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

Status restore_latest_backup(const std::string& backup_dir, const std::string& db_dir) {
  std::unique_ptr<rocksdb::BackupEngine> engine;
  if (Status s = open_engine(backup_dir, &engine); !s.is_ok()) return s;
  if (Status s = from_rocksdb(engine->RestoreDBFromLatestBackup(db_dir, db_dir),
                              "restoring " + db_dir + " from " + backup_dir);
      !s.is_ok()) {
    return s;
  }
  // The operator chose the backup's state: the durable mark follows it.
  uint64_t sequence = 0;
  return reset_mark_to_log(db_dir, &sequence);
}

}  // namespace basis::storage
