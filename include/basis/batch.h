// A batch of operations as a host hands it to the runtime, and what the
// runtime answers for a batch or a lookup. Plain values that own their bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "basis/tree/batch_prover.h"
#include "basis/tree/bytes.h"
#include "basis/tree/operation.h"
#include "basis/tree/status.h"

namespace basis {

// An operation that owns its bytes.
struct OwnedOperation {
  tree::OpType type = tree::OpType::kLookup;
  tree::Bytes key;
  tree::Bytes value;
  int64_t delta = 0;
  tree::Operation view() const { return {type, tree::view(key), tree::view(value), delta}; }
};

struct BatchResult {
  tree::Status status;                   // not OK: the batch was not applied at all
  std::vector<tree::Status> statuses;    // per operation
  std::vector<tree::OpOutcome> outcomes;  // per operation
  tree::Bytes proof;                     // covers the successful operations
  tree::Digest start_digest{};
  tree::Digest digest{};
  uint64_t first_sequence = 0;  // of the batch's first logged operation; 0: none logged
  uint64_t last_sequence = 0;   // the log's last sequence number after the batch
};

struct LookupResult {
  tree::Status status;
  tree::OpOutcome outcome;
  tree::Bytes proof;  // with a proof: verifies against `digest` (no change)
  tree::Digest digest{};
};

}  // namespace basis
