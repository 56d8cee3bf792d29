#include "examples/daemon/metrics.h"

#include <prometheus/text_serializer.h>

#include <vector>

#include "basis/version.h"
#include "examples/daemon/health.h"

namespace basis::daemon {

namespace {

// The runtime's quantities, built as families at each scrape: its counters
// are totals it keeps itself (since it started), so they are reported as
// they are rather than counted again here.
class RuntimeFamilies {
 public:
  void counter(const char* name, const char* help, double value) { add(name, help, prometheus::MetricType::Counter, value); }
  void gauge(const char* name, const char* help, double value) { add(name, help, prometheus::MetricType::Gauge, value); }
  void flag(const char* name, const char* help, bool on) { gauge(name, help, on ? 1 : 0); }
  std::vector<prometheus::MetricFamily>& families() { return families_; }

 private:
  void add(const char* name, const char* help, prometheus::MetricType type, double value) {
    prometheus::ClientMetric m;
    if (type == prometheus::MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    families_.push_back(prometheus::MetricFamily{name, help, type, {m}});
  }
  std::vector<prometheus::MetricFamily> families_;
};

double number(uint64_t v) { return static_cast<double>(v); }

}  // namespace

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
      requests_(prometheus::BuildCounter().Name("basis_http_requests_total").Help("HTTP answers by status")
                    .Register(*registry_)) {}

void Metrics::batch_applied(size_t operations, double seconds) {
  batches_.Increment();
  operations_.Increment(static_cast<double>(operations));
  durable_seconds_.Observe(seconds);
}

void Metrics::batch_failed() { failed_batches_.Increment(); }

void Metrics::request_answered(int status) { requests_.Add({{"code", std::to_string(status)}}).Increment(); }

std::string Metrics::render(basis::Runtime& rt) {
  const basis::Runtime::Stats s = rt.stats();
  const auto& rec = rt.recovery();
  const HealthSummary h = summarize_health(rt);  // what /v1/health decides, as 1 or 0
  RuntimeFamilies f;
  f.counter("basis_actor_restarts_total", "Actors restarted by the supervisor", number(s.restarts));
  f.counter("basis_node_cache_hits_total", "Node reads served by the node store's cache", number(s.node_cache_hits));
  f.counter("basis_node_cache_misses_total", "Node reads that went to RocksDB", number(s.node_cache_misses));
  f.counter("basis_gc_runs_total", "Node garbage collections", number(s.gc_runs));
  f.counter("basis_gc_failures_total", "Node garbage collections that failed", number(s.gc_failures));
  f.counter("basis_gc_removed_nodes_total", "Nodes removed by garbage collection", number(s.gc_removed_nodes));
  f.counter("basis_gc_removed_bytes_total", "Bytes of nodes removed by garbage collection", number(s.gc_removed_bytes));
  f.counter("basis_stalled_batches_total", "Batches that waited for a lagging checkpoint", number(s.stalled_batches));
  f.counter("basis_health_checks_total", "Health checks run", number(s.background.health_checks));
  f.counter("basis_health_check_failures_total", "Health checks that found a problem",
            number(s.background.health_check_failures));
  f.gauge("basis_last_sequence", "Sequence number of the last operation applied", number(s.last_sequence));
  f.gauge("basis_tree_nodes_in_memory", "Nodes of the tree in memory", number(s.tree_nodes));
  f.gauge("basis_tree_memory_bytes", "Bytes the tree's nodes in memory take", number(s.tree_memory_bytes));
  f.gauge("basis_node_store_bytes", "Bytes of the nodes family's table files", number(s.node_bytes));
  f.gauge("basis_oplog_bytes", "Bytes of the operations and notes families' table files", number(s.oplog_bytes));
  f.gauge("basis_checkpoints_retained", "Checkpoints retained", number(s.checkpoints));
  f.gauge("basis_gc_live_nodes", "Nodes found live by the last garbage collection", number(s.gc_live_nodes));
  f.gauge("basis_recovery_seconds", "How long the last start took to recover", rec.milliseconds / 1000);
  f.gauge("basis_recovery_fallbacks", "Recovery candidates the last start refused", number(rec.fallbacks.size()));
  f.gauge("basis_recovery_replayed_operations", "Operations the last start replayed from the log", number(rec.replayed));
  f.flag("basis_verification_failed", "1 when the background verification of the recovered checkpoint failed",
         s.background.verification == basis::VerificationState::kFailed);
  f.flag("basis_ready", "1 when /v1/health answers 200", h.ready);
  f.flag("basis_serving", "1 while a prover serves", h.state.served);
  f.flag("basis_writes_refused", "1 while batches are refused (also while no prover serves)", !h.state.writes.is_ok());
  f.flag("basis_restart_needed", "1 when only a restart heals the store", h.state.restart_needed);
  f.flag("basis_storage_read_failed", "1 after a failed read of the stored tree, until a full health check passes",
         !h.state.storage.is_ok());
  {
    prometheus::ClientMetric build;
    build.label = {{"version", basis::kVersion}};
    build.gauge.value = 1;
    f.families().push_back(prometheus::MetricFamily{"basis_build_info", "The running build (always 1)",
                                                    prometheus::MetricType::Gauge, {build}});
  }
  {
    // Every tree of the store, labelled by name (the default tree's figures
    // above are also its own).
    prometheus::MetricFamily up{"basis_tree_up", "1 while the tree is served and takes batches",
                                prometheus::MetricType::Gauge, {}};
    prometheus::MetricFamily seq{"basis_tree_last_sequence", "Sequence number of the tree's last operation",
                                 prometheus::MetricType::Gauge, {}};
    for (const TreeInfo& info : rt.trees()) {
      std::shared_ptr<basis::Runtime> t = info.status.is_ok() ? rt.tree(info.name) : nullptr;
      const basis::Runtime::TreeState state = t ? t->state() : basis::Runtime::TreeState{};
      prometheus::ClientMetric m;
      m.label = {{"tree", info.name}};
      m.gauge.value = state.served && state.writes.is_ok() ? 1 : 0;
      up.metric.push_back(m);
      m.gauge.value = number(state.last_sequence);
      seq.metric.push_back(m);
    }
    f.families().push_back(std::move(up));
    f.families().push_back(std::move(seq));
  }
  std::vector<prometheus::MetricFamily> all = registry_->Collect();
  all.insert(all.end(), f.families().begin(), f.families().end());
  return prometheus::TextSerializer().Serialize(all);
}

}  // namespace basis::daemon
