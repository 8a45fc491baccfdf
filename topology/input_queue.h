// The input queue of one bolt instance: a vector under a mutex that producers append
// batches to and the instance's worker takes whole, so the lock is taken once per
// batch, not per tuple. Batches from one producer keep their order (FIFO per
// producer -> consumer pair; the pipeline relies on it).
//
// depth() counts the tuples queued plus those taken and not yet executed, so a worker
// taking everything at once does not hide a backlog from back pressure. Watermark
// crossings of the depth are reported to the BackPressureGate.
//
// Thread-safe; TakeAll and Consumed are called by the owning worker only.
#ifndef ROOST_TOPOLOGY_INPUT_QUEUE_H_
#define ROOST_TOPOLOGY_INPUT_QUEUE_H_

#include <atomic>
#include <cstddef>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "topology/back_pressure.h"
#include "topology/envelope.h"
#include "topology/wakeup.h"

namespace roost::topology {

struct Watermarks {
  size_t low = 0;
  size_t high = 0;
};

class InputQueue {
 public:
  // `gate` and `consumer` (the owning worker's wake-up) are not owned and must
  // outlive the queue; `counters` names the component the queue belongs to.
  InputQueue(Watermarks watermarks, BackPressureGate* gate, BackPressureCounters counters,
             Wakeup* consumer);

  InputQueue(const InputQueue&) = delete;
  InputQueue& operator=(const InputQueue&) = delete;

  // Moves every envelope of `batch` to the back of the queue and leaves `batch`
  // empty (possibly with a recycled buffer). Wakes the consumer.
  void Push(std::vector<Envelope>& batch) ABSL_LOCKS_EXCLUDED(mu_);

  // Moves every queued envelope into `out`, which must be empty. They keep counting
  // in depth() until Consumed().
  void TakeAll(std::vector<Envelope>& out) ABSL_LOCKS_EXCLUDED(mu_);

  // Reports `n` taken envelopes as executed.
  void Consumed(size_t n) ABSL_LOCKS_EXCLUDED(mu_);

  size_t depth() const { return depth_mirror_.load(std::memory_order_relaxed); }
  // The highest depth() ever reached.
  size_t max_depth() const { return max_depth_.load(std::memory_order_relaxed); }

 private:
  const Watermarks watermarks_;
  BackPressureGate* const gate_;
  const BackPressureCounters counters_;
  Wakeup* const consumer_;

  absl::Mutex mu_;
  std::vector<Envelope> queued_ ABSL_GUARDED_BY(mu_);
  size_t depth_ ABSL_GUARDED_BY(mu_) = 0;
  bool above_low_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<size_t> depth_mirror_{0};
  std::atomic<size_t> max_depth_{0};
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_INPUT_QUEUE_H_
