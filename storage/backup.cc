#include "storage/backup.h"

#include <memory>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/utilities/backup_engine.h>

#include "storage/mark_check.h"

namespace basis::storage {

namespace {

Status open_engine(const std::string& backup_dir, std::unique_ptr<rocksdb::BackupEngine>* out) {
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::BackupEngineOptions options(backup_dir);
  options.sync = true;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &raw);
  if (!s.ok()) return from_rocksdb(s, "opening backups in " + backup_dir);
  out->reset(raw);
  return Status::ok();
}

}  // namespace

Status create_backup(Database* db, const std::string& backup_dir) {
  std::unique_ptr<rocksdb::BackupEngine> engine;
  if (Status s = open_engine(backup_dir, &engine); !s.is_ok()) return s;
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  return from_rocksdb(engine->CreateNewBackup(options, db->raw()), "backing up to " + backup_dir);
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
