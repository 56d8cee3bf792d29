// Node garbage collection: removing the nodes that no version in use
// reaches. Nodes are keyed by label, so a node can die in one version and be
// born again, identical, in a later one: the collection must not run while
// nodes are written, and it must be given every root in use.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "storage/database.h"
#include "storage/keyspace.h"

namespace basis::storage {

struct GcReport {
  uint64_t live = 0;     // nodes the roots reach
  uint64_t removed = 0;  // nodes removed
  uint64_t removed_bytes = 0;
};

// Counters a process keeps over its collections (read by metrics).
struct GcCounters {
  std::atomic<uint64_t> runs{0}, failures{0}, removed{0}, removed_bytes{0}, live{0};
};

// Marks every node reachable from `roots`, then removes every other node.
// Holds about 70 bytes per stored node meanwhile. Nothing may write the
// nodes family meanwhile. A node on the way that is missing or undecodable
// stops the collection before anything is removed.
// In the nodes of the tree in `keyspace`.
Status collect_garbage(Database* db, const std::vector<Digest>& roots, GcReport* out,
                       const Keyspace& keyspace = Keyspace());

}  // namespace basis::storage
