// How producers wake a sleeping worker thread without taking a lock on every hand-off.
//
// The worker calls Clear() before it scans its queues and Wait() when the scan found
// nothing; producers call Notify() after queuing. Notify stores `pending_` and then
// reads `sleeping_`; Wait stores `sleeping_` and then reads `pending_` (all seq_cst),
// so at least one side sees the other and no wake-up is lost. Notify locks only when
// the worker is (about to be) asleep.
//
// Thread-safe.
#ifndef ROOST_TOPOLOGY_WAKEUP_H_
#define ROOST_TOPOLOGY_WAKEUP_H_

#include <atomic>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace roost::topology {

class Wakeup {
 public:
  void Notify() {
    pending_.store(true);
    if (sleeping_.load()) {
      absl::MutexLock lock(&mu_);
      cv_.Signal();
    }
  }

  // Forgets earlier notifications; what is queued after this will notify again.
  void Clear() { pending_.store(false); }

  // Sleeps until a Notify() since the last Clear(), or `deadline`.
  void Wait(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    sleeping_.store(true);
    while (!pending_.load()) {
      if (cv_.WaitWithDeadline(&mu_, deadline)) break;  // true: the deadline passed
    }
    sleeping_.store(false);
  }

 private:
  std::atomic<bool> pending_{false};
  std::atomic<bool> sleeping_{false};
  absl::Mutex mu_;
  absl::CondVar cv_;
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_WAKEUP_H_
