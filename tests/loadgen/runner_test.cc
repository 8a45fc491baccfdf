// The scheduler's measurement, against small in-process targets whose behaviour the
// tests control: open-loop latency from the intended send time (a stall shows), the
// closed loop's concurrency, warm-up exclusion, exhaustion, fanout probes and errors.
#include "loadgen/runner.h"

#include <algorithm>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace roost::loadgen {
namespace {

// Completes every operation at once, on the calling thread, except that the call
// numbered `stall_at` blocks for `stall` first (a client or server stall that holds
// up sending). Posts return a tweet id; probes answer `visible`.
class InlineTarget : public Target {
 public:
  std::string name() const override { return "inline"; }
  void Issue(const Op& op, absl::Time, absl::AnyInvocable<void(Outcome)> done) override {
    if (calls_++ == stall_at) absl::SleepFor(stall);
    if (fail_every > 0 && calls_ % fail_every == 0) {
      return done(Outcome{absl::UnavailableError("down")});
    }
    done(Outcome{absl::OkStatus(), op.kind == OpKind::kPost ? calls_ : 0, calls_});
  }
  void AwaitVisible(UserId, const Outcome& post, absl::Time,
                    absl::AnyInvocable<void(absl::Status)> done) override {
    done(post.tweet_id % 2 == 0 ? absl::OkStatus() : absl::NotFoundError("missing"));
  }
  absl::StatusOr<bool> FollowsAll(UserId, absl::Span<const UserId>) override { return true; }
  absl::Status Sync(absl::Time) override { return absl::OkStatus(); }

  uint64_t stall_at = UINT64_MAX;
  absl::Duration stall;
  uint64_t fail_every = 0;

 private:
  uint64_t calls_ = 0;  // only the scheduling thread calls Issue
};

// Completes operations on its own thread, holding them until `batch` are in flight
// (or the oldest has waited 50 ms, so that a run's end, or a runner that never gets
// there, does not stall), and records how many were in flight at most. Holding them
// makes the figure independent of speed: a worker that completed each operation at
// once could keep a correct runner at 1 in flight (TSan's build did, under load).
class QueueTarget : public Target {
 public:
  explicit QueueTarget(size_t batch = 8) : batch_(batch), worker_([this] { Loop(); }) {}
  ~QueueTarget() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    worker_.join();
  }
  std::string name() const override { return "queue"; }
  void Issue(const Op&, absl::Time, absl::AnyInvocable<void(Outcome)> done) override {
    absl::MutexLock lock(&mu_);
    pending_.push_back(std::move(done));
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
  }
  void AwaitVisible(UserId, const Outcome&, absl::Time,
                    absl::AnyInvocable<void(absl::Status)> done) override {
    done(absl::OkStatus());
  }
  absl::StatusOr<bool> FollowsAll(UserId, absl::Span<const UserId>) override { return true; }
  absl::Status Sync(absl::Time) override { return absl::OkStatus(); }
  size_t max_in_flight() {
    absl::MutexLock lock(&mu_);
    return max_in_flight_;
  }

 private:
  void Loop() {
    while (true) {
      std::vector<absl::AnyInvocable<void(Outcome)>> batch;
      {
        absl::MutexLock lock(&mu_);
        auto any = [this]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !pending_.empty(); };
        mu_.Await(absl::Condition(&any));
        auto full = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          return stopping_ || pending_.size() >= batch_;
        };
        mu_.AwaitWithTimeout(absl::Condition(&full), absl::Milliseconds(50));
        if (pending_.empty()) return;
        batch.swap(pending_);
        in_flight_ -= batch.size();  // before done(), which may issue the next one
      }
      for (auto& done : batch) done(Outcome{});
    }
  }

  const size_t batch_;
  absl::Mutex mu_;
  std::vector<absl::AnyInvocable<void(Outcome)>> pending_ ABSL_GUARDED_BY(mu_);
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  size_t max_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

OpSource Homes() {
  return [](Op* op) {
    op->kind = OpKind::kHome;
    op->user = 1;
    return true;
  };
}

TEST(RunnerTest, OpenLoopMeasuresFromTheIntendedTimeSoAStallShows) {
  // 1,000 ops/s for 1 s; the 200th call blocks for 300 ms. The ~300 operations due
  // during the stall are sent late, and their latencies (300 ms down to 0) must be
  // counted: a load generator measuring from the actual send would report them as
  // fast ("coordinated omission").
  InlineTarget target;
  target.stall_at = 200;
  target.stall = absl::Milliseconds(300);
  RunOptions options;
  options.rate = 1000;
  options.duration = absl::Seconds(1);
  options.warmup = absl::ZeroDuration();
  absl::StatusOr<RunResult> result = RunLoad(&target, Homes(), options);
  ASSERT_TRUE(result.ok()) << result.status();
  const Histogram& latency = result->ops[0].latency;
  EXPECT_EQ(latency.count(), 1000u);  // every due operation is sent, none dropped
  EXPECT_GE(latency.max(), absl::ToInt64Nanoseconds(absl::Milliseconds(300)));
  EXPECT_GE(latency.ValueAtPercentile(90), absl::ToInt64Nanoseconds(absl::Milliseconds(100)));
  EXPECT_LT(latency.ValueAtPercentile(50), absl::ToInt64Nanoseconds(absl::Milliseconds(50)));
  EXPECT_GT(result->late_sends, 200u);
}

TEST(RunnerTest, ClosedLoopKeepsConcurrencyInFlightAndNoMore) {
  QueueTarget target;
  RunOptions options;
  options.rate = 0;
  options.concurrency = 8;
  options.duration = absl::Milliseconds(500);
  options.warmup = absl::ZeroDuration();
  absl::StatusOr<RunResult> result = RunLoad(&target, Homes(), options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(target.max_in_flight(), 8u);
  EXPECT_GT(result->all.count(), 8u);
  EXPECT_EQ(result->all.ok, result->all.count());
}

TEST(RunnerTest, WarmupIsRunButNotMeasured) {
  // Intended times are i ms: exactly the operations due in [200 ms, 500 ms) count.
  InlineTarget target;
  RunOptions options;
  options.rate = 1000;
  options.warmup = absl::Milliseconds(200);
  options.duration = absl::Milliseconds(300);
  absl::StatusOr<RunResult> result = RunLoad(&target, Homes(), options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->all.count(), 300u);
  EXPECT_EQ(result->issued, 300u);
  EXPECT_NEAR(absl::ToDoubleSeconds(result->measured), 0.3, 0.05);
}

TEST(RunnerTest, AnExhaustedSourceEndsTheRunAfterItsLastOperation) {
  InlineTarget target;
  int left = 100;
  RunOptions options;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Hours(1);
  absl::StatusOr<RunResult> result = RunLoad(
      &target,
      [&left](Op* op) {
        op->kind = OpKind::kFollow;
        return left-- > 0;
      },
      options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->exhausted);
  EXPECT_EQ(result->ops[static_cast<int>(OpKind::kFollow)].count(), 100u);
  EXPECT_LT(result->measured, absl::Minutes(1));
}

TEST(RunnerTest, CountsErrorsByCodeAndProbesSampledPosts) {
  InlineTarget target;
  target.fail_every = 10;
  RunOptions options;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Hours(1);
  int left = 1000;
  absl::StatusOr<RunResult> result = RunLoad(
      &target,
      [&left](Op* op) {
        op->kind = OpKind::kPost;
        op->user = 2;
        op->observer = 3;
        return left-- > 0;
      },
      options);
  ASSERT_TRUE(result.ok()) << result.status();
  const OpStats& posts = result->ops[static_cast<int>(OpKind::kPost)];
  EXPECT_EQ(posts.count(), 1000u);
  EXPECT_EQ(posts.ok, 900u);
  EXPECT_EQ(posts.errors.at(absl::StatusCode::kUnavailable), 100u);
  // Only successful posts are probed; the target finds even tweet ids.
  EXPECT_EQ(result->fanout_lag.count() + result->fanout_missing, 900u);
  EXPECT_EQ(result->fanout_lag.count(), 400u);  // even ids not divisible by 10
}

TEST(RunnerTest, StopEndsTheRunEarly) {
  QueueTarget target;
  std::atomic<bool> stop{true};
  RunOptions options;
  options.stop = &stop;
  options.duration = absl::Hours(1);
  absl::StatusOr<RunResult> result = RunLoad(&target, Homes(), options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->stopped);
  EXPECT_EQ(result->all.count(), 0u);
}

TEST(RunnerTest, RejectsBadOptions) {
  InlineTarget target;
  RunOptions bad_rate;
  bad_rate.rate = -1;
  RunOptions bad_concurrency;
  bad_concurrency.concurrency = 0;
  RunOptions bad_duration;
  bad_duration.duration = absl::ZeroDuration();
  for (const RunOptions& options : {bad_rate, bad_concurrency, bad_duration}) {
    EXPECT_EQ(RunLoad(&target, Homes(), options).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace roost::loadgen
