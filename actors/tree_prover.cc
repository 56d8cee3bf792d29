#include "actors/tree_prover.h"

#include <chrono>
#include <deque>
#include <optional>

#include "engine/answer_limit.h"
#include "engine/logger.h"
#include "engine/recovery.h"
#include "engine/rollback.h"
#include "actors/protocol.h"
#include "actors/prover_state.h"
#include "actors/prover_reports.h"
#include "actors/transaction_gate.h"
#include "storage/node_store.h"

namespace basis::actors {

using namespace prover_internal;

namespace {

constexpr std::chrono::milliseconds kFirstBackoff{500};
constexpr std::chrono::milliseconds kMaxBackoff{30'000};

// A write of the log failed: the tree holds operations that are not durable.
// Go back to the durable tree (recovered from storage as at start-up), and
// refuse batches for a while; reads go on, on the durable state.
void roll_back(prover_actor::pointer self, State& st, const tree::Status& failure) {
  ProverSetup& setup = *st.setup;
  st.rolled_back_through = st.last_sent_batch;
  st.seal.reset();  // it was of a version that is not durable
  self->send(setup.appender, reset_atom::value);
  engine::Recovered r;
  tree::Status s = engine::recover(setup.db, setup.config, &r);
  if (s.is_ok() && r.path == RecoveryPath::kNotesRebuild) {
    s = tree::Status(tree::ErrorKind::kCorruption, "only a rebuild from notes would do, which needs a restart");
  }
  auto log = engine::runtime_logger(setup.config);
  if (!s.is_ok()) {
    // Quit: the supervisor rebuilds a prover once the store reads again.
    st.stopped = tree::Status(tree::ErrorKind::kIOError, "storage failed (" + failure.to_string() +
                                                             ") and the durable tree cannot be read back: " +
                                                             s.to_string());
    log->error("{}", st.stopped.to_string());
    setup.reports->storage_failed(st.stopped);
    self->quit(caf::make_error(caf::sec::runtime_error, st.stopped.to_string()));
    return;
  }
  setup.prover = std::move(r.prover);
  setup.resolver = std::move(r.resolver);
  setup.last_sequence = r.last_sequence;
  st.backoff = st.backoff.count() == 0 ? kFirstBackoff : std::min(kMaxBackoff, st.backoff * 2);
  st.retry_at = std::chrono::steady_clock::now() + st.backoff;
  const tree::ErrorKind kind =
      failure.kind() == tree::ErrorKind::kResourceExhausted ? tree::ErrorKind::kResourceExhausted : tree::ErrorKind::kIOError;
  st.stopped = tree::Status(kind, "batches are refused after a storage failure (" + failure.to_string() +
                                "); reads and proofs are served at sequence " + std::to_string(r.last_sequence) +
                                ", and writing is tried again in " + std::to_string(st.backoff.count()) + " ms");
  log->error("{}", st.stopped.to_string());
}

void ship_nodes(prover_actor::pointer self, State& st);



void seal_answered(prover_actor::pointer self, State& st, tree::Status checkpoint);



// Whether a new periodic seal may start: the last one is answered (the node
// writer writes everything shipped before it delegates a seal).
bool can_seal(const State& st) { return !st.seal && st.outstanding_seals == 0; }

bool changes_value(tree::OpType t) {
  return t == tree::OpType::kInsert || t == tree::OpType::kUpdate || t == tree::OpType::kInsertOrUpdate;
}

// Sends the tree's unstored nodes to the node writer.
void ship_nodes(prover_actor::pointer self, State& st) {
  auto group = std::make_shared<NodeGroup>();
  tree::BatchProver& prover = *st.setup->prover;
  (void)prover.visit_unstored_nodes([&](const tree::Node& n) {
    group->nodes.emplace_back(n.label, storage::encode(storage::to_record(n, prover.pool())));
  });
  if (group->nodes.empty()) return;
  group->ship_id = ++st.last_ship;
  self->send(st.setup->node_writer, nodes_atom::value, std::move(group));
}

// Keeps the tree within its share of node_cache_size, and the store within
// the budget all its trees share: once every node handed out is durable,
// stored subtrees below the top levels go back to the store.
void bound_memory(State& st) {
  tree::BatchProver& prover = *st.setup->prover;
  const uint64_t budget = st.setup->config.persistence.node_cache_size / 2;
  storage::MemoryBudget& store = st.setup->db->memory_budget();
  auto charge_live = [&] {
    const uint64_t live = prover.pool().live_bytes();
    store.charge(static_cast<int64_t>(live) - static_cast<int64_t>(st.charged_bytes));
    st.charged_bytes = live;
  };
  charge_live();
  if (st.stored_through < st.last_ship || (prover.pool().live_bytes() <= budget && !store.over())) return;
  // Keep about a quarter of the budget resident: the top levels every path crosses.
  uint64_t nodes = std::max<uint64_t>(16, budget / 4 / prover.pool().node_size());
  int depth = 0;
  while ((uint64_t{2} << depth) <= nodes) ++depth;
  size_t released = 0;
  (void)prover.unload_below(depth, &released);  // fails only while a batch is pending: never here
  charge_live();
}

void run_reads(prover_actor::pointer self, State& st) {
  while (st.pending.empty() && st.stalled.empty() && !st.held && !st.reads.empty()) {
    ProverView view(st.setup->prover.get(), st.setup->resolver.get(), st.setup->last_sequence,
                    [self, &st] { ship_nodes(self, st); }, st.stopped);
    st.reads.front()->execute(view);
    st.reads.pop_front();
  }
}



}  // namespace

namespace prover_internal {

tree::Status check_batch(State& st, const BatchJob& job, uint64_t* answer_bytes) {
  const auto& cfg = st.setup->config;
  tree::Status s = writes_allowed(st);
  if (s.is_ok() && job.operations.size() > cfg.persistence.operation_batch_size) {
    s = tree::Status(tree::ErrorKind::kLimitExceeded,
                     "batch of " + std::to_string(job.operations.size()) +
                         " operations exceeds operation_batch_size " +
                         std::to_string(cfg.persistence.operation_batch_size));
  }
  if (s.is_ok()) {
    s = engine::check_answer_size(*st.setup->prover, job.operations, cfg.persistence.max_answer_bytes, answer_bytes);
  }
  return s;
}

void apply_batch(prover_actor::pointer self, State& st, std::shared_ptr<BatchJob> job) {
  BatchResult r;
  tree::BatchProver& prover = *st.setup->prover;
  const auto& cfg = st.setup->config;
  r.status = check_batch(st, *job);
  if (!r.status.is_ok()) {
    if (tree::is_storage_failure(r.status)) {
      // The tree cannot be read: batches behind this one must not be applied
      // around a refused one. The supervisor rebuilds the prover.
      st.stopped = r.status;
      st.setup->reports->storage_failed(r.status);
      self->quit(caf::make_error(caf::sec::runtime_error, "reading the tree: " + r.status.to_string()));
    }
    job->finish(std::move(r));
    return;
  }
  auto group = std::make_shared<RecordGroup>();
  r.start_digest = prover.digest();
  tree::Digest before = r.start_digest;
  r.statuses.reserve(job->operations.size());
  r.outcomes.resize(job->operations.size());
  for (size_t i = 0; i < job->operations.size(); ++i) {
    const OwnedOperation& op = job->operations[i];
    tree::Status s = prover.perform(op.view(), &r.outcomes[i]);
    r.statuses.push_back(s);
    if (!prover.status().is_ok()) {
      st.stopped = prover.status();  // a storage failure mid-change: the tree is not whole
      break;
    }
    if (tree::is_storage_failure(s)) {
      // A node could not be read: the batch must not be half applied (its
      // other operations are in the tree already), so none of it is.
      st.stopped = tree::Status(s.kind(), "operation " + std::to_string(i) + " of the batch: " + s.message());
      break;
    }
    if (!s.is_ok() || op.type == tree::OpType::kLookup) continue;
    tree::Digest after = prover.digest();
    if (after == before) continue;  // nothing changed: no sequence number
    storage::OperationRecord rec;
    rec.sequence = ++st.setup->last_sequence;
    rec.type = op.type;
    rec.key = op.key;
    rec.value = op.value;
    rec.delta = op.delta;
    rec.had_previous = r.outcomes[i].existed;
    rec.previous = r.outcomes[i].old_value;
    rec.digest_before = before;
    rec.digest_after = after;
    storage::NoteUpdate note{op.key, std::nullopt};
    uint64_t first = r.outcomes[i].existed ? 0 : rec.sequence;  // 0: keep the stored one
    if (changes_value(op.type)) {
      note.note = storage::NoteRecord{op.value, first};
    } else if (op.type == tree::OpType::kUpdateLongBy) {
      tree::OpOutcome now;
      if (prover.get(op.view().key, &now).is_ok() && now.existed) {
        note.note = storage::NoteRecord{now.old_value, first};
      }
    }
    group->records.push_back(std::move(rec));
    group->notes.push_back(std::move(note));
    before = after;
  }
  if (!st.stopped.is_ok()) {
    // This prover cannot go on: the supervisor rebuilds one from the durable state.
    st.setup->reports->storage_failed(st.stopped);
    job->finish(BatchResult{st.stopped, {}, {}, {}, {}, {}, 0, 0});
    self->quit(caf::make_error(caf::sec::runtime_error, st.stopped.to_string()));
    return;
  }
  prover.generate_proof(&r.proof);
  r.digest = prover.digest();
  r.last_sequence = st.setup->last_sequence;
  size_t logged = group->records.size();
  if (logged > 0) r.first_sequence = group->records.front().sequence;
  if (job->txn) {
    // A transaction part: the host writes it with the other parts, and
    // reports it like the appender would, records or none.
    group->batch_id = st.next_batch_id++;
    st.last_sent_batch = st.held_batch = group->batch_id;
    job->logged_from = r.first_sequence;
    std::shared_ptr<TransactionGate> gate = job->txn;
    const size_t part = job->txn_part;
    st.pending.push_back(Pending{group->batch_id, std::move(job), std::move(r), group});
    gate->grouped(part, std::move(group));
  } else if (logged > 0) {
    group->batch_id = st.next_batch_id++;
    st.last_sent_batch = group->batch_id;
    job->logged_from = r.first_sequence;
    self->send(st.setup->appender, append_atom::value, group);
  } else {
    group.reset();
  }
  if (!job) {
    // a transaction part, pending above
  } else if (st.pending.empty() && logged == 0) {
    job->finish(std::move(r));  // nothing to wait for
  } else {
    st.pending.push_back(Pending{st.last_sent_batch, std::move(job), std::move(r), std::move(group)});
  }
  const auto& interval = cfg.persistence.checkpoint_interval;
  st.operations_since_seal += logged;
  if (interval.every.count() == 0 && st.operations_since_seal >= interval.operations && can_seal(st)) {
    st.operations_since_seal = 0;
    request_seal(self, st);
    send_due_seal(self, st);
  }
}

}  // namespace prover_internal

namespace {

// Under a load the node writer cannot keep up with, checkpoints fall behind
// and a crash would leave ever more of the log to replay. So once a seal is
// under way and the log has run checkpoint_lag_limit operations past it,
// batches wait (in order, reads behind them) until it is done, as RocksDB
// stalls writes.
bool seals_lag(const State& st) {
  const auto& p = st.setup->config.persistence;
  if (p.checkpoint_interval.every.count() > 0 || p.checkpoint_lag_limit == 0 || !st.stopped.is_ok()) {
    return false;  // time-based checkpoints, no limit, or refusing batches anyway
  }
  return !can_seal(st) && st.operations_since_seal >= p.checkpoint_lag_limit;
}

void submit_batch(prover_actor::pointer self, State& st, std::shared_ptr<BatchJob> job) {
  if (!st.held && job->rollback && st.stalled.empty() && rollback_may_run(st)) {
    run_rollback(self, st, std::move(job));
    return;
  }
  if (!st.held && job->txn && st.stalled.empty() && transaction_may_run(st)) {
    prepare_part(self, st, std::move(job));
    return;
  }
  if (st.held || job->rollback || job->txn || !st.stalled.empty() || seals_lag(st)) {
    if (!job->rollback && !job->txn && !st.held) st.setup->reports->count_stalled_batch();
    st.stalled.push_back(std::move(job));
    return;
  }
  apply_batch(self, st, std::move(job));
}

// After a batch became durable or a seal was answered (or lost with a
// restarted actor).
void resume_stalled(prover_actor::pointer self, State& st) {
  while (!st.stalled.empty() && !st.held) {
    const bool rollback = st.stalled.front()->rollback.has_value();
    const bool part = st.stalled.front()->txn != nullptr;
    if (rollback ? !rollback_may_run(st) : part ? !transaction_may_run(st) : seals_lag(st)) break;
    std::shared_ptr<BatchJob> job = std::move(st.stalled.front());
    st.stalled.pop_front();
    if (part) {
      prepare_part(self, st, std::move(job));
    } else if (rollback) {
      run_rollback(self, st, std::move(job));
    } else {
      apply_batch(self, st, std::move(job));
    }
  }
  run_reads(self, st);
}

// The checkpointer's answer to a periodic seal. A failed checkpoint loses
// nothing (the log still holds every operation); the next seal tries again.
void seal_answered(prover_actor::pointer self, State& st, tree::Status checkpoint) {
  st.outstanding_seals = std::max(0, st.outstanding_seals - 1);
  if (!checkpoint.is_ok()) engine::runtime_logger(st.setup->config)->error("checkpoint failed: {}", checkpoint.to_string());
  st.last_checkpoint = std::move(checkpoint);
  resume_stalled(self, st);
}

}  // namespace

namespace prover_internal {

// Nodes go to the node writer only when a version is sealed: nodes created
// and superseded in between are never written (the log, not the nodes, makes
// a batch durable).
void request_seal(prover_actor::pointer self, State& st) {
  ship_nodes(self, st);
  tree::BatchProver& prover = *st.setup->prover;
  st.seal = SealOrder{prover.digest(), st.setup->last_sequence};
  st.seal_after = st.last_sent_batch;
}

void send_due_seal(prover_actor::pointer self, State& st) {
  if (st.seal && st.durable_batch >= st.seal_after) {
    State* state = &st;  // the answer is handled by this actor, while it lives
    self->request(st.setup->node_writer, caf::infinite, seal_atom::value, std::move(*st.seal))
        .then([self, state](tree::Status& done) { seal_answered(self, *state, std::move(done)); },
              [self, state](caf::error& e) {
                // The node writer died with it: the seal is lost, the next one writes every node again.
                seal_answered(self, *state, tree::Status(tree::ErrorKind::kIOError,
                                                         "node writer: " + self->system().render(e)));
              });
    st.seal.reset();
    ++st.outstanding_seals;
  }
}

// OK, or why writes are refused now; once the back-off after a failed write
// is over, writing is tried again (the tree is the durable one).
const tree::Status& writes_allowed(State& st) {
  if (!st.stopped.is_ok() && st.backoff.count() > 0 && std::chrono::steady_clock::now() >= st.retry_at) {
    st.stopped = tree::Status::ok();
  }
  return st.stopped;
}

}  // namespace prover_internal

prover_actor::behavior_type tree_prover(prover_actor::pointer self, std::shared_ptr<ProverSetup> setup) {
  auto st = std::make_shared<State>();
  st->setup = std::move(setup);
  // An exception (std::bad_alloc, say) leaves the tree half changed: the
  // prover quits, naming it, and the supervisor rebuilds one.
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& x) -> caf::error {
    try {
      std::rethrow_exception(x);
    } catch (const std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, std::string("exception in the tree prover: ") + e.what());
    } catch (...) {
      return caf::make_error(caf::sec::runtime_error, "unknown exception in the tree prover");
    }
  });
  // What recovery created ships with the next seal: shipping it here would
  // delay the first answer by encoding every replayed node.
  const auto every = st->setup->config.persistence.checkpoint_interval.every;
  if (every.count() > 0) self->delayed_send(self, every, seal_atom::value);
  return {
      [=](apply_atom, std::shared_ptr<BatchJob>& job) { submit_batch(self, *st, std::move(job)); },
      [=](read_atom, std::shared_ptr<ReadJob>& job) {
        st->reads.push_back(std::move(job));
        run_reads(self, *st);
      },
      [=](durable_atom, DurableReport& report) {
        if (!report.status.is_ok() && report.batch_id <= st->rolled_back_through) return;  // already rolled back
        if (report.status.is_ok()) {
          st->backoff = std::chrono::milliseconds(0);  // writing works again
          st->durable_batch = std::max(st->durable_batch, report.batch_id);
        }
        while (!st->pending.empty() &&
               (!report.status.is_ok() || st->pending.front().batch_id <= report.batch_id)) {
          Pending& p = st->pending.front();
          if (!report.status.is_ok() && !report.maybe_logged) {
            p.result = BatchResult{report.status, {}, {}, {}, {}, {}, 0, 0};
          } else if (!report.status.is_ok()) {
            // A write that failed part way (a failed sync, say) may have left
            // the records in the log file, where a restart finds them.
            p.result = BatchResult{tree::Status(report.status.kind(),
                                                report.status.message() + "; the batch is not acknowledged, but " +
                                                    "its records may have reached the log: after a restart, " +
                                                    "read the log from sequence " +
                                                    std::to_string(p.job->logged_from) + " before retrying it"),
                                   {}, {}, {}, {}, {}, 0, 0};
          }
          p.job->finish(std::move(p.result));
          st->pending.pop_front();
        }
        if (st->held_batch != 0 && (!report.status.is_ok() || st->durable_batch >= st->held_batch)) {
          st->held.reset();  // the transaction part is durable (or failed): the tree goes on
          st->held_batch = 0;
        }
        if (report.status.is_ok()) {
          send_due_seal(self, *st);
        } else {
          roll_back(self, *st, report.status);
        }
        resume_stalled(self, *st);  // after a roll-back, they are refused at once
      },
      [=](stored_atom, uint64_t ship_id) {
        st->stored_through = std::max(st->stored_through, ship_id);
        bound_memory(*st);
      },
      [=](restarted_atom, appender_atom, appender_actor& a) {
        // The old appender's queue is gone: resend what is not durable yet.
        st->setup->appender = std::move(a);
        for (const Pending& p : st->pending) {
          if (p.group) self->send(st->setup->appender, append_atom::value, p.group);
        }
      },
      [=](restarted_atom, writer_atom, node_writer_actor& w) {
        // Nodes the old writer accepted may be lost: write them all again
        // with the next seal, which verifies them.
        st->setup->node_writer = std::move(w);
        st->setup->prover->forget_stored();
        st->outstanding_seals = 0;           // a seal it held is never answered
        st->stored_through = st->last_ship;  // everything ships again with the next seal
        resume_stalled(self, *st);
      },
      [=](restarted_atom, checkpointer_atom) {
        // A seal in flight was lost: write and check every node again with the next.
        st->setup->prover->forget_stored();
        st->outstanding_seals = 0;
        resume_stalled(self, *st);
      },
      [=](decide_atom, bool commit) {
        decide_part(self, *st, commit);
        resume_stalled(self, *st);
      },
      [=](seal_atom) {  // the time-based checkpoint tick
        if (can_seal(*st)) {
          request_seal(self, *st);
          send_due_seal(self, *st);
        }
        self->delayed_send(self, every, seal_atom::value);
      },
  };
}

}  // namespace basis::actors
