// A process-wide registry of named counters, gauges and latency histograms, read by
// Admin.Stats and the metrics endpoint. Counters and histograms are lock-free to
// update; registration takes a lock.
#ifndef ROOST_COMMON_METRICS_H_
#define ROOST_COMMON_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace roost {

class Counter {
 public:
  void Add(int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// A latency distribution in power-of-two buckets of nanoseconds: bucket i counts
// values in (2^(i-1), 2^i] ns, from 1 ns (bucket 0: <= 1 ns) to 2^kBuckets-2 ns
// (about 4.3 s); the last bucket takes everything above. Coarse (a percentile is
// exact to within 2x) but 8 bytes a bucket and lock-free, so a hot path can record
// every call; loadgen's Histogram is the fine-grained one, for benchmarks.
class LatencyHistogram {
 public:
  static constexpr int kBuckets = 34;

  void Record(int64_t nanos, int64_t count = 1);

  struct Snapshot {
    std::array<int64_t, kBuckets> buckets{};
    int64_t count = 0;
    int64_t sum_nanos = 0;
    // The upper bound of bucket i, in ns (the last is unbounded: INT64_MAX).
    static int64_t UpperBound(int i);
    // The upper bound of the bucket holding the given percentile (0..100); 0 if empty.
    int64_t Percentile(double percentile) const;
  };
  Snapshot Read() const;

 private:
  std::array<std::atomic<int64_t>, kBuckets> buckets_{};
  std::atomic<int64_t> sum_nanos_{0};
};

// One metric as the metrics endpoint sees it.
struct MetricSample {
  enum class Kind { kCounter, kGauge, kHistogram };
  Kind kind = Kind::kCounter;
  int64_t value = 0;                     // counters and gauges
  LatencyHistogram::Snapshot histogram;  // histograms
};

class MetricsRegistry {
 public:
  // Returns the counter named `name`, creating it on first use. The pointer stays valid
  // for the registry's lifetime.
  Counter* GetCounter(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);
  // A gauge is read by calling `read` at snapshot time; it must stay callable until
  // RemoveGauge or the registry's destruction.
  void SetGauge(absl::string_view name, std::function<int64_t()> read) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveGauge(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // Returns the histogram named `name`, creating it on first use; valid for the
  // registry's lifetime.
  LatencyHistogram* GetHistogram(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // Every counter and gauge, sorted by name, and for each histogram <name>.count,
  // <name>.p50_ns and <name>.p99_ns: flat numbers for Admin.Stats and tests.
  std::map<std::string, int64_t> Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);
  // Every metric with its kind and, for histograms, the buckets.
  std::map<std::string, MetricSample> Collect() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Counter>> counters_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::function<int64_t()>> gauges_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::unique_ptr<LatencyHistogram>> histograms_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace roost

#endif  // ROOST_COMMON_METRICS_H_
