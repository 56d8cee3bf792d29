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
#include <string>
#include <thread>

#include "basis/reports.h"
#include "engine/check_runner.h"
#include "storage/database.h"
#include "storage/keyspace.h"

namespace basis::engine {

// With a `runner` (shared by the trees of a store), the checks run on its
// threads, one at a time, after the checks of the trees added before;
// without, on a thread of their own.
class BackgroundChecks {
 public:
  // nullopt: not checked this time (the tree is unavailable); not counted.
  using HealthCheck = std::function<std::optional<HealthReport>()>;
  using Log = std::function<void(bool failure, const std::string& message)>;

  // Starts the checks. With `verify_digest`, first verifies that tree in
  // full on `parallelism` threads; then runs `health_check` every `interval`
  // (never when zero). `db` and `runner` must outlive this object.
  BackgroundChecks(storage::Database* db, const tree::Digest* verify_digest, int parallelism,
                   std::chrono::milliseconds interval, HealthCheck health_check, Log log,
                   storage::Keyspace keyspace = storage::Keyspace(), CheckRunner* runner = nullptr);
  // Stops the checks (a verification in progress is cancelled).
  ~BackgroundChecks();
  BackgroundChecks(const BackgroundChecks&) = delete;
  BackgroundChecks& operator=(const BackgroundChecks&) = delete;

  BackgroundStatus status() const;
  // Counts `report` as a health check (and logs it when it failed).
  HealthReport record(const HealthReport& report);

 private:
  void run(std::optional<tree::Digest> verify_digest, int parallelism);
  void verify(tree::Digest digest, int parallelism);
  void check_health();

  CheckRunner* runner_;
  uint64_t task_ = 0;  // in runner_
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
