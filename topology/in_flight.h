// Counts the work the bolts still have to do — tuples handed to a queue and not yet
// executed, and ticks in progress — so that Stop can wait for the topology to go idle.
//
// Work is added before it becomes visible (a tuple before it is queued) and released
// after everything it produced was added, so the count cannot touch 0 while work
// remains. WaitIdle is meant for Stop, once nothing outside the bolts adds work.
//
// Thread-safe.
#ifndef ROOST_TOPOLOGY_IN_FLIGHT_H_
#define ROOST_TOPOLOGY_IN_FLIGHT_H_

#include <atomic>
#include <cstdint>

#include "absl/synchronization/mutex.h"

namespace roost::topology {

class InFlight {
 public:
  void Add(int64_t n) { count_.fetch_add(n); }

  void Done(int64_t n) {
    // Only a waiter needs to hear about 0; while running, 0 is a common, quiet state.
    if (count_.fetch_sub(n) == n && draining_.load()) {
      absl::MutexLock lock(&mu_);
      idle_.SignalAll();
    }
  }

  // Blocks until nothing is in flight.
  void WaitIdle() {
    // Stored before reading the count (both seq_cst): a Done that reaches 0 after
    // this store sees it and signals; one before it leaves 0 for the read below.
    draining_.store(true);
    absl::MutexLock lock(&mu_);
    while (count_.load() != 0) idle_.Wait(&mu_);
  }

  int64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> count_{0};
  std::atomic<bool> draining_{false};
  absl::Mutex mu_;
  absl::CondVar idle_;
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_IN_FLIGHT_H_
