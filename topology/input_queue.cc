#include "topology/input_queue.h"

#include <iterator>
#include <utility>

namespace roost::topology {

InputQueue::InputQueue(Watermarks watermarks, BackPressureGate* gate, BackPressureCounters counters,
                       Wakeup* consumer)
    : watermarks_(watermarks), gate_(gate), counters_(counters), consumer_(consumer) {}

void InputQueue::Push(std::vector<Envelope>& batch) {
  if (batch.empty()) return;
  {
    absl::MutexLock lock(&mu_);
    const size_t n = batch.size();
    if (queued_.empty()) {
      // Swapping hands the producer the consumer's spent buffer: no allocation.
      queued_.swap(batch);
    } else {
      queued_.insert(queued_.end(), std::make_move_iterator(batch.begin()),
                     std::make_move_iterator(batch.end()));
    }
    batch.clear();
    depth_ += n;
    depth_mirror_.store(depth_, std::memory_order_relaxed);
    if (depth_ > max_depth_.load(std::memory_order_relaxed)) {
      max_depth_.store(depth_, std::memory_order_relaxed);
    }
    // Reported under the lock so that this queue's reports to the gate alternate.
    if (!above_low_ && depth_ >= watermarks_.low) {
      above_low_ = true;
      gate_->QueueAboveLow();
    }
    if (depth_ > watermarks_.high) gate_->QueueAboveHigh(counters_);
  }
  consumer_->Notify();
}

void InputQueue::TakeAll(std::vector<Envelope>& out) {
  absl::MutexLock lock(&mu_);
  out.swap(queued_);
}

void InputQueue::Consumed(size_t n) {
  if (n == 0) return;
  absl::MutexLock lock(&mu_);
  depth_ -= n;
  depth_mirror_.store(depth_, std::memory_order_relaxed);
  if (above_low_ && depth_ < watermarks_.low) {
    above_low_ = false;
    gate_->QueueBelowLow();
  }
}

}  // namespace roost::topology
