// What the benchmarks that drive the engine in process (services/roost.h) share: opening
// it, bounding the writes in flight, and waiting until what was written is applied.
#ifndef ROOST_LOADGEN_BENCH_BENCH_ROOST_H_
#define ROOST_LOADGEN_BENCH_BENCH_ROOST_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "loadgen/bench/bench_env.h"
#include "services/roost.h"

namespace roost::loadgen {

// Bounds the writes in flight and counts their outcomes.
class InFlight {
 public:
  explicit InFlight(int max = 512) : max_(max) {}
  void Acquire() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &InFlight::HasRoom));
    ++in_flight_;
  }
  void Release(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    --in_flight_;
    if (!status.ok() && first_error_.ok()) first_error_ = status;
  }
  // Waits for every write and fails the benchmark process on any error.
  void Finish() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* n) { return *n == 0; }, &in_flight_));
    if (!first_error_.ok()) Die("write", first_error_);
  }

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ < max_; }

  const int max_;
  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

inline services::RoostOptions BenchOptions(const std::string& dir, log::SyncPolicy sync) {
  services::RoostOptions options;
  options.data_dir = dir;
  options.log_sync = sync;
  return options;
}

inline std::unique_ptr<services::Roost> OpenRoost(const services::RoostOptions& options) {
  absl::StatusOr<std::unique_ptr<services::Roost>> roost = services::Roost::Open(options);
  if (!roost.ok()) Die("open " + options.data_dir, roost.status());
  return *std::move(roost);
}

// Waits until everything appended so far is applied.
inline void WaitApplied(services::Roost& roost, absl::Duration timeout = absl::Minutes(10)) {
  absl::Notification applied;
  roost.WhenApplied(roost.appended_position(), absl::Now() + timeout, [&](absl::Status s) {
    if (!s.ok()) Die("wait for applied", s);
    applied.Notify();
  });
  applied.WaitForNotification();
}

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_BENCH_BENCH_ROOST_H_
