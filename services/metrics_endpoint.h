// MetricsEndpoint serves a MetricsRegistry over HTTP in the Prometheus text format
// (GET /metrics), through prometheus-cpp's exposer; each scrape reads the registry.
//
// Names map as follows (registry names are dotted; see topology_metrics.h):
//   topology.<component>.instance.<i>.<m> -> roost_topology_instance_<m>{component,task}
// ("task", not "instance": Prometheus sets "instance" to the scraped target itself)
//   topology.<component>.<m>              -> roost_topology_<m>{component}
//   anything else a.b.c                   -> roost_a_b_c
// Counters gain the suffix _total; latency histograms (nanoseconds in the registry)
// are exported in seconds with the suffix _seconds, as Prometheus expects.
//
// Thread-safe; scrapes run on the exposer's own threads.
#ifndef ROOST_SERVICES_METRICS_ENDPOINT_H_
#define ROOST_SERVICES_METRICS_ENDPOINT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics.h"

namespace prometheus {
class Exposer;
struct MetricFamily;
}  // namespace prometheus

namespace roost::services {

class MetricsEndpoint {
 public:
  // Serves `registry` (not owned; must outlive the endpoint) on `listen`
  // ("host:port"; port 0 picks a free one). UNAVAILABLE if it cannot listen there.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const MetricsRegistry* registry,
                                                                const std::string& listen);
  // Stops serving; takes up to 2 s (civetweb polls its listening socket in 2 s steps).
  ~MetricsEndpoint();

  int port() const { return port_; }

 private:
  MetricsEndpoint() = default;

  class Collector;
  std::shared_ptr<Collector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

// The Prometheus families for a registry's metrics, by the naming above; exposed for
// tests.
std::vector<prometheus::MetricFamily> ToPrometheus(
    const std::map<std::string, MetricSample>& metrics);

}  // namespace roost::services

#endif  // ROOST_SERVICES_METRICS_ENDPOINT_H_
