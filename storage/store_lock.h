// Holds a store's RocksDB LOCK file the way RocksDB does (an fcntl write
// lock), for work on a closed store that must not race a process opening it
// (restoring a backup into it). While held, a runtime or a tool that opens
// the store is refused; when another process holds it, taking it is refused.
//
// A POSIX lock belongs to the process and is released when any descriptor
// of the file closes: do not open the store with RocksDB in this process
// while holding it. Not thread-safe. No copying.
#pragma once

#include <memory>
#include <string>

#include "basis/tree/status.h"

namespace basis::storage {

class StoreLock {
 public:
  // Takes the lock of the store in `db_dir` (creating db_dir/LOCK if
  // needed). kBusy, naming the store, when another process holds it.
  static tree::Status acquire(const std::string& db_dir, std::unique_ptr<StoreLock>* out);
  // kBusy, naming the store and the holder's pid, while another process
  // holds the lock; takes nothing. The same caveat: never for a store this
  // process holds (closing the probe's descriptor would release its lock).
  static tree::Status check_not_held(const std::string& db_dir);
  ~StoreLock();  // releases it
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace basis::storage
