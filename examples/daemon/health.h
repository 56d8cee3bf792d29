// What /v1/health, its ready and live forms, and /metrics say of the
// service's health: one decision, so they never disagree.
#pragma once

#include <nlohmann/json.hpp>

#include "basis/runtime.h"

namespace basis::daemon {

struct HealthSummary {
  // "ok"; "unavailable" (no prover serves: one failed and is being rebuilt,
  // or was given up on); "refusing_writes"; "degraded" (the last health
  // check or the background verification failed, or a read of the stored
  // tree failed since the last full health check passed).
  const char* status = "ok";
  bool ready = true;  // everything it should do, it does: "ok" only
  basis::Runtime::TreeState state;
  basis::BackgroundStatus background;
};

// Asks the runtime now (its prover answers, or says at once why it cannot).
HealthSummary summarize_health(basis::Runtime& rt);

// The body of /v1/health.
nlohmann::json health_json(const HealthSummary& h, const basis::Runtime::RecoveryReport& recovery);

}  // namespace basis::daemon
