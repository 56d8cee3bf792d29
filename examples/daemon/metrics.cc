#include "examples/daemon/metrics.h"

#include <prometheus/text_serializer.h>

#include "examples/daemon/health.h"

namespace basis::daemon {

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      batches_(prometheus::BuildCounter().Name("basis_batches_total").Help("Batches applied and durable")
                   .Register(*registry_).Add({})),
      failed_batches_(prometheus::BuildCounter().Name("basis_failed_batches_total")
                          .Help("Batches refused or not applied").Register(*registry_).Add({})),
      operations_(prometheus::BuildCounter().Name("basis_operations_total").Help("Operations in applied batches")
                      .Register(*registry_).Add({})),
      durable_seconds_(prometheus::BuildHistogram().Name("basis_batch_durable_seconds")
                           .Help("From a batch's arrival until it was durable and answered")
                           .Register(*registry_)
                           .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                                            0.05, 0.1, 0.2, 0.5, 1, 2, 5})),
      requests_(prometheus::BuildCounter().Name("basis_http_requests_total").Help("HTTP requests by status")
                    .Register(*registry_)),
      gauges_(prometheus::BuildGauge().Name("basis_state").Help("The runtime's state, by quantity")
                  .Register(*registry_)) {}

void Metrics::batch_applied(size_t operations, double seconds) {
  batches_.Increment();
  operations_.Increment(static_cast<double>(operations));
  durable_seconds_.Observe(seconds);
}

void Metrics::batch_failed() { failed_batches_.Increment(); }

void Metrics::request_answered(int status) { requests_.Add({{"code", std::to_string(status)}}).Increment(); }

std::string Metrics::render(basis::Runtime& rt) {
  basis::Runtime::Stats s = rt.stats();
  const auto& rec = rt.recovery();
  auto set = [&](const char* what, double v) { gauges_.Add({{"quantity", what}}).Set(v); };
  set("last_sequence", static_cast<double>(s.last_sequence));
  set("tree_nodes_in_memory", static_cast<double>(s.tree_nodes));
  set("tree_memory_bytes", static_cast<double>(s.tree_memory_bytes));
  set("node_store_bytes", static_cast<double>(s.node_bytes));
  set("oplog_bytes", static_cast<double>(s.oplog_bytes));
  set("node_cache_hits", static_cast<double>(s.node_cache_hits));
  set("node_cache_misses", static_cast<double>(s.node_cache_misses));
  double reads = static_cast<double>(s.node_cache_hits + s.node_cache_misses);
  set("node_cache_hit_ratio", reads > 0 ? static_cast<double>(s.node_cache_hits) / reads : 1.0);
  set("checkpoints", static_cast<double>(s.checkpoints));
  set("actor_restarts", static_cast<double>(s.restarts));
  set("gc_runs", static_cast<double>(s.gc_runs));
  set("gc_failures", static_cast<double>(s.gc_failures));
  set("gc_removed_nodes", static_cast<double>(s.gc_removed_nodes));
  set("gc_removed_bytes", static_cast<double>(s.gc_removed_bytes));
  set("stalled_batches", static_cast<double>(s.stalled_batches));
  set("recovery_seconds", rec.milliseconds / 1000);
  set("recovery_fallbacks", static_cast<double>(rec.fallbacks.size()));
  set("recovery_replayed_operations", static_cast<double>(rec.replayed));
  set("health_checks", static_cast<double>(s.background.health_checks));
  set("health_check_failures", static_cast<double>(s.background.health_check_failures));
  set("verification_failed", s.background.verification == basis::VerificationState::kFailed ? 1 : 0);
  // What /v1/health decides, as numbers: 1 or 0.
  HealthSummary h = summarize_health(rt);
  set("ready", h.ready ? 1 : 0);
  set("serving", h.state.served ? 1 : 0);
  set("writes_refused", h.state.writes.is_ok() ? 0 : 1);  // also while no prover serves
  set("restart_needed", h.state.restart_needed ? 1 : 0);
  set("storage_read_failed", h.state.storage.is_ok() ? 0 : 1);
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace basis::daemon
