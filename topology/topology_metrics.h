// The metrics of one component, registered as "topology.<component>.<metric>":
//   executed            tuples executed, by Execute or ExecuteBatch (retries included)
//   emitted             tuples emitted (Emit calls)
//   acked               tuples executed successfully
//   failed              executions that returned an error (every tuple of a failed
//                       batch counts once)
//   dead_lettered       tuples handed to the dead-letter sink after their retries
//   execute_nanos       time spent in Execute; divide by executed for the mean latency
//   execute_latency     histogram of the time per tuple in Execute / ExecuteBatch (a
//                       chunk of tuples executed together counts its mean for each)
//   instance.<i>.executed, instance.<i>.queue_depth
//                       the same per bolt instance, to spot a hot key or a slow shard
//   back_pressure_micros / back_pressure_pauses
//                       time the spouts were paused because this component's queue
//                       passed the high watermark, and how many times
// and the gauges queue_depth (sum over the instances) and queue_depth_max (the
// highest depth any instance reached). The topology adds "topology.committed_offset"
// and "topology.in_flight".
#ifndef ROOST_TOPOLOGY_TOPOLOGY_METRICS_H_
#define ROOST_TOPOLOGY_TOPOLOGY_METRICS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "common/metrics.h"
#include "topology/back_pressure.h"

namespace roost::topology {

struct ComponentMetrics {
  Counter* executed = nullptr;
  Counter* emitted = nullptr;
  Counter* acked = nullptr;
  Counter* failed = nullptr;
  Counter* dead_lettered = nullptr;
  Counter* execute_nanos = nullptr;
  LatencyHistogram* execute_latency = nullptr;
  BackPressureCounters back_pressure;
};

// "topology.<component>.instance.<index>.<metric>"
std::string InstanceMetricName(absl::string_view component, int index, absl::string_view metric);

// "topology.<component>.<metric>"
std::string MetricName(absl::string_view component, absl::string_view metric);

// Registers (or finds) the counters of `component` in `registry`, which must outlive
// their use.
ComponentMetrics RegisterComponentMetrics(MetricsRegistry& registry, absl::string_view component);

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_TOPOLOGY_METRICS_H_
