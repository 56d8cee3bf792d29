#include "tree_roundtrip.h"

#include <cstdio>

#include "basis/tree/batch_verifier.h"

namespace host {

using namespace basis::tree;

bool prove_and_verify(const TreeParams& params, BatchProver* prover, const std::vector<Operation>& ops, Digest* digest) {
  const Digest before = prover->digest();
  for (const Operation& op : ops) {
    OpOutcome out;
    if (Status s = prover->perform(op, &out); !s.is_ok()) {
      std::fprintf(stderr, "prover: %s\n", s.to_string().c_str());
      return false;
    }
  }
  Bytes proof;
  prover->generate_proof(&proof);
  *digest = prover->digest();

  BatchVerifier verifier(params, before, view(proof));
  for (const Operation& op : ops) {
    OpOutcome out;
    if (Status s = verifier.perform(op, &out); !s.is_ok()) {
      std::fprintf(stderr, "verifier: %s\n", s.to_string().c_str());
      return false;
    }
  }
  std::optional<Digest> verified = verifier.digest();
  if (!verified || *verified != *digest) {
    std::fprintf(stderr, "verifier: the proof does not lead to the prover's digest\n");
    return false;
  }
  return true;
}

}  // namespace host
