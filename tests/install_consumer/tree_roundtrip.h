// The pure tree as a host uses it: a batch through the prover, its proof
// through the verifier.
#pragma once

#include <vector>

#include "basis/tree/batch_prover.h"
#include "basis/tree/operation.h"

namespace host {

// Applies `ops` to `prover` (a tree of `params`), then replays its proof through a verifier that
// starts from the prover's digest before the batch. Returns false (and says
// why on stderr) unless every step succeeds and both end at the same digest;
// `*digest` is that digest.
bool prove_and_verify(const basis::tree::TreeParams& params, basis::tree::BatchProver* prover,
                      const std::vector<basis::tree::Operation>& ops,
                      basis::tree::Digest* digest);

}  // namespace host
