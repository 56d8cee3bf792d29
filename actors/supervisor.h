// The recovery supervisor's running part: it monitors every actor of the
// runtime and replaces one that fails. The oplog appender, node writer and
// checkpointer are restarted and brought back in step through the prover
// (which resends what is not durable and rewrites what may not be stored).
// A failed prover is rebuilt from the durable state (latest checkpoint and
// the log after it), once the appender has stopped writing for it; callers
// meanwhile get kUnavailable (see ProverSlot). Failures that repeat back off,
// and end in a refusal that says so rather than a loop. Recovery at start-up
// runs before it starts (recovery.h), so nothing is served before the tree
// is recovered. It runs on a thread of its own: a rebuild blocks.
#pragma once

#include <caf/all.hpp>

#include <atomic>
#include <memory>

#include "actors/protocol.h"
#include "actors/prover_reports.h"
#include "actors/prover_slot.h"
#include "basis/config.h"
#include "storage/database.h"
#include "storage/node_gc.h"

namespace basis::actors {

struct SupervisedActors {
  prover_actor prover;
  appender_actor appender;
  node_writer_actor node_writer;
  checkpointer_actor checkpointer;
  std::shared_ptr<storage::GcCounters> gc_counters;  // kept across node writer restarts
  std::shared_ptr<ProverReports> reports;  // kept across prover rebuilds
  std::shared_ptr<ProverSlot> slot;  // where callers find the prover; the supervisor writes it
};

// A prover that fails this often within kProverFailureWindow is not rebuilt again.
constexpr int kMaxProverFailures = 5;
constexpr std::chrono::seconds kProverFailureWindow{60};

// Handles get_atom(appender_atom | writer_atom | checkpointer_atom) -> actor,
// get_atom() -> restarts so far, and quits (stopping the supervised actors)
// on an exit message. Spawn it detached.
supervisor_actor::behavior_type supervisor(supervisor_actor::pointer self, storage::Database* db,
                                           config::Config config, SupervisedActors actors);

}  // namespace basis::actors
