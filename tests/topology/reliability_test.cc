// Back pressure, the committed-offset watermark and dead-lettering, end to end.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/topology/test_components.h"
#include "topology/topology.h"

namespace roost::topology::test {
namespace {

using ::testing::ElementsAre;
using ::testing::FieldsAre;

// Emits `per_batch` tuples with consecutive offsets on every call, up to
// `limit` in all, so that even an engine without back pressure drains them in
// bounded time.
class FloodSpout : public Spout {
 public:
  FloodSpout(int per_batch, LogOffset limit) : per_batch_(per_batch), limit_(limit) {}
  absl::Status NextBatch(absl::Time deadline, SpoutCollector& out) override {
    if (next_ > limit_) {
      absl::SleepFor(deadline - absl::Now());  // nothing more to emit: idle, as a log tail would
      return absl::OkStatus();
    }
    for (int i = 0; i < per_batch_ && next_ <= limit_; ++i, ++next_) out.Emit(next_, 0, int64_t{0});
    return absl::OkStatus();
  }

 private:
  const int per_batch_;
  const LogOffset limit_;
  LogOffset next_ = 1;
};

// Sleeps in every Execute: a bolt much slower than its spout.
class SlowBolt : public Bolt {
 public:
  absl::Status Execute(const Tuple& input, Emitter& out) override {
    absl::SleepFor(absl::Microseconds(20));
    return absl::OkStatus();
  }
};

TEST(BackPressureTest, PausesTheSpoutAndBoundsTheQueue) {
  constexpr size_t kHigh = 64, kLow = 16, kBatch = 8;
  MetricsRegistry metrics;
  TopologyBuilder builder;
  builder.AddSpout("flood", [] { return std::make_unique<FloodSpout>(100, 10000); });
  builder.AddBolt("slow", [] { return std::make_unique<SlowBolt>(); }).Shuffle("flood");
  TopologyOptions options;
  options.worker_threads = 1;
  options.queue_high_watermark = kHigh;
  options.queue_low_watermark = kLow;
  options.batch_size = kBatch;
  options.metrics = &metrics;
  std::unique_ptr<Topology> topology = StartTopology(std::move(builder), options);
  ASSERT_NE(topology, nullptr);
  ASSERT_TRUE(topology->WaitForCommitted(2000, Soon()));

  // Read before Stop: a stopping spout finishes its batch without pausing.
  // The spout hands off at most a batch before it sees the gate closed.
  const int64_t max_depth = MetricValue(metrics, "topology.slow.queue_depth_max");
  EXPECT_GE(max_depth, static_cast<int64_t>(kHigh));
  EXPECT_LE(max_depth, static_cast<int64_t>(kHigh + kBatch));
  // 2000 tuples took many pauses; each one before the last has been timed.
  EXPECT_GT(MetricValue(metrics, "topology.slow.back_pressure_pauses"), 1);
  EXPECT_GT(MetricValue(metrics, "topology.slow.back_pressure_micros"), 0);
  EXPECT_EQ(MetricValue(metrics, "topology.flood.back_pressure_pauses"), 0);

  topology->Stop();
  EXPECT_EQ(MetricValue(metrics, "topology.slow.queue_depth"), 0);  // drained
}

// Blocks on every tuple until `release` is notified.
class HoldingBolt : public Bolt {
 public:
  HoldingBolt(std::shared_ptr<Recorder> recorder, std::shared_ptr<absl::Notification> release)
      : recorder_(std::move(recorder)), release_(std::move(release)) {}
  absl::Status Execute(const Tuple& input, Emitter& out) override {
    recorder_->Add({0, input.offset, input.stream, std::any_cast<int64_t>(input.value)});
    release_->WaitForNotificationWithDeadline(Soon());
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<Recorder> recorder_;
  std::shared_ptr<absl::Notification> release_;
};

TEST(WatermarkTest, AnUnfinishedTupleHoldsBackTheCommit) {
  // Offset 3 goes through "relay" to "held", which blocks on it: what holds the
  // commit back is a descendant, anchored by the relay. Every other offset goes
  // to "fast" and finishes. One offset per spout batch, so each is tracked on
  // its own.
  auto feed = std::make_shared<Feed>(/*per_batch=*/1);
  for (LogOffset offset = 1; offset <= 10; ++offset) {
    feed->Push({offset, offset == 3 ? 1 : 0, static_cast<int64_t>(offset)});
  }
  auto relay = std::make_shared<Recorder>();
  auto held = std::make_shared<Recorder>();
  auto fast = std::make_shared<Recorder>();
  auto release = std::make_shared<absl::Notification>();
  absl::Mutex mu;
  std::vector<LogOffset> commits;
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed));
  // Instances are pinned round robin: relay and fast on worker 0, held alone on
  // worker 1, so blocking it stops nothing else.
  builder.AddBolt("relay", RecordingBolts(relay, /*forward_stream=*/0)).Shuffle("source", 1);
  builder.AddBolt("held", [&] { return std::make_unique<HoldingBolt>(held, release); })
      .Shuffle("relay");
  builder.AddBolt("fast", RecordingBolts(fast)).Shuffle("source", 0);
  TopologyOptions options;
  options.worker_threads = 2;
  options.on_commit = [&](LogOffset offset) {
    absl::MutexLock lock(&mu);
    commits.push_back(offset);
  };
  std::unique_ptr<Topology> topology = StartTopology(std::move(builder), options);
  ASSERT_NE(topology, nullptr);

  ASSERT_TRUE(fast->WaitCount(9, Soon()));
  ASSERT_TRUE(held->WaitCount(1, Soon()));
  ASSERT_TRUE(topology->WaitForCommitted(2, Soon()));
  // Offsets 4..10 are done within microseconds; an engine that let them through
  // would reach 3 long before this deadline.
  EXPECT_FALSE(topology->WaitForCommitted(3, absl::Now() + absl::Milliseconds(200)));
  EXPECT_EQ(topology->committed_offset(), 2u);

  release->Notify();
  ASSERT_TRUE(topology->WaitForCommitted(10, Soon()));
  topology->Stop();
  EXPECT_EQ(topology->committed_offset(), 10u);
  absl::MutexLock lock(&mu);
  ASSERT_FALSE(commits.empty());
  EXPECT_EQ(commits.back(), 10u);
  for (size_t i = 0; i < commits.size(); ++i) {
    EXPECT_TRUE(commits[i] <= 2 || commits[i] == 10) << commits[i];
    if (i > 0) {
      EXPECT_LT(commits[i - 1], commits[i]);
    }
  }
  EXPECT_EQ(feed->last_committed(), 10u);
}

// Fails offset 5 its first `failures` times; counts the attempts per offset.
class FlakyBolt : public Bolt {
 public:
  struct Attempts {
    absl::Mutex mu;
    std::map<LogOffset, int> by_offset ABSL_GUARDED_BY(mu);
  };
  FlakyBolt(int failures, std::shared_ptr<Attempts> attempts)
      : failures_(failures), attempts_(std::move(attempts)) {}
  absl::Status Execute(const Tuple& input, Emitter& out) override {
    absl::MutexLock lock(&attempts_->mu);
    int attempt = ++attempts_->by_offset[input.offset];
    if (input.offset == 5 && attempt <= failures_) return absl::InternalError("boom");
    return absl::OkStatus();
  }

 private:
  const int failures_;
  std::shared_ptr<FlakyBolt::Attempts> attempts_;
};

// A FlakyBolt that also executes batches: a batch fails whenever it holds
// offset 5, and it records the size of every batch. Each input of a successful
// batch is emitted on, anchored to it.
class BatchingFlakyBolt : public FlakyBolt {
 public:
  BatchingFlakyBolt(int failures, std::shared_ptr<Attempts> attempts,
                    std::shared_ptr<std::vector<size_t>> batch_sizes)
      : FlakyBolt(failures, std::move(attempts)), batch_sizes_(std::move(batch_sizes)) {}
  bool ExecutesBatches() const override { return true; }
  absl::Status ExecuteBatch(absl::Span<const Tuple* const> inputs,
                            absl::Span<Emitter* const> outs) override {
    batch_sizes_->push_back(inputs.size());  // one instance, on one thread
    for (const Tuple* input : inputs) {
      if (input->offset == 5) return absl::InternalError("batch boom");
    }
    for (size_t i = 0; i < inputs.size(); ++i)
      outs[i]->Emit(0, static_cast<int64_t>(inputs[i]->offset));
    return absl::OkStatus();
  }

 private:
  std::shared_ptr<std::vector<size_t>> batch_sizes_;
};

struct DeadLetter {
  std::string component;
  LogOffset offset;
  std::string error;
};

class RetryTest : public ::testing::Test {
 protected:
  // Runs offsets 1..10 through a FlakyBolt with `failures` on offset 5 and
  // max_retries 2, until all are committed.
  // With `batching`, the bolt is a BatchingFlakyBolt whose output goes to a
  // recorder.
  void Run(int failures, bool batching = false) {
    auto feed = std::make_shared<Feed>();
    feed->PushRange(1, 10);
    TopologyBuilder builder;
    builder.AddSpout("source", FeedSpouts(feed));
    if (batching) {
      builder
          .AddBolt("flaky",
                   [&]() -> std::unique_ptr<Bolt> {
                     return std::make_unique<BatchingFlakyBolt>(failures, attempts_, batch_sizes_);
                   })
          .Shuffle("source");
      builder.AddBolt("sink", RecordingBolts(recorder_)).Shuffle("flaky");
    } else {
      builder.AddBolt("flaky", [&] { return std::make_unique<FlakyBolt>(failures, attempts_); })
          .Shuffle("source");
    }
    TopologyOptions options;
    options.max_retries = 2;
    options.metrics = &metrics_;
    options.dead_letter = [this](const std::string& component, const Tuple& tuple,
                                 const absl::Status& error) {
      absl::MutexLock lock(&mu_);
      dead_letters_.push_back({component, tuple.offset, std::string(error.message())});
    };
    std::unique_ptr<Topology> topology = StartTopology(std::move(builder), options);
    ASSERT_NE(topology, nullptr);
    ASSERT_TRUE(topology->WaitForCommitted(10, Soon()));
    topology->Stop();
  }

  int AttemptsAt(LogOffset offset) {
    absl::MutexLock lock(&attempts_->mu);
    return attempts_->by_offset[offset];
  }

  int64_t Metric(const std::string& name) {
    return MetricValue(metrics_, "topology.flaky." + name);
  }

  std::shared_ptr<FlakyBolt::Attempts> attempts_ = std::make_shared<FlakyBolt::Attempts>();
  std::shared_ptr<std::vector<size_t>> batch_sizes_ = std::make_shared<std::vector<size_t>>();
  std::shared_ptr<Recorder> recorder_ = std::make_shared<Recorder>();
  MetricsRegistry metrics_;
  absl::Mutex mu_;
  std::vector<DeadLetter> dead_letters_ ABSL_GUARDED_BY(mu_);
};

TEST_F(RetryTest, DeadLettersAfterMaxRetries) {
  Run(/*failures=*/1000);
  EXPECT_EQ(AttemptsAt(5), 3);  // the first try and two retries
  EXPECT_EQ(AttemptsAt(4), 1);
  absl::MutexLock lock(&mu_);
  EXPECT_THAT(dead_letters_, ElementsAre(FieldsAre("flaky", 5, "boom")));
  EXPECT_EQ(Metric("failed"), 3);
  EXPECT_EQ(Metric("dead_lettered"), 1);
  EXPECT_EQ(Metric("acked"), 9);
  EXPECT_EQ(Metric("executed"), 12);
}

TEST_F(RetryTest, ARetryThatSucceedsIsNotDeadLettered) {
  Run(/*failures=*/2);
  EXPECT_EQ(AttemptsAt(5), 3);
  absl::MutexLock lock(&mu_);
  EXPECT_TRUE(dead_letters_.empty());
  EXPECT_EQ(Metric("failed"), 2);
  EXPECT_EQ(Metric("dead_lettered"), 0);
  EXPECT_EQ(Metric("acked"), 10);
}

TEST_F(RetryTest, ABatchThatSucceedsIsExecutedOnceAndItsOutputAnchoredPerInput) {
  auto feed = std::make_shared<Feed>();
  feed->PushRange(1, 4);
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed));
  builder
      .AddBolt("batching",
               [&]() -> std::unique_ptr<Bolt> {
                 return std::make_unique<BatchingFlakyBolt>(0, attempts_, batch_sizes_);
               })
      .Shuffle("source");
  builder.AddBolt("sink", RecordingBolts(recorder_)).Shuffle("batching");
  TopologyOptions options;
  options.metrics = &metrics_;
  std::unique_ptr<Topology> topology = StartTopology(std::move(builder), options);
  ASSERT_NE(topology, nullptr);
  ASSERT_TRUE(topology->WaitForCommitted(4, Soon()));
  topology->Stop();
  // Execute was never called: the bolt saw its input only as batches.
  EXPECT_EQ(AttemptsAt(1) + AttemptsAt(2) + AttemptsAt(3) + AttemptsAt(4), 0);
  size_t total = 0;
  for (size_t n : *batch_sizes_) total += n;
  EXPECT_EQ(total, 4u);
  std::vector<std::pair<LogOffset, int64_t>> seen;
  for (const Record& r : recorder_->records()) seen.emplace_back(r.offset, r.value);
  std::sort(seen.begin(), seen.end());
  // Each output carries the offset of the input it was emitted for.
  EXPECT_THAT(
      seen, ElementsAre(std::pair<LogOffset, int64_t>{1, 1}, std::pair<LogOffset, int64_t>{2, 2},
                        std::pair<LogOffset, int64_t>{3, 3}, std::pair<LogOffset, int64_t>{4, 4}));
  EXPECT_EQ(MetricValue(metrics_, "topology.batching.executed"), 4);
  EXPECT_EQ(MetricValue(metrics_, "topology.batching.acked"), 4);
  // The per-instance share and the latency histogram count every tuple too.
  EXPECT_EQ(MetricValue(metrics_, "topology.batching.instance.0.executed"), 4);
  EXPECT_EQ(MetricValue(metrics_, "topology.batching.execute_latency.count"), 4);
  EXPECT_EQ(metrics_.Snapshot().count("topology.batching.instance.0.queue_depth"), 1u);
}

TEST_F(RetryTest, AFailedBatchFallsBackToSingleTuplesWithRetriesAndDeadLetter) {
  Run(/*failures=*/1000, /*batching=*/true);
  // Offset 5's batch failed; on its own, 5 was then tried once and retried
  // twice.
  EXPECT_EQ(AttemptsAt(5), 3);
  absl::MutexLock lock(&mu_);
  EXPECT_THAT(dead_letters_, ElementsAre(FieldsAre("flaky", 5, "boom")));
  EXPECT_EQ(Metric("dead_lettered"), 1);
  EXPECT_EQ(Metric("acked"), 9);
  // The batch holding 5 failed as a whole; its other tuples succeeded on their
  // own, and every tuple of the other batches went through ExecuteBatch alone.
  int singles = 0;
  for (LogOffset offset = 1; offset <= 10; ++offset) singles += AttemptsAt(offset) > 0;
  EXPECT_GE(singles, 1);
  // Every tuple of the failed batch counts one failure, and 5 three more.
  EXPECT_EQ(Metric("failed"), singles + 3);
}

}  // namespace
}  // namespace roost::topology::test
