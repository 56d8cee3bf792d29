// Where the records of the tree a configuration describes live: the default
// tree's keyspace for id 0, a named tree's (storage::Keyspace::for_tree)
// otherwise (config::Config::Tree::id, set by the store from its catalog).
#pragma once

#include <filesystem>
#include <string>

#include "basis/config.h"
#include "storage/keyspace.h"
#include "storage/tree_catalog.h"

namespace basis::engine {

inline storage::Keyspace tree_keyspace(const config::Config& config) {
  return config.tree.id == 0 ? storage::Keyspace() : storage::Keyspace::for_tree(config.tree.id, config.tree.key_length);
}

// The configuration of a named tree: the store's, with the catalog's
// parameters and id, and an archive directory of its own. The runtime and the
// admin tool both serve a named tree with it.
inline config::Config named_tree_config(const config::Config& store, const storage::TreeEntry& e) {
  config::Config c = store;
  c.tree = config::Config::Tree{e.key_length, e.value_length, e.name, e.id};
  c.trees.clear();
  if (std::string archive = store.archive_path(); !archive.empty()) {
    c.persistence.archive_dir = (std::filesystem::path(archive) / "trees" / e.name).string();
  }
  return c;
}

}  // namespace basis::engine
