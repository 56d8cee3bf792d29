// persistence.max_answer_bytes: a batch whose answer (proof plus returned
// values) could exceed it is refused with LimitExceeded before it is applied
// or anything is allocated for its answer. Runs on the prover's thread.
#pragma once

#include <cstdint>
#include <vector>

#include "basis/batch.h"
#include "basis/tree/batch_prover.h"

namespace basis::engine {

// With `bound_bytes`, sets it to the bound found when the answer fits.
tree::Status check_answer_size(tree::BatchProver& prover, const std::vector<OwnedOperation>& ops,
                               uint64_t max_answer_bytes, uint64_t* bound_bytes = nullptr);

}  // namespace basis::engine
