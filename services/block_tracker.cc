#include "services/block_tracker.h"

#include <algorithm>

namespace roost::services {

void BlockTracker::Appending(absl::Span<const UserId> users) {
  absl::MutexLock lock(&mu_);
  ++sequence_;
  for (UserId user : users) {
    PerUser& u = users_[user];
    u.sequence = sequence_;
    ++u.appending;
  }
}

void BlockTracker::Appended(absl::Span<const UserId> users, LogOffset position) {
  std::vector<absl::AnyInvocable<void()>> released;
  {
    absl::MutexLock lock(&mu_);
    for (UserId user : users) {
      PerUser& u = users_[user];
      --u.appending;
      u.position = std::max(u.position, position);
    }
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (Settled(it->a) && Settled(it->b)) {
        released.push_back(std::move(it->ready));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& ready : released) ready();
}

bool BlockTracker::Settled(UserId user) const {
  auto it = users_.find(user);
  return it == users_.end() || it->second.appending == 0;
}

BlockTracker::Snapshot BlockTracker::Of(UserId a, UserId b) const {
  absl::ReaderMutexLock lock(&mu_);
  Snapshot snapshot;
  // A user forgotten since a snapshot was taken must not read as untouched: had a block
  // of theirs been appended after it, the snapshot's sequence would come back.
  snapshot.sequence = pruned_sequence_;
  for (UserId user : {a, b}) {
    auto it = users_.find(user);
    if (it == users_.end()) continue;
    snapshot.sequence = std::max(snapshot.sequence, it->second.sequence);
    snapshot.position = std::max(snapshot.position, it->second.position);
    snapshot.settled = snapshot.settled && it->second.appending == 0;
  }
  return snapshot;
}

void BlockTracker::WhenSettled(UserId a, UserId b, absl::AnyInvocable<void()> ready) {
  {
    absl::MutexLock lock(&mu_);
    if (!Settled(a) || !Settled(b)) {
      waiters_.push_back(Waiter{a, b, std::move(ready)});
      return;
    }
  }
  ready();
}

void BlockTracker::Prune(LogOffset applied, size_t keep) {
  absl::MutexLock lock(&mu_);
  // Amortized: a map that cannot shrink (the pipeline is behind) is scanned again only
  // once it has doubled.
  if (users_.size() <= std::max(keep, prune_at_)) return;
  absl::erase_if(users_, [this, applied](const auto& entry) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (entry.second.appending != 0 || entry.second.position > applied) return false;
    pruned_sequence_ = std::max(pruned_sequence_, entry.second.sequence);
    return true;
  });
  prune_at_ = 2 * users_.size();
}

}  // namespace roost::services
