// MetricsEndpoint serves a MetricsRegistry over HTTP in the Prometheus text format
// (GET /metrics), through prometheus-cpp's exposer; each scrape reads the registry.
//
// Names map as follows (registry names are dotted; see topology_metrics.h):
//   topology.<component>.instance.<i>.<m> -> roost_topology_instance_<m>{component,task}
// ("task", not "instance": Prometheus sets "instance" to the scraped target itself)
//   topology.<component>.<m>              -> roost_topology_<m>{component}
//   anything else a.b.c                   -> roost_a_b_c
// Counters gain the suffix _total; latency histograms (nanoseconds in the registry)
// are exported in seconds with the suffix _seconds, as Prometheus expects. A cluster
// node serves the registries of all its partitions, each sample labelled with its
// partition ({partition="3"}).
//
// Thread-safe; scrapes run on the exposer's own threads.
#ifndef ROOST_SERVICES_METRICS_ENDPOINT_H_
#define ROOST_SERVICES_METRICS_ENDPOINT_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics.h"

namespace prometheus {
class Exposer;
struct MetricFamily;
}  // namespace prometheus

namespace roost::services {

// A registry to serve, and the partition its samples are labelled with (empty: none).
struct MetricsSource {
  const MetricsRegistry* registry = nullptr;  // not owned
  std::string partition;
};

class MetricsEndpoint {
 public:
  // Serves `sources` (whose registries must outlive the endpoint) on `listen`
  // ("host:port"; port 0 picks a free one). UNAVAILABLE if it cannot listen there.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(std::vector<MetricsSource> sources,
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

// The Prometheus families for registries' metrics, by the naming above, each source's
// samples labelled with its partition (when it has one): one family per name across
// them. Exposed for tests.
std::vector<prometheus::MetricFamily> ToPrometheus(
    const std::vector<std::pair<std::string, std::map<std::string, MetricSample>>>& by_partition);
std::vector<prometheus::MetricFamily> ToPrometheus(
    const std::map<std::string, MetricSample>& metrics);

}  // namespace roost::services

#endif  // ROOST_SERVICES_METRICS_ENDPOINT_H_
