// Writing many nodes at once by building a sorted table file and ingesting it
// into the nodes family: no memtable, no flush, and the file is synced before
// it becomes visible. A few nodes (a small tree's seal) go through one synced
// write batch instead (below Database::ingest_min_bytes()): a table file
// each would never be merged with the
// others (the trees' key ranges do not overlap), and a store of many trees
// would gather thousands, each an open file and a manifest write.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "storage/database.h"
#include "storage/keyspace.h"

namespace basis::storage {

using EncodedNodes = std::span<std::pair<tree::Label, std::string>>;


// Writes `nodes` (label, encoded record; any order, repeats allowed) durably;
// a table file's block checksums are checked before it is ingested. `nodes`
// is sorted in place.
// Into the nodes of the tree in `keyspace`.
Status ingest_nodes(Database* db, EncodedNodes nodes, const Keyspace& keyspace = Keyspace());
inline Status ingest_nodes(Database* db, std::vector<std::pair<tree::Label, std::string>>* nodes,
                           const Keyspace& keyspace = Keyspace()) {
  return ingest_nodes(db, EncodedNodes(*nodes), keyspace);
}

}  // namespace basis::storage
