#include "common/metrics.h"

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

std::map<std::string, int64_t> MetricsRegistry::Snapshot() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, int64_t> out;
  for (const auto& [name, counter] : counters_) out[name] = counter->Value();
  for (const auto& [name, read] : gauges_) out[name] = read();
  return out;
}

}  // namespace roost
