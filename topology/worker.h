// A worker thread of the fixed pool and the bolt instances pinned to it.
//
// A worker runs its instances in turn, at most batch_size tuples of one instance at a
// time, so one busy instance does not starve the others on the same thread; since an
// instance runs on one worker only, a bolt is single-threaded. With nothing queued
// the worker sleeps until a producer wakes it or the next tick is due.
//
// After each chunk the worker hands the chunk's output off and only then releases
// the inputs' roots, so a root never completes before its children are counted.
#ifndef ROOST_TOPOLOGY_WORKER_H_
#define ROOST_TOPOLOGY_WORKER_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "topology/component.h"
#include "topology/input_queue.h"
#include "topology/outbox.h"
#include "topology/runtime.h"
#include "topology/topology_metrics.h"
#include "topology/wakeup.h"

namespace roost::topology {

// One bolt instance. Owned by the topology; run by one worker.
struct BoltTask {
  BoltTask(std::unique_ptr<Bolt> bolt, TaskContext context, ComponentMetrics metrics,
           Watermarks watermarks, BackPressureGate* gate, Wakeup* wakeup)
      : bolt(std::move(bolt)),
        context(std::move(context)),
        metrics(metrics),
        queue(watermarks, gate, metrics.back_pressure, wakeup),
        batches(this->bolt->ExecutesBatches()) {}

  std::unique_ptr<Bolt> bolt;
  TaskContext context;
  ComponentMetrics metrics;
  Counter* instance_executed = nullptr;  // this instance's share of metrics.executed
  InputQueue queue;
  std::optional<Outbox> outbox;  // set once every queue exists
  const bool batches;            // the bolt's ExecutesBatches()

  // Whether Bolt::Background may have work: set by input and ticks, cleared when it
  // answers "nothing more". Worker thread only.
  bool background = true;
  // When Bolt::Background last ran: under a sustained load it still runs this often.
  std::chrono::steady_clock::time_point last_background{};
  // Taken from the queue and not yet executed: taken[next..]. Worker thread only.
  std::vector<Envelope> taken;
  size_t next = 0;
};

class Worker {
 public:
  // `runtime` is not owned and must outlive the worker.
  explicit Worker(Runtime* runtime) : runtime_(runtime) {}

  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // What producers notify when they queue for one of this worker's instances.
  Wakeup* wakeup() { return &wakeup_; }

  // Pins `task` to this worker; before Start only.
  void Assign(BoltTask* task) { tasks_.push_back(task); }

  void Start();
  // Asks the thread to exit once it finds no work; it calls every instance's
  // Cleanup on its way out. Join waits for it.
  void RequestStop();
  void Join();

 private:
  void Run();
  // Executes the next chunk of `task`'s input; false when it had none.
  bool RunChunk(BoltTask& task);
  void Tick(BoltTask& task);
  // One step of the bolt's background work, if it has some and the queues let it.
  enum class Background { kNone, kWorked, kHeldBack };
  Background RunBackground(BoltTask& task);
  // Runs `call` with an emitter anchored to nothing, counted in flight.
  template <typename Call>
  void RunUnanchored(BoltTask& task, Call call);

  // Tuples executed, acked, failed and dead-lettered by one chunk.
  struct ExecuteCounts {
    int64_t executed = 0, acked = 0, failed = 0, dead_lettered = 0;
  };
  // Runs task.taken[begin, end) through the bolt's ExecuteBatch; false when it failed
  // and each input must be executed on its own.
  bool ExecuteBatch(BoltTask& task, size_t begin, size_t end, ExecuteCounts& counts);
  // Executes one input with retries, dead-lettering it when they run out.
  void ExecuteOne(BoltTask& task, const Envelope& input, ExecuteCounts& counts);

  Runtime* const runtime_;
  std::vector<BoltTask*> tasks_;
  Wakeup wakeup_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_WORKER_H_
