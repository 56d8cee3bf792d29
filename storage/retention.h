// Retention: which checkpoints stay (the newest ones, and every one a host
// pinned, such as the version whose digest is confirmed on chain), and which
// operation records leave the live log (archived first when asked).
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include "storage/database.h"
#include "storage/keyspace.h"

namespace basis::storage {

struct RetentionPolicy {
  uint32_t checkpoints = 10;  // the newest this many stay
  std::chrono::milliseconds oplog_age = std::chrono::hours(24 * 30);
  std::string archive_dir;    // empty: removed records are not archived
};

struct RetentionReport {
  uint64_t checkpoints_removed = 0;
  uint64_t records_removed = 0;  // from the live log
  std::string archive;           // the archive file written, if any
};

// Drops checkpoints beyond the newest `checkpoints` that are not pinned;
// then removes from the log every record that is both older than
// `oplog_age` (at `now_ms`) and at or before the oldest checkpoint kept, so
// that every kept checkpoint can still be replayed forward.
Status apply_retention(Database* db, const RetentionPolicy& policy, uint64_t now_ms, RetentionReport* out,
                       const Keyspace& keyspace = Keyspace());

// Pins keep a checkpoint through retention until unpinned. Pinning a
// checkpoint that does not exist is kNotFound, and so is unpinning an id
// that is neither pinned nor a checkpoint (unpinning a checkpoint that is
// not pinned is OK).
// Each for the tree in `keyspace`.
Status pin_checkpoint(Database* db, uint64_t id, const Keyspace& keyspace = Keyspace());
Status unpin_checkpoint(Database* db, uint64_t id, const Keyspace& keyspace = Keyspace());
Status pinned_checkpoints(const Database& db, std::set<uint64_t>* out, const Keyspace& keyspace = Keyspace());
// The checkpoints the pins hold (each pin keeps a copy of what it pins).
Status pinned_checkpoint_records(const Database& db, std::vector<CheckpointRecord>* out,
                                 const Keyspace& keyspace = Keyspace());

}  // namespace basis::storage
