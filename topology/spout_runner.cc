#include "topology/spout_runner.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/thread_name.h"
#include "topology/ack_tracker.h"

namespace roost::topology {

class SpoutRunner::Collector final : public SpoutCollector {
 public:
  Collector(int tracker_index, Runtime* runtime)
      : tracker_index_(tracker_index), runtime_(runtime) {}

  void SetOutbox(Outbox outbox) { outbox_.emplace(std::move(outbox)); }

  void Emit(LogOffset offset, StreamId stream, std::any value) override {
    if (offset < last_offset_ && order_error_.ok()) {
      order_error_ = absl::FailedPreconditionError(
          absl::StrCat("emitted offset ", offset, " after ", last_offset_));
    }
    last_offset_ = std::max(last_offset_, offset);
    if (root_ == nullptr) {
      root_ = runtime_->tracker().Open(tracker_index_, offset);
    } else {
      root_->last_offset = last_offset_;
    }
    // Waiting here, inside NextBatch, is what bounds a large batch: the spout stops
    // emitting as soon as a hand-off finds the gate closed.
    if (outbox_->Emit(Envelope{Tuple{offset, stream, std::move(value)}, root_}) &&
        runtime_->gate().paused()) {
      runtime_->gate().WaitWhilePaused();
    }
  }

  // Ends a NextBatch call: hands its output off and drops the hold on its root.
  // Returns an error when the spout broke the offset order.
  absl::Status EndBatch() {
    outbox_->Flush();
    if (root_ != nullptr) runtime_->tracker().Done(std::exchange(root_, nullptr), 1);
    return std::exchange(order_error_, absl::OkStatus());
  }

 private:
  const int tracker_index_;
  Runtime* const runtime_;
  std::optional<Outbox> outbox_;
  Root* root_ = nullptr;  // of the NextBatch call in progress, once it emitted
  LogOffset last_offset_ = 0;
  absl::Status order_error_;
};

SpoutRunner::SpoutRunner(std::unique_ptr<Spout> spout, TaskContext context, int tracker_index,
                         Runtime* runtime)
    : spout_(std::move(spout)),
      context_(std::move(context)),
      runtime_(runtime),
      collector_(std::make_unique<Collector>(tracker_index, runtime)) {}

SpoutRunner::~SpoutRunner() { Join(); }

void SpoutRunner::SetOutbox(Outbox outbox) { collector_->SetOutbox(std::move(outbox)); }

absl::Status SpoutRunner::Open() { return spout_->Open(context_); }

void SpoutRunner::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SpoutRunner::Join() {
  if (thread_.joinable()) thread_.join();
}

void SpoutRunner::Close() {
  DeliverCommit();
  spout_->Close();
}

void SpoutRunner::DeliverCommit() {
  LogOffset committed = runtime_->tracker().committed();
  if (committed <= delivered_commit_) return;
  delivered_commit_ = committed;
  spout_->Committed(committed);
}

void SpoutRunner::Run() {
  NameThisThread("roost-spout");
  BackPressureGate& gate = runtime_->gate();
  while (!runtime_->spouts_stopping()) {
    DeliverCommit();
    if (gate.paused()) {
      gate.WaitWhilePaused();
      continue;
    }
    absl::Status status = spout_->NextBatch(absl::Now() + kPollInterval, *collector_);
    absl::Status order = collector_->EndBatch();
    if (status.ok()) status = std::move(order);
    if (!status.ok()) {
      runtime_->FailSpouts(TaskError(status, "spout", context_));
      return;
    }
  }
}

}  // namespace roost::topology
