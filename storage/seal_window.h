// The nodes written for the version being sealed. They reach the nodes family
// in table files as they come (see ingest_nodes) and stay in memory, so that
// sealing checks the new version without reading them back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "storage/database.h"
#include "storage/keyspace.h"

namespace basis::storage {

class SealWindow {
 public:
  struct Limits {
    size_t write_bytes = size_t{32} << 20;  // queued records are written once they take this much
    size_t keep_bytes = size_t{512} << 20;  // beyond this, the version is checked from disk instead
    int disk_check_threads = 2;             // for a check from disk
  };
  SealWindow(Database* db, Limits limits, Keyspace keyspace = Keyspace())
      : db_(db), keyspace_(std::move(keyspace)), limits_(limits) {}

  // Takes `nodes` (label, encoded record). `*wrote` says whether this wrote
  // what was queued (then every node taken so far is durable).
  Status add(std::vector<std::pair<tree::Label, std::string>>&& nodes, bool* wrote);

  // Writes what is queued: every node taken so far is durable.
  Status flush();

  // After flush(): checks the version `digest` and starts a new window. The
  // check uses the records in memory (verify_written_nodes) or,
  // when the window outgrew keep_bytes or the previous check failed (what
  // that window wrote is stored but unchecked), reads the whole version back
  // (verify_tree). `*checked` counts the nodes it checked.
  Status seal(const tree::Digest& digest, uint64_t* checked);

 private:
  Database* db_;
  Keyspace keyspace_;  // the tree's
  Limits limits_;
  std::vector<std::pair<tree::Label, std::string>> records_;  // [0, written_) is on disk
  size_t written_ = 0;
  size_t queued_bytes_ = 0;
  size_t kept_bytes_ = 0;
  bool check_from_disk_ = false;
};

}  // namespace basis::storage
