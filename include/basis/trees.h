// The trees of one store, and transactions over several of them. A store
// holds the default tree (configured by [tree]) and any number of named
// trees ([[trees]], or created through the API), each with its own
// parameters, digest, sequence numbers, log, checkpoints, pins and retention.
// Plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "basis/batch.h"
#include "basis/tree/status.h"

namespace basis {

struct TreeInfo {
  std::string name;  // "default" for the default tree
  uint32_t key_length = 32;
  std::optional<uint32_t> value_length;  // unset: any length
  // OK while the tree is served; otherwise why not (its recovery failed, say:
  // the other trees are served meanwhile).
  tree::Status status;
};

// One tree's batch within a transaction.
struct TransactionPart {
  std::string tree;  // a tree's name ("default" included)
  std::vector<OwnedOperation> operations;
};

// The rule: every part is applied, in one synced write of the store, or
// none is. An operation that fails (a key not found, a wrong value length)
// fails alone, as in a batch, and its part goes on; a part that is refused
// (an unknown tree, a limit, a tree that refuses batches now) refuses the
// whole transaction before any tree changes.
struct TransactionResult {
  tree::Status status;             // not OK: no tree changed (see above)
  std::vector<BatchResult> parts;  // in the order of the parts, when OK
  // When not OK: the part that refused it (its index), if one did.
  std::optional<size_t> refused_part;
};

// The largest fixed value length a named tree may have: every tree holds
// two sentinel leaves of that length in memory, so one creation asking for
// gigabytes must not take the service down. A tree of longer values takes
// values of any length.
inline constexpr uint32_t kMaxFixedValueLength = uint32_t{1} << 20;

// The most parts one transaction may have (a tree appears once at most).
inline constexpr size_t kMaxTransactionParts = 64;

}  // namespace basis
