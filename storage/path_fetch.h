// Reading the search paths of many keys at once: what a replay will touch,
// loaded before it starts.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "storage/database.h"
#include "storage/keyspace.h"
#include "basis/tree/bytes.h"

namespace basis::storage {

using EncodedNode = std::pair<tree::Label, std::string>;  // label, stored record

// Appends to `out` every stored node on the search paths of `keys` (sorted,
// without duplicates) in the tree whose root is `root`. Reads a level at a
// time with one batched read per level; below the top levels the subtrees
// are split among `threads` threads. Stops quietly at a node it cannot read
// or decode: whoever resolves that node later reports it.
void fetch_paths(const Database& db, const tree::Label& root, const std::vector<tree::Bytes>& keys,
                 int threads, std::vector<EncodedNode>* out, const Keyspace& keyspace = Keyspace());

}  // namespace basis::storage
