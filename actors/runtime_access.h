// What only the project's own tests and tools hand to a Runtime: the Env
// every file of the store goes through (tests hand in one over a
// fault-injecting file system, so that faults take the real failure path).
// Not part of the public API.
#pragma once

#include <memory>

#include "basis/runtime.h"

namespace rocksdb {
class Env;
}

namespace basis::actors {

struct RuntimeAccess {
  // As Runtime::open, with every file through `env` (null: RocksDB's
  // default). Not owned: it must outlive the Runtime.
  static tree::Status open(const config::Config& config, rocksdb::Env* env, std::unique_ptr<Runtime>* out);
};

}  // namespace basis::actors
