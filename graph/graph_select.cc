// Paging a user's lists newest first (Select, SelectAll).
#include "graph/graph_store_impl.h"

#include "common/status_macros.h"

namespace roost::graph {

ListMerger GraphStoreImpl::OpenLists(const rocksdb::Snapshot* snapshot, GraphId graph, UserId user,
                                     Direction direction, StateMask states, uint64_t before) {
  ListMerger merger;
  for (int s = 0; s < kNumEdgeStates; ++s) {
    const auto state = static_cast<EdgeState>(s);
    if (!HasState(states, state)) continue;
    merger.Add(
        std::make_unique<ListScanner>(db_.get(), snapshot, graph, direction, user, state, before));
  }
  return merger;
}

absl::StatusOr<Page> GraphStoreImpl::SelectRange(GraphId graph, UserId user, Direction direction,
                                                 StateMask states, int64_t cursor, size_t limit,
                                                 uint64_t min_position) {
  RETURN_IF_ERROR(ValidateStates(states));
  RETURN_IF_ERROR(ValidatePaging(cursor, limit));
  if (ServesFromCache(graph, direction, states)) {
    std::optional<Page> page =
        cache_->Select(user, static_cast<uint64_t>(cursor), limit, min_position);
    if (!page.has_value() && LoadFollowers(user, std::nullopt)) {
      page = cache_->Select(user, static_cast<uint64_t>(cursor), limit, min_position);
    }
    if (page.has_value()) return *std::move(page);
  }
  // One snapshot for all state lists, so an edge moving between states mid-page is
  // seen once.
  rocksdb::ManagedSnapshot snapshot(db_.get());
  ListMerger lists =
      OpenLists(snapshot.snapshot(), graph, user, direction, states, static_cast<uint64_t>(cursor));
  PageBuilder page(limit);
  // Newest first: the first edge below min_position ends the range.
  for (; lists.Valid() && !page.full() && lists.position() >= min_position; lists.Next()) {
    page.Add(lists.other(), lists.position());
  }
  RETURN_IF_ERROR(lists.status());
  return std::move(page).Finish();
}

absl::StatusOr<std::vector<UserId>> GraphStoreImpl::SelectAll(GraphId graph, UserId user,
                                                              Direction direction,
                                                              StateMask states) {
  RETURN_IF_ERROR(ValidateStates(states));
  const bool cacheable = ServesFromCache(graph, direction, states);
  if (cacheable) {
    std::optional<std::vector<UserId>> ids = cache_->All(user);
    if (ids.has_value()) return *std::move(ids);
  }
  rocksdb::ManagedSnapshot snapshot(db_.get());
  ListMerger lists = OpenLists(snapshot.snapshot(), graph, user, direction, states, 0);
  std::vector<UserId> ids;
  for (; lists.Valid(); lists.Next()) ids.push_back(lists.other());
  RETURN_IF_ERROR(lists.status());
  // Fanout reads this for every tweet: the size just read decides, not a count read
  // per call, and only a list big enough is read again to load it.
  if (cacheable && ids.size() >= cache_min_followers_) LoadFollowers(user, ids.size());
  return ids;
}

bool GraphStoreImpl::LoadFollowers(UserId user, std::optional<uint64_t> followers) {
  if (!followers.has_value()) {
    absl::StatusOr<uint64_t> counted = Count(kFollows, user, Direction::kBackward, kNormalOnly);
    if (!counted.ok()) return false;
    followers = *counted;
  }
  if (*followers < cache_min_followers_) return false;
  // Another reader loading it meanwhile: this one reads the store.
  std::shared_ptr<FollowerCache::List> loading = cache_->BeginLoad(user);
  if (loading == nullptr) return false;
  // The snapshot is taken after the registration (follower_cache.h says why).
  rocksdb::ManagedSnapshot snapshot(db_.get());
  std::vector<FollowerCache::Entry> scanned;
  scanned.reserve(*followers);
  ListScanner scan(db_.get(), snapshot.snapshot(), kFollows, Direction::kBackward, user,
                   EdgeState::kNormal, 0);
  for (; scan.Valid(); scan.Next()) scanned.emplace_back(~scan.position(), scan.other());
  if (!scan.status().ok()) {
    cache_->AbortLoad(user, loading);
    return false;
  }
  cache_->FinishLoad(user, loading, std::move(scanned));
  return true;
}

}  // namespace roost::graph
