// What the prover tells the runtime besides its answers, kept across prover
// rebuilds: batches stalled behind a lagging checkpoint, and the last time
// the stored tree could not be read. Thread-safe.
#pragma once

#include <atomic>
#include <mutex>

#include "basis/tree/status.h"

namespace basis::actors {

class ProverReports {
 public:
  void count_stalled_batch() { ++stalled_batches_; }
  uint64_t stalled_batches() const { return stalled_batches_; }

  // A read of the stored tree failed (an I/O error, a damaged record). Health
  // says so until a full health check passes: a damaged node fails every
  // batch that reaches it, though the prover rebuilt after the first serves.
  void storage_failed(tree::Status why) {
    std::lock_guard<std::mutex> lock(mutex_);
    storage_failure_ = std::move(why);
  }
  // OK when none since the last full check that passed.
  tree::Status last_storage_failure() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return storage_failure_;
  }
  // A full health check passed: every leaf and note was read and matched.
  void storage_checked() {
    std::lock_guard<std::mutex> lock(mutex_);
    storage_failure_ = tree::Status::ok();
  }

 private:
  std::atomic<uint64_t> stalled_batches_{0};
  mutable std::mutex mutex_;
  tree::Status storage_failure_;
};

}  // namespace basis::actors
