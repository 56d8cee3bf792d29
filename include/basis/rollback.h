// A rollback: the live tree becomes an earlier version, named by a retained
// checkpoint, a sequence number still in the log, or a digest. The log
// records it as an entry of its own (nothing is erased), later operations
// continue the sequence, and pins stay as they were. Plain values.
#pragma once

#include <cstdint>

#include "basis/tree/bytes.h"
#include "basis/tree/status.h"

namespace basis {

struct RollbackTarget {
  enum class Kind : uint8_t { kCheckpoint, kSequence, kDigest };
  Kind kind = Kind::kSequence;
  uint64_t number = 0;    // the checkpoint id, or the sequence number
  tree::Digest digest{};  // with kDigest: the newest version with this digest

  static RollbackTarget checkpoint(uint64_t id) { return {Kind::kCheckpoint, id, {}}; }
  static RollbackTarget sequence(uint64_t sequence) { return {Kind::kSequence, sequence, {}}; }
  static RollbackTarget to_digest(const tree::Digest& d) { return {Kind::kDigest, 0, d}; }
};

struct RollbackResult {
  // Not OK: nothing changed. kNotFound: no such checkpoint or digest;
  // kInvalidArgument: ahead of the tree, or past what is retained (the
  // message names the oldest version reachable); kLimitExceeded: more than
  // kMaxRollbackOperations to undo.
  tree::Status status;
  tree::Digest digest_before{};
  tree::Digest digest{};        // the tree's digest now
  uint64_t sequence = 0;        // the rollback's own log record; 0: nothing to undo (the tree has that version's digest)
  uint64_t rolled_back_to = 0;  // the version the tree is now: the one after this operation
  uint64_t undone = 0;          // log records after that version, up to the rollback
};

// A rollback undoes at most this many log records (its note updates are
// written in one atomic write with its record).
inline constexpr uint64_t kMaxRollbackOperations = 1'000'000;

}  // namespace basis
