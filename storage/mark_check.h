// The check of a store's log against its durable-sequence mark, made before
// RocksDB is opened for writing, so that a refused start changes nothing on
// disk. Stateless functions of the file system; thread-safe.
#pragma once

#include <string>

#include "storage/database.h"

namespace basis::storage {

// Probes the existing store of `options.path` read-only and compares where
// its log recovers to with the mark (durable_mark.h). Refuses, naming both
// numbers and what to do, when the log is below the mark, when RocksDB
// refuses the log as damaged in its middle, when a table file is missing,
// and when the mark itself is missing (the identity file says there was
// one) or damaged; unless `options.accept_lost_log_tail`. A mark ahead of the
// log is let pass (with out->warning) only when it followed an unsynced write
// in an earlier boot: storage.sync = "never" loses what the page cache held.
Status check_log_against_mark(const DatabaseOptions& options, MarkCheck* out);

// After a restore: the mark is set to where the restored log recovers to
// (the operator chose that store), and the change is noted in the losses file.
Status reset_mark_to_log(const std::string& db_path, uint64_t* sequence);

// Appends `line` (with a timestamp) to "<db_path>.losses", synced: the
// record of every loss an operator accepted. Best effort.
void note_accepted_loss(const std::string& db_path, const std::string& line);

}  // namespace basis::storage
