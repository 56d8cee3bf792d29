// The health check: the tree as served against its digest and the notes.
// It runs between batches on the thread that owns the tree, when the notes
// hold exactly the tree's state (every batch applied is durable).
#pragma once

#include <cstdint>
#include <string>

#include "basis/reports.h"
#include "engine/progress.h"
#include "basis/tree/batch_prover.h"
#include "storage/database.h"
#include "storage/keyspace.h"

namespace basis::engine {

// Sampled (`samples` > 0): for random keys, the leaf holding each key must
// have a note with its value and a lookup proof that verifies against the
// digest; random notes must be in the tree with their values. Full
// (`samples` == 0): every leaf against every note, both ways, and every
// note's first insertion within the log (1..`last_sequence`); `progress`
// hears "checking notes" with the notes checked of about how many there are.
HealthReport check_health(tree::BatchProver& prover, const storage::Database& db, uint64_t last_sequence,
                          uint32_t samples, uint64_t seed, const ProgressFn& progress = {},
                          const storage::Keyspace& keyspace = storage::Keyspace());

}  // namespace basis::engine
