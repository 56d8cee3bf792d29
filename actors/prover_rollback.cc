// The tree prover's rollbacks (prover_state.h): planned from storage by
// engine::plan_rollback, logged through the appender like a batch.
#include "actors/prover_state.h"
#include "engine/rollback.h"

namespace basis::actors::prover_internal {

// A rollback builds its version from storage, so everything before it must
// be there: every batch durable, and no checkpoint under way (one finishing
// after the rollback could let retention drop the version it builds on).
bool rollback_may_run(const State& st) { return st.pending.empty() && !st.seal && st.outstanding_seals == 0; }

// The live tree becomes the job's version; its record goes to the log like
// a batch's, and the new version is checkpointed as soon as it is durable.
void run_rollback(prover_actor::pointer self, State& st, std::shared_ptr<BatchJob> job) {
  ProverSetup& setup = *st.setup;
  BatchResult r;
  r.start_digest = r.digest = setup.prover->digest();
  r.last_sequence = setup.last_sequence;
  r.status = writes_allowed(st);
  engine::RollbackPlan p;
  if (r.status.is_ok()) {
    r.status = engine::plan_rollback(setup.db, setup.config, *setup.prover, setup.last_sequence, *job->rollback, &p);
  }
  *job->rolled_back = p.result;
  if (!r.status.is_ok() || !p.needed) {
    job->rolled_back->status = r.status;
    job->finish(std::move(r));
    return;
  }
  setup.prover = std::move(p.prover);
  setup.resolver = std::move(p.resolver);
  setup.last_sequence = p.result.sequence;
  r.digest = p.result.digest;
  r.first_sequence = r.last_sequence = p.result.sequence;
  auto group = std::make_shared<RecordGroup>();
  group->records.push_back(std::move(p.record));
  group->notes = std::move(p.notes);
  group->batch_id = st.next_batch_id++;
  st.last_sent_batch = group->batch_id;
  job->logged_from = p.result.sequence;
  self->send(setup.appender, append_atom::value, group);
  st.pending.push_back(Pending{st.last_sent_batch, std::move(job), std::move(r), std::move(group)});
  st.operations_since_seal = 0;
  request_seal(self, st);
  send_due_seal(self, st);
}

}  // namespace basis::actors::prover_internal
