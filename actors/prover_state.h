// The tree prover's state and the steps of it that live outside
// tree_prover.cc (the rollback, in prover_rollback.cc). Used only by the
// prover actor, on its own thread: not thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include "actors/protocol.h"
#include "actors/tree_prover.h"

namespace basis::actors::prover_internal {

struct Pending {
  uint64_t batch_id;  // durable once this batch id is
  std::shared_ptr<BatchJob> job;
  BatchResult result;
  std::shared_ptr<RecordGroup> group;  // kept to resend to a restarted appender
};

struct State {
  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  // Gives back what the tree charged to the store's memory budget.
  ~State() {
    if (setup && setup->db) setup->db->memory_budget().charge(-static_cast<int64_t>(charged_bytes));
  }
  std::shared_ptr<ProverSetup> setup;
  uint64_t charged_bytes = 0;  // the tree in memory, as last charged to the store's budget
  uint64_t next_batch_id = 1;
  uint64_t last_sent_batch = 0;
  uint64_t durable_batch = 0;
  std::deque<Pending> pending;
  // Batches held back while checkpoints lag (see seals_lag), or behind a
  // rollback waiting for its turn; reads wait behind them.
  std::deque<std::shared_ptr<BatchJob>> stalled;
  std::deque<std::shared_ptr<ReadJob>> reads;
  uint64_t operations_since_seal = 0;
  // A checkpoint of this version is sent once batch `seal_after` is durable,
  // so that no checkpoint ever runs ahead of the log.
  std::optional<SealOrder> seal;
  uint64_t seal_after = 0;
  tree::Status last_checkpoint;  // how the last periodic checkpoint ended
  // Node shipments: every node handed out up to `stored_through` is durable.
  uint64_t last_ship = 0;
  uint64_t stored_through = 0;
  // Periodic seals sent and not answered yet. A new seal waits for zero, so
  // node writer and checkpointer never fall behind by more than one version.
  int outstanding_seals = 0;
  tree::Status stopped;
  // After a failed write: batches are refused until `retry_at`, and reports
  // for batches sent up to `rolled_back_through` are stale.
  std::chrono::steady_clock::time_point retry_at;
  std::chrono::milliseconds backoff{0};
  uint64_t rolled_back_through = 0;
  // A transaction part that passed its checks and waits for the host's
  // decision (`held`), then for its write (`held_batch`): nothing else is
  // applied to the tree meanwhile, and reads wait.
  std::shared_ptr<BatchJob> held;
  uint64_t held_batch = 0;
};

// OK, or why writes are refused now; once the back-off after a failed write
// is over, writing is tried again (the tree is the durable one).
const tree::Status& writes_allowed(State& st);
// A checkpoint of the version as it is now, sent once its last batch is durable.
void request_seal(prover_actor::pointer self, State& st);
void send_due_seal(prover_actor::pointer self, State& st);

// Applies a batch's operations (tree_prover.cc); its records go to the
// appender, or to the transaction gate for a transaction part.
void apply_batch(prover_actor::pointer self, State& st, std::shared_ptr<BatchJob> job);
// The checks a batch passes before it is applied: OK, or why it is refused.
// With `answer_bytes`: the bound on its answer, when it passes.
tree::Status check_batch(State& st, const BatchJob& job, uint64_t* answer_bytes = nullptr);

// Transaction parts (prover_transaction.cc): whether one may be prepared
// now, its preparation, and the host's decision.
bool transaction_may_run(const State& st);
void prepare_part(prover_actor::pointer self, State& st, std::shared_ptr<BatchJob> job);
void decide_part(prover_actor::pointer self, State& st, bool commit);

// Whether a rollback may run now (prover_rollback.cc).
bool rollback_may_run(const State& st);
// The live tree becomes the job's version; answered once its record is durable.
void run_rollback(prover_actor::pointer self, State& st, std::shared_ptr<BatchJob> job);

}  // namespace basis::actors::prover_internal
