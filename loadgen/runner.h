// RunLoad is the load generator's one scheduler. It sends operations to a Target either
// open-loop, at a fixed rate, or closed-loop, keeping a fixed number in flight, and
// measures them the same way for every target.
//
// Open loop (rate > 0) follows wrk2: operation i is due at start + i / rate, and its
// latency is measured from that intended time, not from when it was actually sent. A
// server (or client) stall that delays sends therefore shows in the percentiles
// instead of being hidden by the load generator slowing down with the server
// ("coordinated omission"). At most `concurrency` operations are in flight; when the
// limit is reached, sends wait, and the wait counts in their latency.
//
// Closed loop (rate = 0) measures maximum throughput: `concurrency` operations are
// always in flight, each sent as soon as one finishes, latency measured from the send.
//
// The first `warmup` of a run is executed but not measured. Posts that carry an
// observer (Workload's fanout sampling) are followed by Target::AwaitVisible; the
// fanout lag is the time from the post's acknowledgement until the tweet is visible.
#ifndef ROOST_LOADGEN_RUNNER_H_
#define ROOST_LOADGEN_RUNNER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "loadgen/histogram.h"
#include "loadgen/target.h"
#include "loadgen/workload.h"

namespace roost::loadgen {

// Latency (ns) and outcomes of one kind of operation.
struct OpStats {
  Histogram latency;  // every completed operation, failed ones included
  uint64_t ok = 0;
  std::map<absl::StatusCode, uint64_t> errors;

  uint64_t count() const { return latency.count(); }
  uint64_t error_count() const;
  void Merge(const OpStats& other);
};

// One progress interval (by completion time).
struct Interval {
  double end_seconds = 0;  // since the run (warm-up included) started
  bool warmup = false;
  std::array<uint64_t, kNumOpKinds> completed{};
  uint64_t errors = 0;
  uint64_t p50_ns = 0, p99_ns = 0, max_ns = 0;  // all operations of the interval
};

struct RunOptions {
  double rate = 0;  // operations per second; 0: closed loop
  absl::Duration duration = absl::Seconds(60);
  absl::Duration warmup = absl::Seconds(5);
  int concurrency = 64;                               // at most this many operations in flight
  absl::Duration timeout = absl::Seconds(10);         // per operation
  absl::Duration fanout_timeout = absl::Seconds(30);  // per fanout probe
  absl::Duration interval = absl::Seconds(1);         // progress and time series
  // Called on the scheduling thread at every interval with the run so far; keep it
  // short (a progress line).
  std::function<void(const Interval& last, const struct RunResult& so_far)> on_interval;
  // When set and it becomes true (e.g. on Ctrl-C), sending stops as at the end of the
  // duration; the result covers the time until then.
  const std::atomic<bool>* stop = nullptr;
};

struct RunResult {
  std::string target;
  RunOptions options;
  absl::Duration measured;  // the measured window's real length
  std::array<OpStats, kNumOpKinds> ops;
  OpStats all;                  // every kind merged
  Histogram fanout_lag;         // ns, from post acknowledgement to visible
  uint64_t fanout_missing = 0;  // probes that found the timeline current but no tweet
  std::map<absl::StatusCode, uint64_t> fanout_errors;
  std::vector<Interval> intervals;
  uint64_t issued = 0;      // in the measured window
  uint64_t late_sends = 0;  // open loop: sent more than 1 ms after their intended time
  bool exhausted = false;   // the operation source ran out before the duration
  bool stopped = false;     // RunOptions::stop ended the run early

  // Completed operations per second of the measured window.
  double Throughput(OpKind kind) const;
  double Throughput() const;
};

// Produces the next operation; false when there are no more (a graph load's edges).
using OpSource = std::function<bool(Op*)>;

// Runs `source` against `target` until the duration (after the warm-up) has passed or
// the source is exhausted, then waits for every operation in flight. INVALID_ARGUMENT
// for a negative rate, a concurrency below 1 or a non-positive duration.
absl::StatusOr<RunResult> RunLoad(Target* target, const OpSource& source,
                                  const RunOptions& options);

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_RUNNER_H_
