// What only the project's own tests and tools hand to a Runtime: the Env
// every file of the store goes through (tests hand in one over a
// fault-injecting file system, so that faults take the real failure path).
// Not part of the public API.
#pragma once

#include <memory>

#include "actors/runtime_impl.h"
#include "basis/runtime.h"
#include "storage/tree_catalog.h"

namespace rocksdb {
class Env;
}

namespace basis::actors {

struct RuntimeAccess {
  // As Runtime::open, with every file through `env` (null: RocksDB's
  // default). Not owned: it must outlive the Runtime.
  static tree::Status open(const config::Config& config, rocksdb::Env* env, std::unique_ptr<Runtime>* out);
  // A named tree of the store `store` (the default tree's runtime) opens.
  static tree::Status open_named(Runtime::Impl& store, const storage::TreeEntry& entry, std::shared_ptr<Runtime>* out);
  static Runtime::Impl& impl(Runtime& r) { return *r.impl_; }
};

}  // namespace basis::actors
