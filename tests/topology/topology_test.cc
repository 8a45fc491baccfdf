// Running topologies: chains of bolts, ticks, Stop, errors and the lifecycle.
#include "topology/topology.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/thread_name.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/topology/test_components.h"

namespace roost::topology::test {
namespace {

using ::testing::Each;
using ::testing::HasSubstr;

TEST(TopologyTest, ABoltsOutputReachesTheNextStage) {
  constexpr LogOffset kTuples = 500;
  auto feed = std::make_shared<Feed>(/*per_batch=*/10);
  auto doubler = std::make_shared<Recorder>();
  auto sink = std::make_shared<Recorder>();
  MetricsRegistry metrics;
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed));
  builder.AddBolt("double", RecordingBolts(doubler, /*forward_stream=*/4), 2).Shuffle("source");
  builder.AddBolt("sink", RecordingBolts(sink)).Global("double", 4);
  TopologyOptions options;
  options.worker_threads = 2;
  options.batch_size = 32;
  options.metrics = &metrics;
  std::unique_ptr<Topology> topology = StartTopology(std::move(builder), options);
  ASSERT_NE(topology, nullptr);
  feed->PushRange(1, kTuples);
  ASSERT_TRUE(topology->WaitForCommitted(kTuples, Soon()));
  // Committed means executed downstream too: no waiting on the sink.
  std::vector<Record> records = sink->records();
  topology->Stop();

  ASSERT_EQ(records.size(), kTuples);
  std::set<int64_t> values;
  for (const Record& r : records) {
    values.insert(r.value);
    EXPECT_EQ(r.value, static_cast<int64_t>(2 * r.offset)) << "output keeps its input's offset";
    EXPECT_EQ(r.stream, 4);
  }
  EXPECT_EQ(values.size(), kTuples);
  EXPECT_EQ(*values.begin(), 2);
  EXPECT_EQ(*values.rbegin(), static_cast<int64_t>(2 * kTuples));
  // The spout's tuples reach each instance in emission order.
  for (const auto& received : doubler->ByTask(2)) {
    EXPECT_TRUE(std::is_sorted(received.begin(), received.end()));
  }
  EXPECT_EQ(MetricValue(metrics, "topology.source.emitted"), static_cast<int64_t>(kTuples));
  EXPECT_EQ(MetricValue(metrics, "topology.double.emitted"), static_cast<int64_t>(kTuples));
  EXPECT_EQ(MetricValue(metrics, "topology.double.executed"), static_cast<int64_t>(kTuples));
  EXPECT_EQ(MetricValue(metrics, "topology.sink.acked"), static_cast<int64_t>(kTuples));
  EXPECT_EQ(MetricValue(metrics, "topology.committed_offset"), static_cast<int64_t>(kTuples));
  EXPECT_EQ(feed->last_committed(), kTuples);
}

// Counts its ticks, emits the count on every tick, and notes the threads it ran on.
class TickingBolt : public Bolt {
 public:
  struct Threads {
    absl::Mutex mu;
    std::set<std::thread::id> execute ABSL_GUARDED_BY(mu);
    std::set<std::thread::id> tick ABSL_GUARDED_BY(mu);
  };
  explicit TickingBolt(std::shared_ptr<Threads> threads) : threads_(std::move(threads)) {}
  absl::Status Execute(const Tuple& input, Emitter& out) override {
    absl::MutexLock lock(&threads_->mu);
    threads_->execute.insert(std::this_thread::get_id());
    return absl::OkStatus();
  }
  void Tick(Emitter& out) override {
    {
      absl::MutexLock lock(&threads_->mu);
      threads_->tick.insert(std::this_thread::get_id());
    }
    out.Emit(0, ++ticks_);
  }

 private:
  std::shared_ptr<Threads> threads_;
  int64_t ticks_ = 0;
};

TEST(TopologyTest, TicksRunOnTheBoltsThreadAndTheirOutputFlows) {
  auto feed = std::make_shared<Feed>();
  feed->PushRange(1, 1);
  auto threads = std::make_shared<TickingBolt::Threads>();
  auto sink = std::make_shared<Recorder>();
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed));
  builder.AddBolt("ticker", [threads] { return std::make_unique<TickingBolt>(threads); })
      .Shuffle("source");
  builder.AddBolt("sink", RecordingBolts(sink)).Shuffle("ticker");
  TopologyOptions options;
  options.worker_threads = 2;
  options.tick_period = absl::Milliseconds(5);
  std::unique_ptr<Topology> topology = StartTopology(std::move(builder), options);
  ASSERT_NE(topology, nullptr);
  ASSERT_TRUE(topology->WaitForCommitted(1, Soon()));
  ASSERT_TRUE(sink->WaitCount(3, Soon()));
  topology->Stop();

  std::vector<Record> records = sink->records();
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].value, static_cast<int64_t>(i + 1)) << "ticks in order";
    // Tick output carries the committed offset at the time of the tick.
    EXPECT_LE(records[i].offset, 1u);
  }
  absl::MutexLock lock(&threads->mu);
  ASSERT_EQ(threads->execute.size(), 1u);
  EXPECT_EQ(threads->tick, threads->execute) << "ticks run on the bolt's own worker";
}

// Input 1 starts endless background work that emits every 100th step; input 2 notes
// how many steps had run when it arrived.
class BackgroundBolt : public Bolt {
 public:
  explicit BackgroundBolt(std::shared_ptr<std::atomic<int64_t>> steps_at_second_input)
      : steps_at_second_input_(std::move(steps_at_second_input)) {}
  absl::Status Execute(const Tuple& input, Emitter& out) override {
    if (input.offset == 1) running_ = true;
    if (input.offset == 2) steps_at_second_input_->store(steps_);
    return absl::OkStatus();
  }
  bool Background(Emitter& out) override {
    if (!running_) return false;
    if (++steps_ % 100 == 0) out.Emit(0, steps_);
    return true;
  }

 private:
  std::shared_ptr<std::atomic<int64_t>> steps_at_second_input_;
  bool running_ = false;
  int64_t steps_ = 0;
};

// Background work continues with no input and no ticks, yields to input (otherwise
// input 2 would never commit), and does not keep Stop waiting.
TEST(TopologyTest, BackgroundWorkRunsBetweenInputsAndStopsWithTheTopology) {
  auto feed = std::make_shared<Feed>();
  auto steps_at_second_input = std::make_shared<std::atomic<int64_t>>(-1);
  auto sink = std::make_shared<Recorder>();
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed));
  builder
      .AddBolt("worker",
               [steps_at_second_input] {
                 return std::make_unique<BackgroundBolt>(steps_at_second_input);
               })
      .Shuffle("source");
  builder.AddBolt("sink", RecordingBolts(sink)).Shuffle("worker");
  TopologyOptions options;
  options.worker_threads = 1;  // the background work and the input share one thread
  options.tick_period = absl::ZeroDuration();
  std::unique_ptr<Topology> topology = StartTopology(std::move(builder), options);
  ASSERT_NE(topology, nullptr);
  feed->PushRange(1, 1);
  ASSERT_TRUE(topology->WaitForCommitted(1, Soon()));
  ASSERT_TRUE(sink->WaitCount(3, Soon())) << "background work ran on without input";
  feed->PushRange(2, 2);
  ASSERT_TRUE(topology->WaitForCommitted(2, Soon())) << "input starved by background work";
  EXPECT_GE(steps_at_second_input->load(), 300);
  topology->Stop();
  std::vector<Record> records = sink->records();
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].value, static_cast<int64_t>(100 * (i + 1)));
  }
}

TEST(TopologyTest, StopExecutesEverythingEmitted) {
  constexpr LogOffset kTuples = 20000;
  auto feed = std::make_shared<Feed>();
  auto doubler = std::make_shared<Recorder>();
  auto sink = std::make_shared<Recorder>();
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed));
  builder.AddBolt("double", RecordingBolts(doubler, 0), 2).Shuffle("source");
  builder.AddBolt("sink", RecordingBolts(sink), 2).Shuffle("double");
  TopologyOptions options;
  options.worker_threads = 2;
  std::unique_ptr<Topology> topology = StartTopology(std::move(builder), options);
  ASSERT_NE(topology, nullptr);
  feed->PushRange(1, kTuples);
  ASSERT_TRUE(feed->WaitEmitted(kTuples, Soon()));
  topology->Stop();  // with most of the work still queued

  EXPECT_EQ(doubler->records().size(), kTuples);
  EXPECT_EQ(sink->records().size(), kTuples);
  EXPECT_EQ(topology->committed_offset(), kTuples);
  EXPECT_EQ(feed->last_committed(), kTuples);
  EXPECT_EQ(feed->closes(), 1);
  EXPECT_EQ(doubler->cleanups() + sink->cleanups(), 4);
  topology->Stop();  // idempotent
  EXPECT_EQ(feed->closes(), 1);
}

// The names of the threads that ran a spout and a bolt; read once the topology stopped.
struct ThreadNames {
  std::string spout;
  std::string bolt;
};

class NamingSpout : public Spout {
 public:
  explicit NamingSpout(ThreadNames* names) : names_(names) {}
  absl::Status NextBatch(absl::Time deadline, SpoutCollector& out) override {
    if (!emitted_) {
      names_->spout = ThisThreadName();
      out.Emit(1, 0, int64_t{1});
      emitted_ = true;
    }
    return absl::OkStatus();
  }

 private:
  ThreadNames* const names_;
  bool emitted_ = false;
};

class NamingBolt : public Bolt {
 public:
  explicit NamingBolt(ThreadNames* names) : names_(names) {}
  absl::Status Execute(const Tuple& input, Emitter& out) override {
    names_->bolt = ThisThreadName();
    return absl::OkStatus();
  }

 private:
  ThreadNames* const names_;
};

TEST(TopologyTest, SpoutsAndWorkersRunOnNamedThreads) {
  ThreadNames names;
  TopologyBuilder builder;
  builder.AddSpout("named", [&names] { return std::make_unique<NamingSpout>(&names); });
  builder.AddBolt("sink", [&names] { return std::make_unique<NamingBolt>(&names); })
      .Shuffle("named");
  std::unique_ptr<Topology> topology = StartTopology(std::move(builder));
  ASSERT_NE(topology, nullptr);
  ASSERT_TRUE(topology->WaitForCommitted(1, Soon()));
  topology->Stop();  // joins the threads: their writes are seen here
  EXPECT_EQ(names.spout, "roost-spout");
  EXPECT_EQ(names.bolt, "roost-worker");
}

// Emits offset 1 and fails in the same call: what it emitted is still processed.
class BrokenSpout : public Spout {
 public:
  absl::Status NextBatch(absl::Time deadline, SpoutCollector& out) override {
    out.Emit(1, 0, int64_t{1});
    return absl::DataLossError("corrupt record");
  }
};

TEST(TopologyTest, ASpoutErrorStopsInputAndIsReported) {
  auto sink = std::make_shared<Recorder>();
  TopologyBuilder builder;
  builder.AddSpout("broken", [] { return std::make_unique<BrokenSpout>(); });
  builder.AddBolt("sink", RecordingBolts(sink)).Shuffle("broken");
  std::unique_ptr<Topology> topology = StartTopology(std::move(builder));
  ASSERT_NE(topology, nullptr);
  ASSERT_TRUE(topology->WaitForCommitted(1, Soon()));
  topology->Stop();
  absl::Status status = topology->status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("spout 'broken' task 0: corrupt record"));
  EXPECT_EQ(sink->records().size(), 1u);
}

TEST(TopologyTest, ADecreasingOffsetIsASpoutError) {
  auto feed = std::make_shared<Feed>();
  feed->Push({5, 0, int64_t{5}});
  feed->Push({3, 0, int64_t{3}});
  auto sink = std::make_shared<Recorder>();
  std::unique_ptr<Topology> topology = StartTopology(SourceToSink(feed, sink));
  ASSERT_NE(topology, nullptr);
  ASSERT_TRUE(feed->WaitEmitted(2, Soon()));
  topology->Stop();
  EXPECT_EQ(topology->status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(topology->status().message(), HasSubstr("emitted offset 3 after 5"));
}

// Fails Prepare on task 1; counts Cleanup calls.
class UnpreparedBolt : public Bolt {
 public:
  explicit UnpreparedBolt(std::shared_ptr<Recorder> recorder) : recorder_(std::move(recorder)) {}
  absl::Status Prepare(const TaskContext& context) override {
    if (context.task_index == 1) return absl::UnavailableError("no disk");
    return absl::OkStatus();
  }
  absl::Status Execute(const Tuple& input, Emitter& out) override { return absl::OkStatus(); }
  void Cleanup() override { recorder_->AddCleanup(); }

 private:
  std::shared_ptr<Recorder> recorder_;
};

TEST(TopologyTest, StartReportsAPrepareFailureAndCleansUp) {
  auto recorder = std::make_shared<Recorder>();
  auto feed = std::make_shared<Feed>();
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed));
  builder
      .AddBolt(
          "store", [recorder] { return std::make_unique<UnpreparedBolt>(recorder); }, 3)
      .Shuffle("source");
  auto created = Topology::Create(std::move(builder), TopologyOptions{});
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<Topology> topology = *std::move(created);
  absl::Status status = topology->Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("bolt 'store' task 1: no disk"));
  EXPECT_EQ(recorder->cleanups(), 1);  // task 0 was prepared
  EXPECT_EQ(feed->closes(), 0);        // no spout was opened
  EXPECT_EQ(topology->Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(TopologyTest, StartsOnlyOnce) {
  auto feed = std::make_shared<Feed>();
  auto sink = std::make_shared<Recorder>();
  std::unique_ptr<Topology> topology = StartTopology(SourceToSink(feed, sink));
  ASSERT_NE(topology, nullptr);
  EXPECT_EQ(topology->Start().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(topology->status().ok());
  topology.reset();  // the destructor stops it
  EXPECT_EQ(sink->cleanups(), 1);
  EXPECT_EQ(feed->closes(), 1);
}

}  // namespace
}  // namespace roost::topology::test
