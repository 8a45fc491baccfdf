// A Heron-style stream topology in one process.
//
// Build with TopologyBuilder: spouts and bolts, each with a parallelism, and for each
// bolt the streams it subscribes to with a grouping (shuffle, fields, all, global).
// Run with Topology: instances execute on a fixed pool of worker threads (a bolt
// instance always runs on the same worker, so it is single-threaded); spouts run on
// their own threads because they block on input. Tuples move over per-instance
// queues in batches.
//
// Back pressure: when any bolt queue passes the high watermark, spouts stop emitting
// until every queue is below the low watermark. Bolts never block on emit (that could
// deadlock two instances sharing a worker), so a queue may exceed the high watermark
// by what the tuples already in flight emit; memory stays bounded by the spouts'
// pause.
//
// Reliability by offset watermark: committed_offset() is the highest offset O such
// that every tuple with offset <= O, and every tuple emitted while executing one, has
// been executed (successfully or dead-lettered). Restarting a spout from
// committed_offset() + 1 gives at-least-once processing. All spouts share one offset
// space. The offsets emitted by one NextBatch call commit together, once the call
// returned and all of its tuples are done, so O may lag by part of a spout batch.
//
// Thread-safe.
#ifndef ROOST_TOPOLOGY_TOPOLOGY_H_
#define ROOST_TOPOLOGY_TOPOLOGY_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics.h"
#include "topology/component.h"

namespace roost::topology {

using SpoutFactory = std::function<std::unique_ptr<Spout>()>;
using BoltFactory = std::function<std::unique_ptr<Bolt>()>;
// Fields grouping: tuples with equal keys go to the same instance (stable hash).
using KeyFunction = std::function<uint64_t(const Tuple&)>;

// Called when a tuple exhausted its retries.
using DeadLetterSink = std::function<void(const std::string& component, const Tuple& tuple,
                                          const absl::Status& error)>;

struct TopologyOptions {
  int worker_threads = 0;  // 0: the machine's hardware concurrency
  // Tuples queued at one instance. A bolt emitting several tuples per input fills
  // the next queue to a multiple of this while the spouts are paused, and saturated
  // latency grows with it: topology_bench's word count did 10.1M tuples/s with p99
  // 2.0 ms at 2048, and 7.5M with p99 37 ms at 16384.
  size_t queue_high_watermark = 2048;
  size_t queue_low_watermark = 512;
  size_t batch_size = 256;                        // tuples moved per hand-off at most
  absl::Duration tick_period = absl::Seconds(1);  // ZeroDuration(): no ticks
  int max_retries = 3;
  // Called on the failing bolt's worker thread.
  DeadLetterSink dead_letter;  // default: log the component, offset and error
  // Not owned; must outlive the topology. nullptr: no metrics. The names are listed
  // in topology_metrics.h.
  MetricsRegistry* metrics = nullptr;
  // Called (on an engine thread; must be cheap) whenever committed_offset() advances,
  // with strictly increasing offsets. It runs under the engine's commit lock, so it
  // must not call WaitForCommitted or Stop.
  std::function<void(LogOffset)> on_commit;
};

class TopologyBuilder;
template <typename T>
class TypedStream;  // typed_stream.h

// Declares a bolt's subscriptions.
class BoltDeclarer {
 public:
  BoltDeclarer& Shuffle(const std::string& source, StreamId stream = 0);
  BoltDeclarer& Fields(const std::string& source, StreamId stream, KeyFunction key);
  // Fields grouping on a typed stream, keyed by a function of the value it carries.
  template <typename T, typename KeyOf>
  BoltDeclarer& Fields(const std::string& source, const TypedStream<T>& stream, KeyOf key_of) {
    return Fields(source, stream.id(), stream.Key(std::move(key_of)));
  }
  BoltDeclarer& All(const std::string& source, StreamId stream = 0);
  BoltDeclarer& Global(const std::string& source, StreamId stream = 0);

 private:
  friend class TopologyBuilder;
  BoltDeclarer(TopologyBuilder* builder, size_t index) : builder_(builder), index_(index) {}
  TopologyBuilder* builder_;
  size_t index_;
};

class TopologyBuilder {
 public:
  TopologyBuilder();
  ~TopologyBuilder();
  TopologyBuilder(TopologyBuilder&&);
  TopologyBuilder& operator=(TopologyBuilder&&);

  void AddSpout(const std::string& name, SpoutFactory factory, int parallelism = 1);
  BoltDeclarer AddBolt(const std::string& name, BoltFactory factory, int parallelism = 1);

  struct Impl;

 private:
  friend class BoltDeclarer;
  friend class Topology;
  std::unique_ptr<Impl> impl_;
};

class Topology {
 public:
  // Validates the graph (unique names, known sources, no cycles, parallelism >= 1)
  // and creates every instance. INVALID_ARGUMENT names what is wrong.
  static absl::StatusOr<std::unique_ptr<Topology>> Create(TopologyBuilder builder,
                                                          TopologyOptions options);
  virtual ~Topology() = default;  // Stop()s first

  // Prepares every instance and starts the threads.
  virtual absl::Status Start() = 0;
  // Stops the spouts, executes everything already emitted, then stops the bolts
  // (Cleanup on each). Idempotent.
  virtual void Stop() = 0;

  virtual LogOffset committed_offset() const = 0;
  // Waits until committed_offset() >= offset or `deadline`; true when reached.
  virtual bool WaitForCommitted(LogOffset offset, absl::Time deadline) const = 0;
  // OK while running; the first spout error otherwise.
  virtual absl::Status status() const = 0;
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_TOPOLOGY_H_
