// The recovery supervisor's running part: it monitors the oplog appender, the
// node writer and the checkpointer, restarts one that fails, and brings it
// back in step through the prover (which resends what is not durable and
// rewrites what may not be stored). Recovery itself runs before it starts
// (recovery.h), so nothing is served before the tree is recovered.
#pragma once

#include <caf/all.hpp>

#include "config/config.h"
#include "storage/database.h"
#include "storage/node_gc.h"

namespace basis::actors {

struct SupervisedActors {
  caf::actor prover;
  caf::actor appender;
  caf::actor node_writer;
  caf::actor checkpointer;
  std::shared_ptr<storage::GcCounters> gc_counters;  // kept across node writer restarts
};

// Handles get_atom(appender_atom | writer_atom | checkpointer_atom) -> actor,
// and quits (stopping the supervised actors) on an exit message.
caf::behavior supervisor(caf::event_based_actor* self, storage::Database* db,
                         config::Config config, SupervisedActors actors);

}  // namespace basis::actors
