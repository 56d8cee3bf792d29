// The daemon's HTTP API (see the README and docs/openapi.json): routes on an
// httplib server over a runtime. Bytes are lowercase hex; an error is
// {"error":{"code":…,"message":…}} with a code of error_codes.h and that
// code's status, and a refused request changes nothing. Every answer
// carries X-Request-Id (request_id.h).
#pragma once

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "basis/runtime.h"
#include "examples/daemon/metrics.h"

namespace basis::daemon {

struct ApiOptions {
  tree::TreeParams params;
  uint32_t max_batch_operations = 1000;  // persistence.operation_batch_size
  uint64_t max_body_size = 16u << 20;
  std::string token;  // empty: no authentication
  size_t max_oplog_records = 10'000;  // the largest /v1/oplog limit (the default is 100)
  // A /v1/oplog page ends once its records' keys and values take this many
  // bytes (persistence.max_answer_bytes; the JSON is hex, twice that).
  uint64_t max_oplog_bytes = 64u << 20;
};

// `rt`, `metrics` and `log` must outlive `server`.
void install_api(httplib::Server& server, basis::Runtime& rt, Metrics& metrics, const ApiOptions& options,
                 std::shared_ptr<spdlog::logger> log);

}  // namespace basis::daemon
