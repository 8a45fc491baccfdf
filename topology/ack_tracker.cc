#include "topology/ack_tracker.h"

#include <algorithm>

namespace roost::topology {

AckTracker::AckTracker(int spout_instances, std::function<void(LogOffset)> on_commit)
    : roots_(spout_instances), on_commit_(std::move(on_commit)) {}

Root* AckTracker::Open(int spout, LogOffset first_offset) {
  absl::MutexLock lock(&mu_);
  Root& root = roots_[spout].emplace_back();
  root.first_offset = first_offset;
  root.last_offset = first_offset;
  root.spout = spout;
  return &root;
}

void AckTracker::Complete(Root* root) {
  absl::MutexLock lock(&mu_);
  root->done = true;
  // Retire the completed prefix of this spout's roots; a completed root behind an
  // open one must wait, because the open one's offsets are lower.
  std::deque<Root>& mine = roots_[root->spout];
  while (!mine.empty() && mine.front().done) {
    max_retired_offset_ = std::max(max_retired_offset_, mine.front().last_offset);
    mine.pop_front();
  }
  LogOffset bound = max_retired_offset_;
  for (const std::deque<Root>& roots : roots_) {
    if (roots.empty()) continue;
    // Offsets may repeat across batches, so an open root's first offset itself is not
    // done even when an earlier batch that also held it is.
    LogOffset first = roots.front().first_offset;
    bound = std::min(bound, first == 0 ? 0 : first - 1);
  }
  if (bound <= committed_) return;
  committed_ = bound;
  committed_mirror_.store(bound, std::memory_order_release);
  if (on_commit_) on_commit_(bound);
}

bool AckTracker::WaitForCommitted(LogOffset offset, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, offset]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return committed_ >= offset; };
  return mu_.AwaitWithDeadline(absl::Condition(&reached), deadline);
}

size_t AckTracker::open_roots() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const std::deque<Root>& roots : roots_) {
    for (const Root& root : roots) n += root.done ? 0 : 1;
  }
  return n;
}

}  // namespace roost::topology
