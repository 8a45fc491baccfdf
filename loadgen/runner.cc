#include "loadgen/runner.h"

#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace roost::loadgen {
namespace {

// Steady nanoseconds: intended send times must not jump with the wall clock.
int64_t Mono() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr int64_t kLateSendNs = 1'000'000;

// The state shared between the scheduling thread and the completion callbacks, which
// run on the target's threads.
//
// Callbacks hold a reference: a target may destroy a callback (and so end its use of
// the mutex) a moment after calling it, when RunLoad may already be returning.
class Recorder : public std::enable_shared_from_this<Recorder> {
 public:
  Recorder(Target* target, const RunOptions& options, int64_t start)
      : target_(target),
        options_(options),
        start_(start),
        measure_from_(start + absl::ToInt64Nanoseconds(options.warmup)) {}

  // Blocks until fewer than `concurrency` operations are in flight or `until_ns`;
  // true when a slot was taken.
  bool AcquireSlot(int64_t until_ns) {
    absl::MutexLock lock(&mu_);
    auto has_slot = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return in_flight_ < options_.concurrency;
    };
    const int64_t wait = until_ns - Mono();
    if (!mu_.AwaitWithTimeout(absl::Condition(&has_slot),
                              absl::Nanoseconds(std::max<int64_t>(wait, 0)))) {
      return false;
    }
    ++in_flight_;
    return true;
  }

  void ReleaseSlot() {
    absl::MutexLock lock(&mu_);
    --in_flight_;
  }

  // Sends op, due at `intended` (steady ns).
  void Send(const Op& op, int64_t intended) {
    const bool measured = intended >= measure_from_;
    const absl::Time deadline = absl::Now() + options_.timeout;
    const OpKind kind = op.kind;
    const UserId observer = op.observer;
    target_->Issue(
        op, deadline,
        [this, self = shared_from_this(), kind, observer, intended, measured](Outcome outcome) {
          const int64_t now = Mono();
          Complete(kind, measured, now - intended, outcome.status);
          if (measured && observer != 0 && outcome.status.ok() && outcome.tweet_id != 0) {
            Probe(observer, outcome, now);
          }
          absl::MutexLock lock(&mu_);
          --in_flight_;
        });
  }

  // Waits until every operation and probe has finished.
  void WaitIdle() {
    absl::MutexLock lock(&mu_);
    auto idle = [this]()
                    ABSL_SHARED_LOCKS_REQUIRED(mu_) { return in_flight_ == 0 && probes_ == 0; };
    mu_.Await(absl::Condition(&idle));
  }

  // Closes the current interval and returns it.
  Interval TakeInterval(int64_t now) {
    absl::MutexLock lock(&mu_);
    Interval interval = window_;
    interval.end_seconds = static_cast<double>(now - start_) / 1e9;
    interval.warmup = now <= measure_from_;
    interval.p50_ns = window_latency_.ValueAtPercentile(50);
    interval.p99_ns = window_latency_.ValueAtPercentile(99);
    interval.max_ns = window_latency_.max();
    window_ = Interval();
    window_latency_.Reset();
    result_.intervals.push_back(interval);
    return interval;
  }

  // A copy of what has been measured so far.
  RunResult Snapshot() {
    absl::MutexLock lock(&mu_);
    return result_;
  }

  void CountIssued(bool late) {
    absl::MutexLock lock(&mu_);
    ++result_.issued;
    result_.late_sends += late;
  }

 private:
  void Complete(OpKind kind, bool measured, int64_t latency_ns, const absl::Status& status) {
    const uint64_t latency = static_cast<uint64_t>(std::max<int64_t>(latency_ns, 0));
    absl::MutexLock lock(&mu_);
    ++window_.completed[static_cast<int>(kind)];
    window_.errors += !status.ok();
    window_latency_.Record(latency);
    if (!measured) return;
    OpStats& stats = result_.ops[static_cast<int>(kind)];
    stats.latency.Record(latency);
    if (status.ok()) {
      ++stats.ok;
    } else {
      ++stats.errors[status.code()];
    }
  }

  void Probe(UserId observer, const Outcome& post, int64_t acked) {
    {
      absl::MutexLock lock(&mu_);
      ++probes_;
    }
    target_->AwaitVisible(
        observer, post, absl::Now() + options_.fanout_timeout,
        [this, self = shared_from_this(), acked](absl::Status status) {
          const int64_t lag = Mono() - acked;
          absl::MutexLock lock(&mu_);
          if (status.ok()) {
            result_.fanout_lag.Record(static_cast<uint64_t>(std::max<int64_t>(lag, 0)));
          } else if (status.code() == absl::StatusCode::kNotFound) {
            ++result_.fanout_missing;
          } else {
            ++result_.fanout_errors[status.code()];
          }
          --probes_;
        });
  }

  Target* const target_;
  const RunOptions options_;
  const int64_t start_;
  const int64_t measure_from_;

  absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  int probes_ ABSL_GUARDED_BY(mu_) = 0;
  RunResult result_ ABSL_GUARDED_BY(mu_);
  Interval window_ ABSL_GUARDED_BY(mu_);
  Histogram window_latency_ ABSL_GUARDED_BY(mu_);
};

absl::Status CheckRunOptions(const RunOptions& options) {
  if (!(options.rate >= 0)) return absl::InvalidArgumentError("the rate must be >= 0");
  if (options.concurrency < 1) return absl::InvalidArgumentError("the concurrency must be >= 1");
  if (options.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the duration must be > 0");
  }
  if (options.warmup < absl::ZeroDuration() || options.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the warm-up must be >= 0 and the interval > 0");
  }
  return absl::OkStatus();
}

// The run's totals: measured from the warm-up's end to `stopped` (or the end).
RunResult Totals(Recorder& recorder, const Target& target, const RunOptions& options,
                 int64_t measure_from, int64_t stopped, int64_t end) {
  RunResult result = recorder.Snapshot();
  result.target = target.name();
  result.options = options;
  result.options.on_interval = nullptr;
  result.stopped = options.stop != nullptr && options.stop->load(std::memory_order_relaxed);
  result.measured = absl::Nanoseconds(std::max<int64_t>(std::min(stopped, end) - measure_from, 0));
  for (const OpStats& stats : result.ops) result.all.Merge(stats);
  return result;
}

}  // namespace

uint64_t OpStats::error_count() const {
  uint64_t n = 0;
  for (const auto& [code, count] : errors) n += count;
  return n;
}

void OpStats::Merge(const OpStats& other) {
  latency.Merge(other.latency);
  ok += other.ok;
  for (const auto& [code, count] : other.errors) errors[code] += count;
}

double RunResult::Throughput(OpKind kind) const {
  const double seconds = absl::ToDoubleSeconds(measured);
  return seconds > 0 ? static_cast<double>(ops[static_cast<int>(kind)].count()) / seconds : 0;
}

double RunResult::Throughput() const {
  const double seconds = absl::ToDoubleSeconds(measured);
  return seconds > 0 ? static_cast<double>(all.count()) / seconds : 0;
}

absl::StatusOr<RunResult> RunLoad(Target* target, const OpSource& source,
                                  const RunOptions& options) {
  if (absl::Status checked = CheckRunOptions(options); !checked.ok()) return checked;
  // Sleeps of tens of microseconds matter at high rates; the default 50 µs timer
  // slack would bunch sends up.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

  const int64_t start = Mono();
  const int64_t measure_from = start + absl::ToInt64Nanoseconds(options.warmup);
  const int64_t end = measure_from + absl::ToInt64Nanoseconds(options.duration);
  const int64_t interval = absl::ToInt64Nanoseconds(options.interval);
  const double period_ns = options.rate > 0 ? 1e9 / options.rate : 0;
  const auto recorder_ref = std::make_shared<Recorder>(target, options, start);
  Recorder& recorder = *recorder_ref;

  int64_t next_tick = start + interval;
  auto tick = [&](int64_t now) {
    while (now >= next_tick) {
      const Interval last = recorder.TakeInterval(next_tick);
      if (options.on_interval) options.on_interval(last, recorder.Snapshot());
      next_tick += interval;
    }
  };

  bool exhausted = false;
  auto stop_requested = [&options] {
    return options.stop != nullptr && options.stop->load(std::memory_order_relaxed);
  };
  Op op;
  for (uint64_t i = 0; !stop_requested(); ++i) {
    // When the next operation is due: on the fixed schedule (open loop), or now.
    const int64_t intended =
        options.rate > 0 ? start + static_cast<int64_t>(static_cast<double>(i) * period_ns) : 0;
    if (intended >= end) break;
    if (options.rate > 0) {
      for (int64_t now = Mono(); now < intended && !stop_requested(); now = Mono()) {
        tick(now);
        absl::SleepFor(absl::Nanoseconds(std::min(intended, next_tick) - now));
      }
    }
    // An operation due before the end is sent even when the client fell behind and the
    // end has passed (a free slot is still taken at once): open-loop latency counts
    // from the intended time, so dropping the late ones would hide exactly them.
    bool have_slot = false;
    for (int64_t now = Mono(); !stop_requested(); now = Mono()) {
      tick(now);
      if ((have_slot = recorder.AcquireSlot(std::min(next_tick, end)))) break;
      if (now >= end) break;
    }
    if (!have_slot) break;
    if (!source(&op)) {
      exhausted = true;
      recorder.ReleaseSlot();
      break;
    }
    const int64_t sent = Mono();
    const int64_t due = options.rate > 0 ? intended : sent;
    if (due >= measure_from) recorder.CountIssued(sent - due > kLateSendNs);
    recorder.Send(op, due);
    if (options.rate == 0 && sent >= end) break;
  }
  int64_t stopped = Mono();
  recorder.WaitIdle();
  // A source that ran out (a graph load) is measured until its last operation is done.
  if (exhausted) stopped = Mono();
  tick(Mono());

  RunResult result = Totals(recorder, *target, options, measure_from, stopped, end);
  result.exhausted = exhausted;
  return result;
}

}  // namespace roost::loadgen
