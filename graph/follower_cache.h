// FollowerCache keeps in memory the NORMAL follower lists (FOLLOWS, backward) of the
// users with the most followers: the list fanout reads for every tweet they post, and
// the one a reader pages through. From RocksDB a list iterates at about 7.5M edges/s,
// so a 1M-follower author's fanout spent ~130 ms reading it; from memory it is a copy.
//
// The store keeps the cache exact: after every committed write that changes a FOLLOWS
// edge, still holding the pair's lock, it calls OnChange. The store loads a list once a
// read finds it big enough: BeginLoad registers it (changes from then on are queued), the
// store scans the list at a snapshot taken after that, and FinishLoad installs the
// scan and replays the queue. A change committed before the snapshot is in the scan,
// and one committed after it is queued (its writer checks the cache after committing,
// which is after the registration); a change both in the scan and queued replays
// harmlessly, because the queue holds each pair's changes in commit order (the pair
// lock orders them) and the last one leaves that pair as it is in the store.
//
// Memory is bounded: lists are evicted least recently used first.
//
// Thread-safe.
#ifndef ROOST_GRAPH_FOLLOWER_CACHE_H_
#define ROOST_GRAPH_FOLLOWER_CACHE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/types.h"
#include "graph/graph_store.h"

namespace roost::graph {

class FollowerCache {
 public:
  // One list entry: (~position, follower), so ascending order is newest first, as
  // the list keys are ordered.
  using Entry = std::pair<uint64_t, UserId>;

  explicit FollowerCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  FollowerCache(const FollowerCache&) = delete;
  FollowerCache& operator=(const FollowerCache&) = delete;

  // Keeps a cached (or loading) list in step with a committed write.
  // REQUIRES: the caller holds the pair's lock, so one pair's changes arrive in order.
  void OnChange(const EdgeChange& change) ABSL_LOCKS_EXCLUDED(mu_);

  // The cached list of `user`'s followers, newest first, or nullopt when it is not
  // cached (or still loading).
  std::optional<std::vector<UserId>> All(UserId user) ABSL_LOCKS_EXCLUDED(mu_);
  // A page of it, as GraphStore::SelectRange pages; nullopt when not cached.
  std::optional<Page> Select(UserId user, uint64_t before, size_t limit, uint64_t min_position)
      ABSL_LOCKS_EXCLUDED(mu_);

  struct List;
  // Registers `user`'s list as loading and returns it; null when it is cached or
  // loading already.
  std::shared_ptr<List> BeginLoad(UserId user) ABSL_LOCKS_EXCLUDED(mu_);
  // Installs the list scanned after BeginLoad (in list order) into `list`, replays the
  // changes queued meanwhile, and evicts other lists if over budget. Nothing happens
  // if `list` was evicted meanwhile (a later load may have registered another).
  void FinishLoad(UserId user, const std::shared_ptr<List>& list, std::vector<Entry> scanned)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets a load that failed.
  void AbortLoad(UserId user, const std::shared_ptr<List>& list) ABSL_LOCKS_EXCLUDED(mu_);

  size_t lists() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t bytes() const ABSL_LOCKS_EXCLUDED(mu_);

  // Approximate bytes per cached follower (btree node overhead included).
  static constexpr size_t kBytesPerEntry = 24;

  struct List {
    absl::Mutex mu;
    bool loading ABSL_GUARDED_BY(mu) = true;
    absl::btree_set<Entry> entries ABSL_GUARDED_BY(mu);
    // Changes committed while loading: (entry, present after the change).
    std::vector<std::pair<Entry, bool>> queued ABSL_GUARDED_BY(mu);
    std::atomic<uint64_t> last_used{0};  // 0 until installed: not evictable while loading
  };

 private:
  std::shared_ptr<List> Find(UserId user) ABSL_LOCKS_EXCLUDED(mu_);
  void EvictOverBudget(UserId keep) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_bytes_;
  std::atomic<uint64_t> clock_{0};  // for last_used
  mutable absl::Mutex mu_;
  absl::flat_hash_map<UserId, std::shared_ptr<List>> lists_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;  // of the lists installed, at install time
};

}  // namespace roost::graph

#endif  // ROOST_GRAPH_FOLLOWER_CACHE_H_
