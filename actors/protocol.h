// The messages the runtime's actors exchange. All of them stay inside one
// process, so payloads travel as shared pointers (never serialized).
#pragma once

#include <caf/all.hpp>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "basis/batch.h"
#include "basis/rollback.h"
#include "storage/oplog.h"

namespace basis::actors {

// caller -> prover
using apply_atom = caf::atom_constant<caf::atom("apply")>;
using read_atom = caf::atom_constant<caf::atom("read")>;
// prover -> oplog appender -> prover
using append_atom = caf::atom_constant<caf::atom("append")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using durable_atom = caf::atom_constant<caf::atom("durable")>;
// prover -> node writer -> checkpointer
using nodes_atom = caf::atom_constant<caf::atom("nodes")>;
using seal_atom = caf::atom_constant<caf::atom("seal")>;
using stored_atom = caf::atom_constant<caf::atom("stored")>;  // node writer -> prover
// supervision: which actor, a restarted actor's new handle
using appender_atom = caf::atom_constant<caf::atom("appender")>;
using writer_atom = caf::atom_constant<caf::atom("nodewriter")>;
using checkpointer_atom = caf::atom_constant<caf::atom("checkpoint")>;
using restarted_atom = caf::atom_constant<caf::atom("restarted")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
// (pin_atom, id, bool on) -> tree::Status: pins are decided by the
// checkpointer, the one actor that applies retention, so a pin answered OK
// can never race the removal of its checkpoint.
using pin_atom = caf::atom_constant<caf::atom("pin")>;
// supervisor -> itself: rebuild the prover from the durable state now
using rebuild_atom = caf::atom_constant<caf::atom("rebuild")>;
// prover -> appender: drop the groups queued before a rollback
using reset_atom = caf::atom_constant<caf::atom("reset")>;
// host -> prover: (decide_atom, commit) for the transaction part it holds
using decide_atom = caf::atom_constant<caf::atom("decide")>;

class TransactionGate;  // actors/transaction_gate.h

// A batch from a caller, answered through `promise` once durable. A job is
// always answered: one dropped unanswered (its prover failed, or there was
// none to take it) answers kUnavailable as it is destroyed, so no caller
// waits forever and no broken promise reaches one.
struct BatchJob {
  std::vector<OwnedOperation> operations;
  std::promise<BatchResult> promise;
  std::function<void()> on_done;  // after the promise is set: frees an in-flight slot
  // Set by the prover once the batch's records went to the log: a batch
  // dropped after that may still have been made durable.
  uint64_t logged_from = 0;
  // A rollback instead of operations: run in order with the batches, once
  // every batch before is durable and no checkpoint is being written. The
  // prover fills `rolled_back` before it sets the promise. Shared, so that
  // the caller keeps the answer and not the job: a job dropped unrun must
  // be destroyed to answer (see ~BatchJob).
  std::optional<RollbackTarget> rollback;
  std::shared_ptr<RollbackResult> rolled_back = std::make_shared<RollbackResult>();
  // Part `txn_part` of a transaction across trees: checked, then held until
  // the host decides, applied, and its records handed to the gate (the host
  // writes them with the other parts') instead of the appender.
  std::shared_ptr<TransactionGate> txn;
  size_t txn_part = 0;

  BatchJob() = default;
  BatchJob(const BatchJob&) = delete;
  BatchJob& operator=(const BatchJob&) = delete;
  ~BatchJob();

  void finish(BatchResult result);

 private:
  bool answered_ = false;
};

// Work that reads the prover's state, run once every earlier batch is
// durable. One dropped unrun calls `fail` as it is destroyed.
class ProverView;
struct ReadJob {
  std::function<void(ProverView&)> run;
  std::function<void(const tree::Status&)> fail;

  ReadJob() = default;
  ReadJob(const ReadJob&) = delete;
  ReadJob& operator=(const ReadJob&) = delete;
  ~ReadJob();

  void execute(ProverView& view);

 private:
  bool ran_ = false;
};

// One batch's log records and note updates.
struct RecordGroup {
  uint64_t batch_id = 0;
  std::vector<storage::OperationRecord> records;
  std::vector<storage::NoteUpdate> notes;
};

// Encoded nodes not stored yet: label, record.
struct NodeGroup {
  uint64_t ship_id = 0;  // increasing; stored_atom(id) says all up to id are durable
  std::vector<std::pair<tree::Label, std::string>> nodes;
};

// Seal the version with this digest as a checkpoint once its nodes are synced.
struct SealOrder {
  tree::Digest digest{};
  uint64_t last_sequence = 0;
  uint64_t new_nodes = 0;  // set by the node writer, which verified them
  bool collect_garbage = false;  // collect node garbage after it, whatever node_gc_every says
  // Flush the memtables after it (so a reopen replays little). A shutdown's
  // seals do not: the store's one flush at its end covers every tree.
  bool flush = true;
};

// The outcome of durable_atom: the highest batch id durable, or a failure.
struct DurableReport {
  uint64_t batch_id = 0;
  tree::Status status;
  // The failed write was tried (not refused before it): its records may
  // still have reached the log, where a restart would find them.
  bool maybe_logged = false;
};

// The actors' interfaces: every message each one takes, checked by the
// compiler at every send.

// Checkpoints and retention; the one decider of pins.
using checkpointer_actor =
    caf::typed_actor<caf::replies_to<seal_atom, SealOrder>::with<tree::Status>,
                     caf::replies_to<pin_atom, uint64_t, bool>::with<tree::Status>>;

// Node tables: shipments as they come (stored_atom to the shipper once
// durable), and seals, delegated to the checkpointer once the nodes are in.
using node_writer_actor =
    caf::typed_actor<caf::reacts_to<nodes_atom, std::shared_ptr<NodeGroup>>,
                     caf::replies_to<seal_atom, SealOrder>::with<tree::Status>,
                     caf::reacts_to<restarted_atom, checkpointer_atom, checkpointer_actor>>;

// The operation log's group commit: durable_atom to the prover after each write.
using appender_actor = caf::typed_actor<caf::reacts_to<append_atom, std::shared_ptr<RecordGroup>>,
                                        caf::reacts_to<flush_atom>, caf::reacts_to<reset_atom>>;

// The tree's one owner. seal_atom alone is its checkpoint tick.
using prover_actor =
    caf::typed_actor<caf::reacts_to<apply_atom, std::shared_ptr<BatchJob>>,
                     caf::reacts_to<read_atom, std::shared_ptr<ReadJob>>,
                     caf::reacts_to<durable_atom, DurableReport>, caf::reacts_to<stored_atom, uint64_t>,
                     caf::reacts_to<restarted_atom, appender_atom, appender_actor>,
                     caf::reacts_to<restarted_atom, writer_atom, node_writer_actor>,
                     caf::reacts_to<restarted_atom, checkpointer_atom>, caf::reacts_to<seal_atom>,
                     caf::reacts_to<decide_atom, bool>>;

// The supervisor: the actors as they are now, and how often one was replaced.
using supervisor_actor =
    caf::typed_actor<caf::reacts_to<rebuild_atom>, caf::replies_to<get_atom, appender_atom>::with<appender_actor>,
                     caf::replies_to<get_atom, writer_atom>::with<node_writer_actor>,
                     caf::replies_to<get_atom, checkpointer_atom>::with<checkpointer_actor>,
                     caf::replies_to<get_atom>::with<uint64_t>>;

}  // namespace basis::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(basis::actors::checkpointer_actor)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(basis::actors::node_writer_actor)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(basis::actors::appender_actor)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<basis::actors::BatchJob>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<basis::actors::ReadJob>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<basis::actors::RecordGroup>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<basis::actors::NodeGroup>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(basis::actors::SealOrder)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(basis::actors::DurableReport)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(basis::tree::Status)
