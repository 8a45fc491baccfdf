// Reliability by offset watermark.
//
// Each NextBatch call of a spout instance that emits opens a Root: a count of the work
// still pending for the tuples emitted in that call and for everything emitted while
// executing them, transitively. The count starts at 1, a hold the spout keeps until
// NextBatch returns, so a batch is never complete while the spout may still add to it.
// A tuple adds 1 before it is queued and gives it back once executed (or
// dead-lettered), after the tuples it emitted were added; so the count reaches 0
// exactly when the batch and all its descendants are done.
//
// Roots are tracked per spout instance in emission order. committed() is the highest
// offset O such that every root emitted so far that holds an offset <= O is complete:
// the lowest first offset of a still-open root (minus one) bounds it, and so does the
// highest offset of the completed ones. Spouts share one offset space; committed()
// never decreases.
//
// Granularity is the batch: an offset inside a batch that is still open is not
// committed even if its own tuples are done. That keeps the per-tuple cost to one
// shared atomic add per hand-off rather than a map entry per tuple.
//
// Thread-safe.
#ifndef ROOST_TOPOLOGY_ACK_TRACKER_H_
#define ROOST_TOPOLOGY_ACK_TRACKER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/types.h"
#include "topology/envelope.h"

namespace roost::topology {

// Aligned to a cache line: roots are hot, counted down by every worker.
struct alignas(64) Root {
  std::atomic<int64_t> pending{1};  // the spout's hold, until its NextBatch returns
  LogOffset first_offset = 0;       // set by Open
  // Written by the spout thread while it keeps its hold; read once complete.
  LogOffset last_offset = 0;
  int spout = 0;
  bool done = false;  // guarded by AckTracker::mu_
};

class AckTracker {
 public:
  // `on_commit` (may be empty) runs under the tracker's lock each time committed()
  // advances, with the new value; it must be cheap and must not call back in.
  AckTracker(int spout_instances, std::function<void(LogOffset)> on_commit);

  AckTracker(const AckTracker&) = delete;
  AckTracker& operator=(const AckTracker&) = delete;

  // Opens a root for spout instance `spout` whose first tuple has `first_offset`.
  // Called on that spout's thread only; the root stays valid until it completes.
  Root* Open(int spout, LogOffset first_offset) ABSL_LOCKS_EXCLUDED(mu_);

  // Adds `n` units of pending work. The caller already holds a unit on the root (its
  // hold or the parent tuple's), so the root cannot complete concurrently.
  static void Add(Root* root, int64_t n) { root->pending.fetch_add(n, std::memory_order_relaxed); }

  // Gives back `n` units; the last one completes the root.
  void Done(Root* root, int64_t n) ABSL_LOCKS_EXCLUDED(mu_) {
    if (root->pending.fetch_sub(n, std::memory_order_acq_rel) == n) Complete(root);
  }

  LogOffset committed() const { return committed_mirror_.load(std::memory_order_acquire); }

  // Waits until committed() >= offset or `deadline`; true when reached.
  bool WaitForCommitted(LogOffset offset, absl::Time deadline) const ABSL_LOCKS_EXCLUDED(mu_);

  // Roots opened and not yet completed, over all spouts (for tests and gauges).
  size_t open_roots() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Complete(Root* root) ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  // Per spout instance, the roots not yet retired, oldest first. A deque keeps
  // references stable while roots are added at the back and retired at the front.
  std::vector<std::deque<Root>> roots_ ABSL_GUARDED_BY(mu_);
  LogOffset max_retired_offset_ ABSL_GUARDED_BY(mu_) = 0;
  LogOffset committed_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<LogOffset> committed_mirror_{0};  // lock-free reads of committed_
  const std::function<void(LogOffset)> on_commit_;
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_ACK_TRACKER_H_
