// A store knows it is not new. RocksDB opened with create_if_missing makes
// an empty database wherever CURRENT is missing, so a store whose CURRENT
// was lost (deleted, or cut off with its MANIFEST) would come back empty at
// sequence 0. An identity file beside the RocksDB directory, written once a
// store has been opened, says a store lives there; then a missing CURRENT is
// refused with a message, and the refusal changes nothing on disk.
// Stateless functions of the file system; thread-safe.
#pragma once

#include <string>

#include "basis/tree/status.h"

namespace basis::storage {

using Status = tree::Status;

// The identity file of the RocksDB directory `db_path`: "<db_path>.identity".
std::string identity_path(const std::string& db_path);

// Before opening `db_path`: sets *may_create to whether RocksDB may create
// a new store there (only where no store ever was). Fails, naming what is
// missing and what to do, when a store was there but its CURRENT is gone:
// the identity file exists, or RocksDB's own files lie there without it.
Status check_store_presence(const std::string& db_path, bool* may_create);

// After a successful open (and once the durable mark exists): writes the
// identity file unless it is there, saying the store keeps a durable mark;
// an identity file from before marks is rewritten to say so (durably:
// written, synced, renamed, directory synced).
Status record_store_identity(const std::string& db_path);

// Whether the identity file says the store keeps a durable mark: then a
// missing mark is refused, not taken for a store from before marks.
bool identity_records_mark(const std::string& db_path);

}  // namespace basis::storage
