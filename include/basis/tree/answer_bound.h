// An upper bound on the bytes a batch's answer takes (its proof plus the old
// values its results return), computed before the batch is applied, so a
// batch that would need a huge answer is refused before anything is
// allocated for it or changed. Read-only on the prover; not thread-safe
// (like the prover it reads).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "basis/tree/batch_prover.h"
#include "basis/tree/operation.h"
#include "basis/tree/status.h"

namespace basis::tree {

struct AnswerBound {
  uint64_t result_bytes = 0;  // old values returned, and a little per result
  uint64_t proof_bytes = 0;   // the proof of the batch
  uint64_t total() const { return result_bytes + proof_bytes; }
};

// Bounds the answer of performing `ops` as a batch of their own on `prover`
// (which has no batch pending). Stops early once the bound passes `limit`.
// Fails only where the prover fails to read a node.
Status bound_answer(BatchProver& prover, std::span<const Operation> ops, uint64_t limit, AnswerBound* out);

// For a tree of fixed-length values, a bound of the same answer that reads
// nothing (every operation at its worst: three leaves revealed, the path
// walked twice); nullopt for variable-length values.
std::optional<uint64_t> fixed_length_bound(const BatchProver& prover, size_t operations);

}  // namespace basis::tree
