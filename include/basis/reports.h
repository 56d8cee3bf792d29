// What the runtime reports about itself and its store: how start-up recovered,
// where the background checks stand, and the records a host reads back
// (checkpoints, the operation log). Plain values, no storage types.
#pragma once

#include <cstdint>
#include <string>

#include "basis/tree/bytes.h"
#include "basis/tree/operation.h"

namespace basis {

// Which way start-up recovery reached the tree it serves.
enum class RecoveryPath {
  kEmpty,             // a new store
  kLatestCheckpoint,  // the normal way: latest checkpoint + the log after it
  kOlderCheckpoint,   // a newer checkpoint was refused (see the fallbacks)
  kFullReplay,        // every checkpoint was refused: the whole log from the empty tree
  kNotesRebuild,      // the log could not be replayed either: rebuilt from the notes
};

// "empty", "latest_checkpoint", "older_checkpoint", "full_replay", "notes_rebuild".
const char* recovery_path_name(RecoveryPath p);

// The outcome of a health check: the tree as served against its digest and
// the notes (the current value of every key).
struct HealthReport {
  bool ok = true;
  uint64_t keys_checked = 0;
  std::string problem;  // the first problem found, naming the key or record
};

// Where the background verification of the recovered checkpoint stands.
enum class VerificationState { kNotRun, kRunning, kPassed, kFailed };
const char* verification_state_name(VerificationState s);  // "not_run", "running", "passed", "failed"

struct BackgroundStatus {
  VerificationState verification = VerificationState::kNotRun;
  uint64_t verified_nodes = 0;
  std::string verification_problem;
  uint64_t health_checks = 0;
  uint64_t health_check_failures = 0;
  HealthReport last_health;  // ok and empty before the first check
};

// A retained checkpoint: a sealed version of the tree.
struct CheckpointInfo {
  uint64_t id = 0;
  uint64_t timestamp_ms = 0;   // when it was sealed (Unix milliseconds)
  tree::Digest digest{};
  uint64_t last_sequence = 0;  // the last operation it includes
  uint64_t node_count = 0;     // nodes of the tree at that version
  std::string metadata;
};

// One record of the operation log, as it was applied.
struct LogRecord {
  uint64_t sequence = 0;
  tree::OpType type = tree::OpType::kInsert;
  uint64_t timestamp_ms = 0;  // when it was logged (Unix milliseconds)
  tree::Bytes key;
  tree::Bytes value;          // Insert, Update, InsertOrUpdate
  int64_t delta = 0;          // UpdateLongBy
  bool had_previous = false;
  tree::Bytes previous;       // the value before, when there was one
  tree::Digest digest_before{};
  tree::Digest digest_after{};
  // A rollback (basis/rollback.h): no key or value; from here on the tree is
  // the version after operation `rolled_back_to` (`type` means nothing).
  bool rollback = false;
  uint64_t rolled_back_to = 0;
};

}  // namespace basis
