// The tree prover's side of transactions across trees (prover_state.h,
// actors/transaction_gate.h): a part is checked like a batch once every
// batch before it is durable, then the tree is held (nothing else applied,
// reads waiting) until the host decides and the part is durable.
#include "actors/prover_state.h"
#include "actors/transaction_gate.h"

namespace basis::actors::prover_internal {

// Its records must follow everything before them in the log, and nothing
// after them may reach the log first: the host writes them, not the appender.
bool transaction_may_run(const State& st) { return st.pending.empty(); }

void prepare_part(prover_actor::pointer self, State& st, std::shared_ptr<BatchJob> job) {
  uint64_t answer_bytes = 0;
  tree::Status s = check_batch(st, *job, &answer_bytes);
  // The whole answer is held at once: max_answer_bytes bounds the parts' sum.
  if (s.is_ok()) s = job->txn->charge_answer(answer_bytes, st.setup->config.persistence.max_answer_bytes);
  job->txn->prepared(job->txn_part, s, self);
  if (!s.is_ok()) {
    BatchResult r;
    r.status = std::move(s);
    job->finish(std::move(r));
    return;
  }
  st.held = std::move(job);
}

void decide_part(prover_actor::pointer self, State& st, bool commit) {
  if (!st.held || st.held_batch != 0) return;  // none held, or applied already: stale
  std::shared_ptr<BatchJob> job = std::move(st.held);
  if (!commit) {
    BatchResult r;
    r.status = tree::Status(tree::ErrorKind::kUnavailable, "not applied: another part of the transaction was refused");
    job->finish(std::move(r));
    return;
  }
  st.held = job;  // held on until durable (see the durable report)
  apply_batch(self, st, std::move(job));
  if (st.held_batch == 0) st.held.reset();  // not applied after all (the prover failed): nothing to wait for
}

}  // namespace basis::actors::prover_internal
