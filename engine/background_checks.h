// The runtime's background checks: the full verification of the recovered
// checkpoint (when recovery_validation = "background") and the periodic
// health check. Their results are read at any time; failures are logged.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <thread>

#include "basis/reports.h"
#include "storage/database.h"
#include "storage/keyspace.h"

namespace basis::engine {

// Verifications that may run at once, shared by the trees of a store: a
// store of a thousand trees verifies a few checkpoints at a time, not a
// thousand, so that its trees' first answers are not starved at a start.
using VerificationSlots = std::counting_semaphore<256>;

// With `slots`, the verification waits for one (giving up when stopped).
class BackgroundChecks {
 public:
  // nullopt: not checked this time (the tree is unavailable); not counted.
  using HealthCheck = std::function<std::optional<HealthReport>()>;
  using Log = std::function<void(bool failure, const std::string& message)>;

  // Starts the thread. With `verify_digest`, first verifies that tree in
  // full on `parallelism` threads; then runs `health_check` every `interval`
  // (never when zero). `db` must outlive this object.
  BackgroundChecks(storage::Database* db, const tree::Digest* verify_digest, int parallelism,
                   std::chrono::milliseconds interval, HealthCheck health_check, Log log,
                   storage::Keyspace keyspace = storage::Keyspace(),
                   std::shared_ptr<VerificationSlots> slots = nullptr);
  // Stops the thread (a verification in progress is cancelled).
  ~BackgroundChecks();

  BackgroundStatus status() const;
  // Counts `report` as a health check (and logs it when it failed).
  HealthReport record(const HealthReport& report);

 private:
  void run(std::optional<tree::Digest> verify_digest, int parallelism);

  std::shared_ptr<VerificationSlots> slots_;
  storage::Database* db_;  // reads only (checkpoint listing needs the non-const handle)
  const storage::Keyspace keyspace_;  // the tree's
  std::chrono::milliseconds interval_;
  HealthCheck health_check_;
  Log log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  BackgroundStatus status_;
  std::thread thread_;
};

}  // namespace basis::engine
