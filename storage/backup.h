// Backups of a live database with RocksDB's BackupEngine: incremental (files
// already in the backup directory are not copied again).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "storage/database.h"

namespace basis::storage {

struct BackupSummary {
  uint32_t id = 0;
  int64_t timestamp = 0;  // Unix seconds
  uint64_t bytes = 0;     // every file it holds, shared with other backups or not
  uint32_t files = 0;
};

// Adds a backup of `db`'s current state to `backup_dir` (created if needed).
// `progress`, when given, hears the bytes copied so far, about every MiB (an
// incremental backup copies only the files the directory lacks).
Status create_backup(Database* db, const std::string& backup_dir,
                     const std::function<void(uint64_t)>& progress = {});
// The latest backup in `backup_dir`; kNotFound when there is none.
Status latest_backup(const std::string& backup_dir, BackupSummary* out);
// Checks every file of the latest backup against its recorded checksum.
Status verify_latest_backup(const std::string& backup_dir);
// Replaces the store in `db_dir` with the latest backup, and sets its durable
// mark to where the restored log ends. kBusy, changing nothing, while another
// process holds the store; held against openers meanwhile (see StoreLock).
// The store it replaced, when there was one, is kept beside it and named in
// *replaced (db_dir.replaced-<Unix seconds>): nothing is deleted.
Status restore_latest_backup(const std::string& backup_dir, const std::string& db_dir,
                             std::string* replaced = nullptr);

}  // namespace basis::storage
