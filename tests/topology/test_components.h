// Spouts and bolts shared by the topology tests. Each keeps its state in an object
// the test holds by shared_ptr, because the topology creates the instances from
// factories and owns them.
#ifndef ROOST_TESTS_TOPOLOGY_TEST_COMPONENTS_H_
#define ROOST_TESTS_TOPOLOGY_TEST_COMPONENTS_H_

#include <any>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "topology/component.h"
#include "topology/topology.h"

namespace roost::topology::test {

// A generous bound for waits that should finish in milliseconds.
inline absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

struct Item {
  LogOffset offset = 0;
  StreamId stream = 0;
  std::any value;
};

// What a FeedSpout emits: the test pushes items; each NextBatch call emits up to
// `per_batch` of them (waiting for some until its deadline).
class Feed {
 public:
  explicit Feed(size_t per_batch = std::numeric_limits<size_t>::max()) : per_batch_(per_batch) {}

  void Push(Item item);
  // Pushes offsets first..last on `stream`, each with its offset as an int64_t value.
  void PushRange(LogOffset first, LogOffset last, StreamId stream = 0);

  // Waits until `n` items were emitted (inside NextBatch).
  bool WaitEmitted(size_t n, absl::Time deadline);
  LogOffset last_committed() const;  // the last Spout::Committed argument
  std::vector<LogOffset> committed() const;
  int closes() const;

 private:
  friend class FeedSpout;
  const size_t per_batch_;
  mutable absl::Mutex mu_;
  std::deque<Item> items_ ABSL_GUARDED_BY(mu_);
  size_t emitted_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<LogOffset> committed_ ABSL_GUARDED_BY(mu_);
  int closes_ ABSL_GUARDED_BY(mu_) = 0;
};

class FeedSpout : public Spout {
 public:
  explicit FeedSpout(std::shared_ptr<Feed> feed) : feed_(std::move(feed)) {}
  absl::Status NextBatch(absl::Time deadline, SpoutCollector& out) override;
  void Committed(LogOffset offset) override;
  void Close() override;

 private:
  std::shared_ptr<Feed> feed_;
};

inline SpoutFactory FeedSpouts(std::shared_ptr<Feed> feed) {
  return [feed] { return std::make_unique<FeedSpout>(feed); };
}

// One tuple a RecordingBolt executed.
struct Record {
  int task = 0;
  LogOffset offset = 0;
  StreamId stream = 0;
  int64_t value = 0;
};

// What RecordingBolts executed (values must be int64_t), in order per instance.
class Recorder {
 public:
  void Add(Record record);
  bool WaitCount(size_t n, absl::Time deadline) const;
  std::vector<Record> records() const;
  // The values each instance received, indexed by task.
  std::vector<std::vector<int64_t>> ByTask(int parallelism) const;
  int cleanups() const;
  void AddCleanup();

 private:
  mutable absl::Mutex mu_;
  std::vector<Record> records_ ABSL_GUARDED_BY(mu_);
  int cleanups_ ABSL_GUARDED_BY(mu_) = 0;
};

// Records every tuple; with `forward_stream` >= 0 also emits value * 2 on it.
class RecordingBolt : public Bolt {
 public:
  RecordingBolt(std::shared_ptr<Recorder> recorder, StreamId forward_stream)
      : recorder_(std::move(recorder)), forward_stream_(forward_stream) {}
  absl::Status Prepare(const TaskContext& context) override;
  absl::Status Execute(const Tuple& input, Emitter& out) override;
  void Cleanup() override { recorder_->AddCleanup(); }

 private:
  std::shared_ptr<Recorder> recorder_;
  const StreamId forward_stream_;
  int task_ = 0;
};

inline BoltFactory RecordingBolts(std::shared_ptr<Recorder> recorder,
                                  StreamId forward_stream = -1) {
  return [recorder, forward_stream] {
    return std::make_unique<RecordingBolt>(recorder, forward_stream);
  };
}

// Creates and starts a topology; nullptr, with a test failure recorded, when either
// fails.
std::unique_ptr<Topology> StartTopology(TopologyBuilder builder, TopologyOptions options = {});

// Spout "source" over `feed`, shuffled to bolt "sink" recording into `sink`.
TopologyBuilder SourceToSink(std::shared_ptr<Feed> feed, std::shared_ptr<Recorder> sink);

// The value of counter or gauge `name` in `registry` (0 when absent).
int64_t MetricValue(const MetricsRegistry& registry, const std::string& name);

}  // namespace roost::topology::test

#endif  // ROOST_TESTS_TOPOLOGY_TEST_COMPONENTS_H_
