// BlockTracker lets a follow be checked against the graph as it will be where the
// follow lands in the log, though the graph store holds only what the pipeline has
// applied so far. A user blocked by another cannot follow it (DESIGN.md), and a block
// (or a mass change of blocks) appended a moment before the follow may not be applied
// yet.
//
// It tracks, by user, the BLOCKS events being appended (single edges: both users; mass
// changes: the user) and the log positions of those appended: a follow of b by a takes
// a Snapshot of the two users, waits until nothing touching them is being appended
// (WhenSettled) and the position is applied, reads the store, and is appended only if
// the snapshot's sequence still holds under the same lock that orders appends (no block
// touching them was appended meanwhile); otherwise it starts over. Only BLOCKS events
// need this: the follow's own pair is the only other thing its check reads.
//
// Users whose events are all applied are forgotten (Prune): after a restart nothing is
// tracked, as recovery applies the whole log before serving.
//
// Thread-safe.
#ifndef ROOST_SERVICES_BLOCK_TRACKER_H_
#define ROOST_SERVICES_BLOCK_TRACKER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "common/types.h"

namespace roost::services {

class BlockTracker {
 public:
  // A BLOCKS event touching `users` is being appended. Call in the same critical
  // section that gives the event its place in the log.
  void Appending(absl::Span<const UserId> users);
  // Its append ended: durable at `position`, or failed (0). Runs the WhenSettled
  // callbacks it releases, on this thread.
  void Appended(absl::Span<const UserId> users, LogOffset position);

  struct Snapshot {
    uint64_t sequence = 0;   // of the last BLOCKS event appended touching either user
    LogOffset position = 0;  // the highest durable position of those events
    bool settled = true;     // none is still being appended
  };
  Snapshot Of(UserId a, UserId b) const;
  // Calls `ready` once no BLOCKS event touching `a` or `b` is being appended: at once
  // (on this thread) if none is, else on the thread of the Appended that settles them.
  void WhenSettled(UserId a, UserId b, absl::AnyInvocable<void()> ready);

  // Forgets the users with nothing being appended and everything at or below
  // `applied`, once more than `keep` users are tracked (and twice as many as the last
  // Prune left). Snapshots taken before a user is forgotten stop matching (the follow
  // checks again), so forgetting never lets a block go unseen.
  void Prune(LogOffset applied, size_t keep = 4096);

 private:
  struct PerUser {
    uint64_t sequence = 0;
    LogOffset position = 0;
    int appending = 0;
  };
  struct Waiter {
    UserId a;
    UserId b;
    absl::AnyInvocable<void()> ready;
  };
  bool Settled(UserId user) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  // The highest sequence of a user Prune forgot: every snapshot's floor.
  uint64_t pruned_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  size_t prune_at_ ABSL_GUARDED_BY(mu_) = 0;  // Prune scans once more users than this
  absl::flat_hash_map<UserId, PerUser> users_ ABSL_GUARDED_BY(mu_);
  std::vector<Waiter> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_BLOCK_TRACKER_H_
