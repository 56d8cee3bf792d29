#include "engine/background_checks.h"

#include <algorithm>
#include <memory>

#include "storage/checkpoint_store.h"

namespace basis::engine {

BackgroundChecks::BackgroundChecks(storage::Database* db, const tree::Digest* verify_digest,
                                   int parallelism, std::chrono::milliseconds interval, HealthCheck health_check,
                                   Log log, storage::Keyspace keyspace, CheckRunner* runner)
    : runner_(runner),
      db_(db),
      keyspace_(std::move(keyspace)),
      interval_(interval),
      health_check_(std::move(health_check)),
      log_(std::move(log)) {
  std::optional<tree::Digest> digest;
  if (verify_digest) {
    digest = *verify_digest;
    status_.verification = VerificationState::kRunning;
  }
  if (!digest && interval_.count() == 0) return;
  if (!runner_) {
    thread_ = std::thread([this, digest, parallelism] { run(digest, parallelism); });
    return;
  }
  // Steps on the runner: the verification first, then the health checks.
  auto pending = std::make_shared<std::optional<tree::Digest>>(digest);
  task_ = runner_->add([this, pending, parallelism]() -> std::optional<CheckRunner::Clock::time_point> {
    if (stop_) return std::nullopt;
    if (*pending) {
      verify(**pending, parallelism);
      pending->reset();
    } else {
      check_health();
    }
    if (stop_ || interval_.count() == 0) return std::nullopt;
    return CheckRunner::Clock::now() + interval_;
  });
}

BackgroundChecks::~BackgroundChecks() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (task_ != 0) runner_->remove(task_);
}

BackgroundStatus BackgroundChecks::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

HealthReport BackgroundChecks::record(const HealthReport& report) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++status_.health_checks;
    if (!report.ok) ++status_.health_check_failures;
    status_.last_health = report;
  }
  if (!report.ok) log_(true, "health check failed: " + report.problem);
  return report;
}

void BackgroundChecks::run(std::optional<tree::Digest> verify_digest, int parallelism) {
  if (verify_digest) verify(*verify_digest, parallelism);
  if (interval_.count() == 0) return;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stop_.load(); })) {
    lock.unlock();
    check_health();
    lock.lock();
  }
}

void BackgroundChecks::check_health() {
  if (std::optional<HealthReport> report = health_check_()) record(*report);
}

void BackgroundChecks::verify(tree::Digest digest, int parallelism) {
  std::optional<tree::Digest> verify_digest = digest;
  {
    uint64_t nodes = 0;
    tree::Status s = storage::verify_tree(*db_, *verify_digest, parallelism, &nodes, &stop_, {}, keyspace_);
    // A checkpoint that left retention meanwhile may have lost nodes to garbage
    // collection, which is no damage: verify the newest retained one instead.
    for (int tries = 0; s.kind() == tree::ErrorKind::kCorruption && tries < 3; ++tries) {
      std::vector<storage::CheckpointRecord> kept;
      if (!storage::CheckpointStore(db_, keyspace_).list(&kept).is_ok() || kept.empty()) break;
      bool still_kept = std::any_of(kept.begin(), kept.end(), [&](const auto& c) { return c.digest == *verify_digest; });
      if (still_kept) break;
      log_(false, "the checkpoint being verified left retention; verifying checkpoint " + std::to_string(kept.front().id));
      verify_digest = kept.front().digest;
      s = storage::verify_tree(*db_, *verify_digest, parallelism, &nodes, &stop_, {}, keyspace_);
    }
    if (s.kind() == tree::ErrorKind::kBusy && stop_) return;  // shutting down
    {
      std::lock_guard<std::mutex> lock(mutex_);
      status_.verification = s.is_ok() ? VerificationState::kPassed : VerificationState::kFailed;
      status_.verified_nodes = nodes;
      status_.verification_problem = s.is_ok() ? "" : s.to_string();
    }
    if (s.is_ok()) {
      log_(false, "background verification of the recovered checkpoint passed: " + std::to_string(nodes) + " nodes");
    } else {
      log_(true, "background verification of the recovered checkpoint failed: " + s.to_string());
    }
  }
}

}  // namespace basis::engine
