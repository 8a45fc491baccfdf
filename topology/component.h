// The pieces a topology is made of, in Heron's model: spouts produce tuples, bolts
// consume them and may emit more. Every tuple carries the log offset it came from;
// the engine uses it to compute the committed offset (topology.h).
//
// The engine knows nothing of Roost: a tuple's value is a std::any, and the components
// on either side of a stream agree on its type by declaring the stream as a
// TypedStream<T> (typed_stream.h), through which they emit and read.
#ifndef ROOST_TOPOLOGY_COMPONENT_H_
#define ROOST_TOPOLOGY_COMPONENT_H_

#include <any>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/types.h"

namespace roost::topology {

// Streams are small integers chosen by the emitting component; 0 is the default.
using StreamId = int;

struct Tuple {
  LogOffset offset = 0;  // the source offset this tuple derives from
  StreamId stream = 0;
  std::any value;
};

// Where a bolt's Execute and Tick send their output. Emitted tuples are anchored to
// the input being executed (they inherit its offset), so the input's offset is not
// committed until they are processed too. Tick output has no input: it carries the
// committed offset at the time of the tick and, like its descendants, holds back no
// commit (everything up to that offset is already done).
class Emitter {
 public:
  virtual ~Emitter() = default;
  virtual void Emit(StreamId stream, std::any value) = 0;
};

// Where a spout sends its output.
class SpoutCollector {
 public:
  virtual ~SpoutCollector() = default;
  // Offsets must be non-decreasing across calls; several tuples may share one.
  virtual void Emit(LogOffset offset, StreamId stream, std::any value) = 0;
};

struct TaskContext {
  std::string component;
  int task_index = 0;  // 0 .. parallelism-1
  int parallelism = 1;
};

class Spout {
 public:
  virtual ~Spout() = default;
  virtual absl::Status Open(const TaskContext& context) { return absl::OkStatus(); }
  // Emits the next batch of tuples, waiting until at most `deadline` when there is
  // nothing to emit yet. An error stops the topology (reported by Topology::status()):
  // every spout stops taking input, while what was emitted, in the failing call too,
  // is still processed. Emit may block while back pressure pauses the spouts.
  virtual absl::Status NextBatch(absl::Time deadline, SpoutCollector& out) = 0;
  // Every tuple with an offset <= `offset` has been fully processed. Called on the
  // spout's own thread, between NextBatch calls, and once more before Close.
  virtual void Committed(LogOffset offset) {}
  virtual void Close() {}
};

class Bolt {
 public:
  virtual ~Bolt() = default;
  virtual absl::Status Prepare(const TaskContext& context) { return absl::OkStatus(); }
  // Processes one tuple. An error fails it: the engine retries it a bounded number of
  // times, then hands it to the dead-letter sink and treats it as processed. Output
  // emitted by a failed attempt is not withdrawn (at-least-once). RESOURCE_EXHAUSTED
  // (a full disk) is the exception: it is retried, with backoff up to 250 ms, until it
  // succeeds or the topology stops (the bolt's worker waits meanwhile).
  virtual absl::Status Execute(const Tuple& input, Emitter& out) = 0;

  // A bolt that gains from handling many tuples at once (say, one store write for a
  // run of inputs) returns true, and the engine then calls ExecuteBatch instead of
  // Execute with up to TopologyOptions::batch_size inputs at a time, in queue order;
  // outs[i] is anchored to inputs[i]. Fixed for the bolt's lifetime.
  virtual bool ExecutesBatches() const { return false; }
  // An error fails the whole run and none of it is assumed done: the engine executes
  // each input again on its own through Execute, with its retries and dead letter. So
  // a batching bolt's effects must tolerate being applied twice (at-least-once), and
  // output emitted by the failed run is not withdrawn.
  virtual absl::Status ExecuteBatch(absl::Span<const Tuple* const> inputs,
                                    absl::Span<Emitter* const> outs) {
    return absl::UnimplementedError("this bolt does not execute batches");
  }
  // Called every TopologyOptions::tick_period on the bolt's own thread.
  virtual void Tick(Emitter& out) {}
  // Work the bolt carries on between its inputs in short steps (say, a mass update of
  // millions of edges, so that it delays no other input for long). The engine calls
  // it on the bolt's thread after input, after a tick, and again whenever the worker
  // is free for as long as it returns true ("more to do"), but only while little
  // work is queued in the topology (idle priority; under a sustained load, one step
  // every 50 ms, so it never starves). Each call delays the
  // worker's inputs by its length: keep a step to a few milliseconds. Output is
  // anchored to nothing, like Tick's. It stops with the ticks when the topology
  // stops, so the work left over must be resumable by the bolt's next incarnation.
  virtual bool Background(Emitter& out) { return false; }
  virtual void Cleanup() {}
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_COMPONENT_H_
