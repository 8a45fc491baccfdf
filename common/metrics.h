// A process-wide registry of named counters and gauges, read by Admin.Stats and the
// metrics endpoint. Counters are lock-free to bump; registration takes a lock.
#ifndef ROOST_COMMON_METRICS_H_
#define ROOST_COMMON_METRICS_H_

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

class MetricsRegistry {
 public:
  // Returns the counter named `name`, creating it on first use. The pointer stays valid
  // for the registry's lifetime.
  Counter* GetCounter(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);
  // A gauge is read by calling `read` at snapshot time; it must stay callable until
  // RemoveGauge or the registry's destruction.
  void SetGauge(absl::string_view name, std::function<int64_t()> read) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveGauge(absl::string_view name) ABSL_LOCKS_EXCLUDED(mu_);

  // Every counter and gauge, sorted by name.
  std::map<std::string, int64_t> Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<Counter>> counters_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::function<int64_t()>> gauges_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roost

#endif  // ROOST_COMMON_METRICS_H_
