// The back-pressure gate between the bolts' queues and the spouts.
//
// A queue that passes the high watermark closes the gate; it reopens when every queue
// is below the low watermark. The queues report watermark crossings (under their own
// locks, so each queue's reports alternate above/below); the gate counts the queues at
// or above the low watermark, so reopening needs no scan of every queue.
//
// Spouts check paused() between batches and after every hand-off, and wait while the
// gate is closed. Bolts never wait: two instances sharing a worker could deadlock.
//
// The time the gate stays closed is added to the back-pressure counters of the
// component whose queue closed it.
//
// Thread-safe.
#ifndef ROOST_TOPOLOGY_BACK_PRESSURE_H_
#define ROOST_TOPOLOGY_BACK_PRESSURE_H_

#include <atomic>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"

namespace roost::topology {

// The back-pressure counters of one component.
struct BackPressureCounters {
  Counter* micros = nullptr;  // time the spouts were paused because of this component
  Counter* pauses = nullptr;  // how many times this component paused them
};

class BackPressureGate {
 public:
  // A queue's depth rose to the low watermark or above.
  void QueueAboveLow() { above_low_.fetch_add(1); }
  // A queue's depth fell below the low watermark; reopens the gate when it was the last.
  void QueueBelowLow() ABSL_LOCKS_EXCLUDED(mu_);
  // A queue of the component owning `counters` passed the high watermark.
  void QueueAboveHigh(const BackPressureCounters& counters) ABSL_LOCKS_EXCLUDED(mu_);

  bool paused() const { return paused_.load(std::memory_order_acquire); }

  // Blocks while the gate is closed, unless Shutdown() was called.
  void WaitWhilePaused() ABSL_LOCKS_EXCLUDED(mu_);

  // Wakes the waiting spouts for good (the topology stops); accounts a pause in
  // progress.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Reopen() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  std::atomic<int> above_low_{0};
  std::atomic<bool> paused_{false};  // mirrors closed_ for lock-free checks

  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time closed_since_ ABSL_GUARDED_BY(mu_);
  BackPressureCounters culprit_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_BACK_PRESSURE_H_
