#include "topology/topology_metrics.h"

#include "absl/strings/str_cat.h"

namespace roost::topology {

std::string MetricName(absl::string_view component, absl::string_view metric) {
  return absl::StrCat("topology.", component, ".", metric);
}

std::string InstanceMetricName(absl::string_view component, int index, absl::string_view metric) {
  return absl::StrCat("topology.", component, ".instance.", index, ".", metric);
}

ComponentMetrics RegisterComponentMetrics(MetricsRegistry& registry, absl::string_view component) {
  auto counter = [&](absl::string_view metric) {
    return registry.GetCounter(MetricName(component, metric));
  };
  ComponentMetrics metrics;
  metrics.executed = counter("executed");
  metrics.emitted = counter("emitted");
  metrics.acked = counter("acked");
  metrics.failed = counter("failed");
  metrics.dead_lettered = counter("dead_lettered");
  metrics.execute_nanos = counter("execute_nanos");
  metrics.execute_latency = registry.GetHistogram(MetricName(component, "execute_latency"));
  metrics.back_pressure.micros = counter("back_pressure_micros");
  metrics.back_pressure.pauses = counter("back_pressure_pauses");
  return metrics;
}

}  // namespace roost::topology
