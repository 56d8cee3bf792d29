// The daemon's Prometheus metrics: counters kept as requests are served,
// gauges read from the runtime at each scrape.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
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
  // Every metric in the Prometheus text format, gauges refreshed from `rt`.
  std::string render(basis::Runtime& rt);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter& batches_;
  prometheus::Counter& failed_batches_;
  prometheus::Counter& operations_;
  prometheus::Histogram& durable_seconds_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Gauge>& gauges_;
};

}  // namespace basis::daemon
