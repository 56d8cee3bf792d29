// Verifying stored trees: every node a version reaches is stored and hashes
// to its label. A leaf stored without its keys is checked with the keys its
// path gives, so a damaged search key in an internal node is caught too.
#pragma once

#include <atomic>
#include <functional>
#include <span>

#include "storage/database.h"
#include "storage/records.h"

namespace basis::storage {

// Reads every node reachable from `digest`'s root straight from the nodes
// family, checks each against its label and counts them. Subtrees are
// checked on `parallelism` threads.
// Stops between levels, with kBusy, once `*cancel` is set; `progress`, when
// given, hears the count of nodes checked after each level.
Status verify_tree(const Database& db, const Digest& digest, int parallelism, uint64_t* nodes,
                   const std::atomic<bool>* cancel = nullptr,
                   const std::function<void(uint64_t)>& progress = {});

// Checks the version `digest` given that every node of it not in `fresh` was
// verified before (as part of an earlier checkpoint): each fresh node it
// reaches is stored and hashes to its label, and every child they name is
// stored. Fresh nodes the version does not reach are not looked at.
Status verify_nodes(const Database& db, const Digest& digest, std::span<const tree::Label> fresh);

}  // namespace basis::storage
