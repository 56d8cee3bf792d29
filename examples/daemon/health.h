// What /v1/health, its ready and live forms, and /metrics say of the
// service's health: one decision, so they never disagree.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "basis/runtime.h"

namespace basis::daemon {

struct HealthSummary {
  // "ok"; "unavailable" (no prover serves: one failed and is being rebuilt,
  // or was given up on); "refusing_writes"; "degraded" (the last health
  // check or the background verification failed, or a read of the stored
  // tree failed since the last full health check passed, or a named tree is
  // not served or refuses batches: the others serve meanwhile).
  const char* status = "ok";
  // The tree asked about does all it should: "ok", or "degraded" only by
  // another (named) tree, so that one damaged tree of many does not take
  // the service out of rotation.
  bool ready = true;
  basis::Runtime::TreeState state;
  basis::BackgroundStatus background;
  size_t named_trees = 0;
  std::vector<std::pair<std::string, std::string>> trees_not_ok;  // name, why
};

// Asks the runtime now (its prover answers, or says at once why it cannot).
HealthSummary summarize_health(basis::Runtime& rt);

// The body of /v1/health.
nlohmann::json health_json(const HealthSummary& h, const basis::Runtime::RecoveryReport& recovery);

}  // namespace basis::daemon
