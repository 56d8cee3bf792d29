// Where the records of the tree a configuration describes live: the default
// tree's keyspace for id 0, a named tree's (storage::Keyspace::for_tree)
// otherwise (config::Config::Tree::id, set by the store from its catalog).
#pragma once

#include "basis/config.h"
#include "storage/keyspace.h"

namespace basis::engine {

inline storage::Keyspace tree_keyspace(const config::Config& config) {
  return config.tree.id == 0 ? storage::Keyspace() : storage::Keyspace::for_tree(config.tree.id, config.tree.key_length);
}

}  // namespace basis::engine
