// The catalog of a store's named trees: name, id (the keyspace of its
// records, storage::Keyspace::for_tree) and parameters, kept in the default
// tree's metadata. The default tree is not in it. Ids are never reused: a
// dropped tree's id stays retired, so no record of it can be read as another
// tree's. Functions, not thread-safe against each other on one store (the
// runtime serialises creations and drops).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.h"

namespace basis::storage {

struct TreeEntry {
  std::string name;
  uint32_t id = 0;
  uint32_t key_length = 32;
  std::optional<uint32_t> value_length;  // unset: any length
};

// Every named tree, in name order. A damaged entry is kCorruption naming it.
Status list_trees(const Database& db, std::vector<TreeEntry>* out);
// Adds a tree with the next id (synced). kInvalidArgument when the name is taken.
Status create_tree(Database* db, const std::string& name, uint32_t key_length,
                   std::optional<uint32_t> value_length, TreeEntry* out);
// Removes the tree's entry and every record of its keyspace in one synced
// write (range deletions: the space comes back with compactions).
Status drop_tree(Database* db, const TreeEntry& entry);

}  // namespace basis::storage
