// Backups of a live database with RocksDB's BackupEngine: incremental (files
// already in the backup directory are not copied again).
#pragma once

#include <string>

#include "storage/database.h"

namespace basis::storage {

// Adds a backup of `db`'s current state to `backup_dir` (created if needed).
Status create_backup(Database* db, const std::string& backup_dir);
// Checks every file of the latest backup against its recorded checksum.
Status verify_latest_backup(const std::string& backup_dir);
// Replaces `db_dir` with the latest backup, and sets its durable mark to
// where the restored log ends. The database must be closed.
Status restore_latest_backup(const std::string& backup_dir, const std::string& db_dir);

}  // namespace basis::storage
