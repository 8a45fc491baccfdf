#include "common/metrics.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace roost {

Counter* MetricsRegistry::GetCounter(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  auto& slot = counters_[name];
  if (slot == nullptr) slot = std::make_unique<Counter>();
  return slot.get();
}

void MetricsRegistry::SetGauge(absl::string_view name, std::function<int64_t()> read) {
  absl::MutexLock lock(&mu_);
  gauges_[name] = std::move(read);
}

void MetricsRegistry::RemoveGauge(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  gauges_.erase(name);
}

LatencyHistogram* MetricsRegistry::GetHistogram(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  auto& slot = histograms_[name];
  if (slot == nullptr) slot = std::make_unique<LatencyHistogram>();
  return slot.get();
}

std::map<std::string, int64_t> MetricsRegistry::Snapshot() const {
  std::map<std::string, int64_t> out;
  for (const auto& [name, sample] : Collect()) {
    if (sample.kind != MetricSample::Kind::kHistogram) {
      out[name] = sample.value;
      continue;
    }
    out[name + ".count"] = sample.histogram.count;
    out[name + ".p50_ns"] = sample.histogram.Percentile(50);
    out[name + ".p99_ns"] = sample.histogram.Percentile(99);
  }
  return out;
}

std::map<std::string, MetricSample> MetricsRegistry::Collect() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, MetricSample> out;
  for (const auto& [name, counter] : counters_) {
    out[name] = MetricSample{MetricSample::Kind::kCounter, counter->Value(), {}};
  }
  for (const auto& [name, read] : gauges_) {
    out[name] = MetricSample{MetricSample::Kind::kGauge, read(), {}};
  }
  for (const auto& [name, histogram] : histograms_) {
    out[name] = MetricSample{MetricSample::Kind::kHistogram, 0, histogram->Read()};
  }
  return out;
}

void LatencyHistogram::Record(int64_t nanos, int64_t count) {
  // Bucket i holds (2^(i-1), 2^i]: the bit width of nanos - 1.
  const uint64_t above = nanos <= 1 ? 0 : static_cast<uint64_t>(nanos - 1);
  const int bucket = std::min<int>(kBuckets - 1, std::bit_width(above));
  buckets_[bucket].fetch_add(count, std::memory_order_relaxed);
  sum_nanos_.fetch_add(std::max<int64_t>(nanos, 0) * count, std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::Read() const {
  Snapshot snapshot;
  for (int i = 0; i < kBuckets; ++i) {
    snapshot.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    snapshot.count += snapshot.buckets[i];  // consistent with the buckets read
  }
  snapshot.sum_nanos = sum_nanos_.load(std::memory_order_relaxed);
  return snapshot;
}

int64_t LatencyHistogram::Snapshot::UpperBound(int i) {
  return i >= kBuckets - 1 ? std::numeric_limits<int64_t>::max() : int64_t{1} << i;
}

int64_t LatencyHistogram::Snapshot::Percentile(double percentile) const {
  if (count == 0) return 0;
  // The smallest bucket whose cumulative count reaches the rank.
  const auto rank = static_cast<int64_t>(std::ceil(percentile / 100 * static_cast<double>(count)));
  int64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets[i];
    if (seen >= std::max<int64_t>(rank, 1)) return UpperBound(i);
  }
  return UpperBound(kBuckets - 1);
}

}  // namespace roost
