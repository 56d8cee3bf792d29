// Verifying stored trees: every node a version reaches is stored and hashes
// to its label. A leaf stored without its keys is checked with the keys its
// path gives, so a damaged search key in an internal node is caught too.
#pragma once

#include <atomic>
#include <functional>
#include <span>

#include "storage/database.h"
#include "storage/keyspace.h"
#include "storage/records.h"

namespace basis::storage {

// Reads every node reachable from `digest`'s root straight from the nodes
// family, checks each against its label and counts them. Subtrees are
// checked on `parallelism` threads.
// Stops between levels, with kBusy, once `*cancel` is set; `progress`, when
// given, hears the count of nodes checked after each level.
Status verify_tree(const Database& db, const Digest& digest, int parallelism, uint64_t* nodes,
                   const std::atomic<bool>* cancel = nullptr,
                   const std::function<void(uint64_t)>& progress = {}, const Keyspace& keyspace = Keyspace());

// Checks the version `digest` given that every node of it not in `written`
// was verified before (as part of an earlier checkpoint): each record in
// `written` (label, encoded record: what was just stored) that the version
// reaches hashes to its label, with a leaf's keys from its path, and every
// other node those records name is stored. Records the version does not
// reach are not looked at. The records are checked as they were handed to
// the store; that the store holds those bytes is the write's checksums'
// business (see ingest_nodes).
Status verify_written_nodes(const Database& db, const Digest& digest,
                            std::span<const std::pair<tree::Label, std::string>> written,
                            const Keyspace& keyspace = Keyspace());

}  // namespace basis::storage
