// Writing many nodes at once by building a sorted table file and ingesting it
// into the nodes family: no memtable, no flush, and the file is synced before
// it becomes visible.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "storage/database.h"

namespace basis::storage {

// Writes `nodes` (label, encoded record; any order, repeats allowed) durably.
// `nodes` is sorted in place.
Status ingest_nodes(Database* db, std::vector<std::pair<tree::Label, std::string>>* nodes);

}  // namespace basis::storage
