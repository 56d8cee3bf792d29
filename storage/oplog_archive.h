// Archives of the operation log: records that left the live log, kept in
// compressed, checksummed table files named by their sequence range
// (operations-<first>-<last>.sst), readable for audit and replay.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "storage/oplog.h"

namespace basis::storage {

struct ArchiveFile {
  std::string path;
  uint64_t first = 0, last = 0;  // sequence range
};

// Writes the records first..last of `log` to a new archive file in `dir`
// (created if needed), synced, and reads it back before returning, so that
// the records may then leave the log.
Status archive_records(const Oplog& log, uint64_t first, uint64_t last, const std::string& dir, ArchiveFile* out);

// The archive files in `dir`, by sequence range; names that do not parse are
// skipped. A missing directory has none.
Status list_archives(const std::string& dir, std::vector<ArchiveFile>* out);

// Calls `fn` for each record of `file` in order, checking its table
// checksums, each record's checksum, its sequence number (no gap) and the
// digest chain.
Status read_archive(const ArchiveFile& file, const std::function<bool(const OperationRecord&)>& fn);

}  // namespace basis::storage
