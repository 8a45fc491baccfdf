// The Prometheus endpoint: the name mapping, and a real scrape over loopback HTTP.
#include "services/metrics_endpoint.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/metric_family.h"
#include "tests/integration/http_get.h"

namespace roost::services {
namespace {

using ::roost::testing::HttpGet;
using ::testing::HasSubstr;

TEST(MetricsEndpointTest, NamesMapToFamiliesWithLabels) {
  std::map<std::string, MetricSample> metrics;
  metrics["topology.graph.executed"] = {MetricSample::Kind::kCounter, 5, {}};
  metrics["topology.tweets.executed"] = {MetricSample::Kind::kCounter, 7, {}};
  metrics["topology.graph.instance.1.queue_depth"] = {MetricSample::Kind::kGauge, 3, {}};
  metrics["topology.committed_offset"] = {MetricSample::Kind::kGauge, 42, {}};
  std::vector<prometheus::MetricFamily> families = ToPrometheus(metrics);
  ASSERT_EQ(families.size(), 3u);
  std::map<std::string, const prometheus::MetricFamily*> by_name;
  for (const auto& f : families) by_name[f.name] = &f;
  ASSERT_EQ(by_name.count("roost_topology_executed_total"), 1u);
  const prometheus::MetricFamily& executed = *by_name["roost_topology_executed_total"];
  EXPECT_EQ(executed.type, prometheus::MetricType::Counter);
  ASSERT_EQ(executed.metric.size(), 2u);  // one per component, told apart by label
  EXPECT_EQ(executed.metric[0].label[0].name, "component");
  EXPECT_EQ(executed.metric[0].label[0].value, "graph");
  EXPECT_EQ(executed.metric[0].counter.value, 5);
  ASSERT_EQ(by_name.count("roost_topology_instance_queue_depth"), 1u);
  const auto& depth = by_name["roost_topology_instance_queue_depth"]->metric[0];
  ASSERT_EQ(depth.label.size(), 2u);
  EXPECT_EQ(depth.label[1].name, "task");
  EXPECT_EQ(depth.label[1].value, "1");
  EXPECT_EQ(depth.gauge.value, 3);
  ASSERT_EQ(by_name.count("roost_topology_committed_offset"), 1u);
  EXPECT_TRUE(by_name["roost_topology_committed_offset"]->metric[0].label.empty());
}

TEST(MetricsEndpointTest, PartitionsShareFamiliesToldApartByLabel) {
  std::map<std::string, MetricSample> p0, p3;
  p0["pipeline.applied"] = {MetricSample::Kind::kCounter, 5, {}};
  p3["pipeline.applied"] = {MetricSample::Kind::kCounter, 9, {}};
  p3["topology.graph.queue_depth"] = {MetricSample::Kind::kGauge, 2, {}};
  const std::vector<prometheus::MetricFamily> families = ToPrometheus({{"0", p0}, {"3", p3}});
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "roost_pipeline_applied_total");
  ASSERT_EQ(families[0].metric.size(), 2u);
  ASSERT_EQ(families[0].metric[1].label.size(), 1u);
  EXPECT_EQ(families[0].metric[1].label[0].name, "partition");
  EXPECT_EQ(families[0].metric[1].label[0].value, "3");
  EXPECT_EQ(families[0].metric[1].counter.value, 9);
  ASSERT_EQ(families[1].metric[0].label.size(), 2u);
  EXPECT_EQ(families[1].metric[0].label[0].value, "graph");
  EXPECT_EQ(families[1].metric[0].label[1].value, "3");
}

TEST(MetricsEndpointTest, ServesEveryKindOverHttp) {
  MetricsRegistry registry;
  registry.GetCounter("pipeline.fanout.deliveries")->Add(12);
  registry.SetGauge("topology.graph.queue_depth", [] { return int64_t{4}; });
  registry.GetHistogram("topology.graph.execute_latency")->Record(1500, 3);
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start({{&registry, ""}}, "127.0.0.1:0");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  ASSERT_GT((*endpoint)->port(), 0);

  const std::string body = HttpGet((*endpoint)->port(), "/metrics");
  EXPECT_THAT(body, HasSubstr("200 OK"));
  EXPECT_THAT(body, HasSubstr("roost_pipeline_fanout_deliveries_total 12"));
  EXPECT_THAT(body, HasSubstr("roost_topology_queue_depth{component=\"graph\"} 4"));
  // 1500 ns falls in (1024, 2048] ns: the 2.048e-06 s bucket holds all three.
  EXPECT_THAT(body,
              HasSubstr("roost_topology_execute_latency_seconds_count{component=\"graph\"} 3"));
  EXPECT_THAT(
      body,
      HasSubstr(
          "roost_topology_execute_latency_seconds_bucket{component=\"graph\",le=\"2.048e-06\"} 3"));
  EXPECT_THAT(
      body,
      HasSubstr(
          "roost_topology_execute_latency_seconds_bucket{component=\"graph\",le=\"1.024e-06\"} 0"));

  // Each scrape reads the registry afresh.
  registry.GetCounter("pipeline.fanout.deliveries")->Add(1);
  EXPECT_THAT(HttpGet((*endpoint)->port(), "/metrics"),
              HasSubstr("roost_pipeline_fanout_deliveries_total 13"));
}

TEST(MetricsEndpointTest, AnAddressInUseIsAnError) {
  MetricsRegistry registry;
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> first =
      MetricsEndpoint::Start({{&registry, ""}}, "127.0.0.1:0");
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> second =
      MetricsEndpoint::Start({{&registry, ""}}, "127.0.0.1:" + std::to_string((*first)->port()));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

}  // namespace
}  // namespace roost::services
