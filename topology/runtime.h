// The state every thread of a running topology shares: the options, the ack tracker,
// the back-pressure gate, the in-flight count and the stop flags. Owned by the
// topology; it outlives every instance and thread.
//
// Thread-safe.
#ifndef ROOST_TOPOLOGY_RUNTIME_H_
#define ROOST_TOPOLOGY_RUNTIME_H_

#include <atomic>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "topology/ack_tracker.h"
#include "topology/back_pressure.h"
#include "topology/component.h"
#include "topology/in_flight.h"
#include "topology/topology.h"

namespace roost::topology {

// `error` with its message prefixed by the instance it came from, e.g.
// "bolt 'count' task 2: ...".
absl::Status TaskError(const absl::Status& error, absl::string_view kind,
                       const TaskContext& context);

class Runtime {
 public:
  Runtime(int spout_instances, TopologyOptions options);

  const TopologyOptions& options() const { return options_; }
  AckTracker& tracker() { return tracker_; }
  const AckTracker& tracker() const { return tracker_; }
  BackPressureGate& gate() { return gate_; }
  InFlight& in_flight() { return in_flight_; }

  // Spouts stop at their next batch boundary (waking if paused) and never restart.
  void StopSpouts();
  bool spouts_stopping() const { return spouts_stopping_.load(std::memory_order_acquire); }

  // Records `error` if it is the first spout error, and stops every spout: the
  // topology takes no more input, though the bolts still finish what is in flight.
  void FailSpouts(absl::Status error) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status first_error() const ABSL_LOCKS_EXCLUDED(mu_);

  // Ticks stop before Stop waits for the bolts to go idle; otherwise a bolt that
  // emits on every tick would never let them.
  void DisableTicks() { ticks_enabled_.store(false); }
  bool ticks_enabled() const { return ticks_enabled_.load(); }

 private:
  const TopologyOptions options_;
  AckTracker tracker_;
  BackPressureGate gate_;
  InFlight in_flight_;
  std::atomic<bool> spouts_stopping_{false};
  std::atomic<bool> ticks_enabled_{true};

  mutable absl::Mutex mu_;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_RUNTIME_H_
