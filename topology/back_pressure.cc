#include "topology/back_pressure.h"

namespace roost::topology {

void BackPressureGate::QueueBelowLow() {
  // The queue that closed the gate counted itself above low before closing it, so
  // the count reaches 0 only after the gate closed and every queue drained.
  if (above_low_.fetch_sub(1) != 1 || !paused()) return;
  absl::MutexLock lock(&mu_);
  if (closed_ && above_low_.load() == 0) Reopen();
}

void BackPressureGate::QueueAboveHigh(const BackPressureCounters& counters) {
  if (paused()) return;
  absl::MutexLock lock(&mu_);
  if (closed_ || shut_down_) return;
  closed_ = true;
  paused_.store(true, std::memory_order_release);
  closed_since_ = absl::Now();
  culprit_ = counters;
  if (culprit_.pauses != nullptr) culprit_.pauses->Add();
}

void BackPressureGate::Reopen() {
  closed_ = false;
  paused_.store(false, std::memory_order_release);
  if (culprit_.micros != nullptr) {
    culprit_.micros->Add(absl::ToInt64Microseconds(absl::Now() - closed_since_));
  }
  culprit_ = {};
}

void BackPressureGate::WaitWhilePaused() {
  absl::MutexLock lock(&mu_);
  auto open = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !closed_ || shut_down_; };
  mu_.Await(absl::Condition(&open));
}

void BackPressureGate::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  if (closed_) Reopen();
}

}  // namespace roost::topology
