#include "services/metrics_endpoint.h"

#include <exception>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"

namespace roost::services {
namespace {

struct Named {
  std::string family;
  std::vector<prometheus::ClientMetric::Label> labels;
};

Named NameOf(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '.');
  if (parts.size() >= 5 && parts[0] == "topology" && parts[2] == "instance") {
    return {absl::StrCat("roost_topology_instance_",
                         absl::StrJoin(parts.begin() + 4, parts.end(), "_")),
            {{"component", parts[1]}, {"task", parts[3]}}};
  }
  if (parts.size() >= 3 && parts[0] == "topology") {
    return {absl::StrCat("roost_topology_", absl::StrJoin(parts.begin() + 2, parts.end(), "_")),
            {{"component", parts[1]}}};
  }
  return {absl::StrCat("roost_", absl::StrReplaceAll(name, {{".", "_"}})), {}};
}

prometheus::ClientMetric Sample(const MetricSample& sample, Named& named) {
  prometheus::ClientMetric metric;
  metric.label = std::move(named.labels);
  switch (sample.kind) {
    case MetricSample::Kind::kCounter:
      metric.counter.value = static_cast<double>(sample.value);
      break;
    case MetricSample::Kind::kGauge:
      metric.gauge.value = static_cast<double>(sample.value);
      break;
    case MetricSample::Kind::kHistogram: {
      const LatencyHistogram::Snapshot& h = sample.histogram;
      metric.histogram.sample_count = static_cast<uint64_t>(h.count);
      metric.histogram.sample_sum = static_cast<double>(h.sum_nanos) / 1e9;
      uint64_t cumulative = 0;
      for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
        cumulative += static_cast<uint64_t>(h.buckets[i]);
        const double bound =
            i == LatencyHistogram::kBuckets - 1
                ? std::numeric_limits<double>::infinity()
                : static_cast<double>(LatencyHistogram::Snapshot::UpperBound(i)) / 1e9;
        metric.histogram.bucket.push_back({cumulative, bound});
      }
      break;
    }
  }
  return metric;
}

}  // namespace

std::vector<prometheus::MetricFamily> ToPrometheus(
    const std::vector<std::pair<std::string, std::map<std::string, MetricSample>>>& by_partition) {
  std::vector<prometheus::MetricFamily> families;
  absl::flat_hash_map<std::string, size_t> index;  // family name -> position
  for (const auto& [partition, metrics] : by_partition) {
    for (const auto& [name, sample] : metrics) {
      Named named = NameOf(name);
      if (!partition.empty()) named.labels.push_back({"partition", partition});
      prometheus::MetricType type = prometheus::MetricType::Gauge;
      if (sample.kind == MetricSample::Kind::kCounter) {
        named.family += "_total";
        type = prometheus::MetricType::Counter;
      } else if (sample.kind == MetricSample::Kind::kHistogram) {
        named.family += "_seconds";
        type = prometheus::MetricType::Histogram;
      }
      auto [it, added] = index.try_emplace(named.family, families.size());
      if (added) {
        families.push_back(
            prometheus::MetricFamily{named.family, "Roost metric " + name, type, {}});
      }
      prometheus::MetricFamily& family = families[it->second];
      if (family.type != type) continue;  // a name clash across kinds: keep the first
      family.metric.push_back(Sample(sample, named));
    }
  }
  return families;
}

std::vector<prometheus::MetricFamily> ToPrometheus(
    const std::map<std::string, MetricSample>& metrics) {
  return ToPrometheus({{"", metrics}});
}

class MetricsEndpoint::Collector : public prometheus::Collectable {
 public:
  explicit Collector(std::vector<MetricsSource> sources) : sources_(std::move(sources)) {}
  // Runs on the exposer's thread, where an exception would end the process.
  std::vector<prometheus::MetricFamily> Collect() const override {
    try {
      std::vector<std::pair<std::string, std::map<std::string, MetricSample>>> by_partition;
      for (const MetricsSource& source : sources_) {
        by_partition.emplace_back(source.partition, source.registry->Collect());
      }
      return ToPrometheus(by_partition);
    } catch (const std::exception&) {
      return {};  // out of memory: this scrape is empty, the next may not be
    }
  }

 private:
  const std::vector<MetricsSource> sources_;
};

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    std::vector<MetricsSource> sources, const std::string& listen) {
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  endpoint->collector_ = std::make_shared<Collector>(std::move(sources));
  // prometheus-cpp reports a failure to listen by throwing; it stops here.
  try {
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics endpoint: cannot listen on ", listen, ": ", e.what()));
  }
  endpoint->exposer_->RegisterCollectable(endpoint->collector_);
  const std::vector<int> ports = endpoint->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("metrics endpoint: not listening on ", listen));
  }
  endpoint->port_ = ports.front();
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() = default;

}  // namespace roost::services
