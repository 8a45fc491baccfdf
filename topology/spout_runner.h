// Runs one spout instance on its own thread (spouts block on their input, so they
// stay off the worker pool): calls NextBatch with short deadlines so that a stop is
// noticed promptly, pauses while the back-pressure gate is closed, and delivers
// commits to the spout between batches, on the spout's own thread.
//
// Each NextBatch call that emits opens a root (ack_tracker.h) and keeps its hold on
// it until the call returns and its output is handed off.
#ifndef ROOST_TOPOLOGY_SPOUT_RUNNER_H_
#define ROOST_TOPOLOGY_SPOUT_RUNNER_H_

#include <memory>
#include <optional>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "topology/component.h"
#include "topology/outbox.h"
#include "topology/runtime.h"

namespace roost::topology {

class SpoutRunner {
 public:
  // How long one NextBatch call may wait for input: the bound on how long a stop
  // waits for an idle spout.
  static constexpr absl::Duration kPollInterval = absl::Milliseconds(50);

  // `tracker_index` is this instance's index in the AckTracker. `runtime` is not
  // owned and must outlive the runner.
  SpoutRunner(std::unique_ptr<Spout> spout, TaskContext context, int tracker_index,
              Runtime* runtime);
  ~SpoutRunner();

  SpoutRunner(const SpoutRunner&) = delete;
  SpoutRunner& operator=(const SpoutRunner&) = delete;

  // Before Start.
  void SetOutbox(Outbox outbox);
  const TaskContext& context() const { return context_; }

  absl::Status Open();
  void Start();
  // Returns once the thread left its loop, after Runtime::StopSpouts.
  void Join();
  // After Join and once the bolts are idle: delivers the final commit and closes the
  // spout, on the caller's thread.
  void Close();

 private:
  class Collector;

  void Run();
  void DeliverCommit();

  std::unique_ptr<Spout> spout_;
  const TaskContext context_;
  Runtime* const runtime_;
  std::unique_ptr<Collector> collector_;
  LogOffset delivered_commit_ = 0;  // the last offset passed to Spout::Committed
  std::thread thread_;
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_SPOUT_RUNNER_H_
