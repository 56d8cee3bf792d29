// Where callers find the tree prover. The supervisor, its one writer,
// replaces the prover when it rebuilds one and says here why there is none
// meanwhile. Thread-safe.
#pragma once

#include <caf/all.hpp>

#include <mutex>

#include "actors/protocol.h"
#include "basis/tree/status.h"

namespace basis::actors {

class ProverSlot {
 public:
  ProverSlot() = default;
  ProverSlot(const ProverSlot&) = delete;
  ProverSlot& operator=(const ProverSlot&) = delete;

  // A prover serves from now on.
  void serve(prover_actor prover) {
    std::lock_guard<std::mutex> lock(mutex_);
    prover_ = std::move(prover);
    status_ = tree::Status::ok();
  }
  // No prover serves, for this reason (kUnavailable).
  void vacate(tree::Status why) {
    std::lock_guard<std::mutex> lock(mutex_);
    prover_ = nullptr;
    status_ = std::move(why);
  }
  // No prover serves, and none will: only a restart can help.
  void give_up(tree::Status why) {
    std::lock_guard<std::mutex> lock(mutex_);
    prover_ = nullptr;
    status_ = std::move(why);
    given_up_ = true;
  }
  bool given_up() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return given_up_;
  }
  // The serving prover, or an invalid handle (messages sent to it are
  // dropped, and a dropped job answers with an error).
  prover_actor prover() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return prover_;
  }
  // OK while a prover serves; else why none does.
  tree::Status status() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }

 private:
  mutable std::mutex mutex_;
  prover_actor prover_;
  bool given_up_ = false;
  tree::Status status_ = tree::Status(tree::ErrorKind::kUnavailable, "the tree prover has not started");
};

}  // namespace basis::actors
