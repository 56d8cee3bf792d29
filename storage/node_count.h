// How many nodes a sealed version of the tree has, for its checkpoint
// record. An AVL+ tree's internal nodes each have two children and its
// leaves are its keys plus the -infinity sentinel, so a version with k keys
// has 2k + 1 nodes; the count follows the keys the log added and removed.
#pragma once

#include <cstdint>

#include "storage/database.h"
#include "storage/keyspace.h"
#include "storage/records.h"

namespace basis::storage {

// The nodes of version `digest`, the tree after operation `last_sequence`.
// With `base` (an earlier checkpoint whose node_count is known, nonzero),
// counted forward from it over the log records after it: each record's
// update decision (tree::decide_update on its previous value) says whether
// its key came or went. Counted from the stored nodes instead (a walk of
// the whole version, verify_tree on `parallelism` threads) when there is no
// such base, or the records do not lead from base->digest to `digest` (a
// rebased log, records that left it). `*out` is 0 when neither works.
Status count_version_nodes(Database* db, const CheckpointRecord* base, const Digest& digest, uint64_t last_sequence,
                           int parallelism, uint64_t* out, const Keyspace& keyspace = Keyspace());

}  // namespace basis::storage
