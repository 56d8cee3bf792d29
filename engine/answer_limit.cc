#include "engine/answer_limit.h"

#include <string>

#include "basis/tree/answer_bound.h"

namespace basis::engine {

tree::Status check_answer_size(tree::BatchProver& prover, const std::vector<OwnedOperation>& ops,
                               uint64_t max_answer_bytes, uint64_t* bound_bytes) {
  // Fixed-length values: a bound that reads nothing, usually far below the limit.
  if (auto quick = tree::fixed_length_bound(prover, ops.size()); quick && *quick <= max_answer_bytes) {
    if (bound_bytes) *bound_bytes = *quick;
    return tree::Status::ok();
  }
  std::vector<tree::Operation> views;
  views.reserve(ops.size());
  for (const auto& o : ops) views.push_back(o.view());
  tree::AnswerBound bound;
  if (tree::Status s = tree::bound_answer(prover, views, max_answer_bytes, &bound); !s.is_ok()) return s;
  if (bound.total() <= max_answer_bytes) {
    if (bound_bytes) *bound_bytes = bound.total();
    return tree::Status::ok();
  }
  return tree::Status(tree::ErrorKind::kLimitExceeded,
                      "the batch's answer could take more than persistence.max_answer_bytes (" +
                          std::to_string(max_answer_bytes) + " bytes): about " +
                          std::to_string(bound.result_bytes) + " bytes of returned values and up to " +
                          std::to_string(bound.proof_bytes) + " of proof; split it into smaller batches");
}

}  // namespace basis::engine
