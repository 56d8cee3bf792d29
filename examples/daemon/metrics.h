// The daemon's Prometheus metrics: one family per quantity, typed as what
// it is (counters for counts, gauges for levels, a histogram for the
// durable latency). Counters of requests and batches are kept as they are
// served; the runtime's counts and levels are read from it at each scrape.
// The names are listed in the README (the /metrics contract).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "basis/runtime.h"

namespace basis::daemon {

class Metrics {
 public:
  Metrics();
  // A batch answered: its operations, and the time until it was durable.
  void batch_applied(size_t operations, double seconds);
  void batch_failed();
  void request_answered(int status);
  // Every metric in the Prometheus text format, the runtime's read from `rt` now.
  std::string render(basis::Runtime& rt);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter& batches_;
  prometheus::Counter& failed_batches_;
  prometheus::Counter& operations_;
  prometheus::Histogram& durable_seconds_;
  prometheus::Family<prometheus::Counter>& requests_;
};

}  // namespace basis::daemon
