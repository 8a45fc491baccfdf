#include "graph/follower_cache.h"

#include <algorithm>

namespace roost::graph {
namespace {

bool IsNormalFollow(const Edge& edge) {
  return edge.graph == kFollows && edge.state == EdgeState::kNormal;
}

FollowerCache::Entry EntryOf(const Edge& edge) { return {~edge.position, edge.source}; }

}  // namespace

std::shared_ptr<FollowerCache::List> FollowerCache::Find(UserId user) {
  absl::ReaderMutexLock lock(&mu_);
  auto it = lists_.find(user);
  return it == lists_.end() ? nullptr : it->second;
}

void FollowerCache::OnChange(const EdgeChange& change) {
  if (change.after.graph != kFollows) return;
  const bool was = change.before.has_value() && IsNormalFollow(*change.before);
  const bool is = IsNormalFollow(change.after);
  if (!was && !is) return;
  std::shared_ptr<List> list = Find(change.after.destination);
  if (list == nullptr) return;
  absl::MutexLock lock(&list->mu);
  auto apply = [&](const Entry& entry, bool present) ABSL_EXCLUSIVE_LOCKS_REQUIRED(list->mu) {
    if (list->loading) {
      list->queued.emplace_back(entry, present);
    } else if (present) {
      list->entries.insert(entry);
    } else {
      list->entries.erase(entry);
    }
  };
  if (was) apply(EntryOf(*change.before), false);
  if (is) apply(EntryOf(change.after), true);
}

std::optional<std::vector<UserId>> FollowerCache::All(UserId user) {
  std::shared_ptr<List> list = Find(user);
  if (list == nullptr) return std::nullopt;
  absl::ReaderMutexLock lock(&list->mu);
  if (list->loading) return std::nullopt;
  list->last_used.store(clock_.fetch_add(1) + 1, std::memory_order_relaxed);
  std::vector<UserId> ids;
  ids.reserve(list->entries.size());
  for (const Entry& entry : list->entries) ids.push_back(entry.second);
  return ids;
}

std::optional<Page> FollowerCache::Select(UserId user, uint64_t before, size_t limit,
                                          uint64_t min_position) {
  std::shared_ptr<List> list = Find(user);
  if (list == nullptr) return std::nullopt;
  absl::ReaderMutexLock lock(&list->mu);
  if (list->loading) return std::nullopt;
  list->last_used.store(clock_.fetch_add(1) + 1, std::memory_order_relaxed);
  // Positions strictly below `before` start at ~(before - 1), as ListSeekKey.
  auto it =
      before == 0 ? list->entries.begin() : list->entries.lower_bound(Entry{~(before - 1), 0});
  Page page;
  uint64_t last_position = 0;
  for (; it != list->entries.end(); ++it) {
    const uint64_t position = ~it->first;
    if (position < min_position) break;
    if (page.ids.size() == limit) {  // one more exists: the page has a next one
      page.next_cursor = static_cast<int64_t>(last_position);
      break;
    }
    page.ids.push_back(it->second);
    page.positions.push_back(position);
    last_position = position;
  }
  return page;
}

std::shared_ptr<FollowerCache::List> FollowerCache::BeginLoad(UserId user) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = lists_.try_emplace(user, nullptr);
  if (!inserted) return nullptr;
  it->second = std::make_shared<List>();
  return it->second;
}

void FollowerCache::FinishLoad(UserId user, const std::shared_ptr<List>& list,
                               std::vector<Entry> scanned) {
  // Only the registration this load made: once it is gone (evicted), changes are no
  // longer queued to it, and another load may have registered the user again.
  if (Find(user) != list) return;
  size_t size = 0;
  {
    absl::MutexLock lock(&list->mu);
    // The scan is in list order, so the btree is built by appending.
    list->entries.insert(scanned.begin(), scanned.end());
    for (const auto& [entry, present] : list->queued) {
      if (present) {
        list->entries.insert(entry);
      } else {
        list->entries.erase(entry);
      }
    }
    list->queued.clear();
    list->queued.shrink_to_fit();
    list->loading = false;
    size = list->entries.size();
  }
  list->last_used.store(clock_.fetch_add(1) + 1, std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  auto it = lists_.find(user);
  if (it == lists_.end() || it->second != list) return;  // evicted while installing
  bytes_ += size * kBytesPerEntry;
  EvictOverBudget(user);
}

void FollowerCache::AbortLoad(UserId user, const std::shared_ptr<List>& list) {
  absl::MutexLock lock(&mu_);
  auto it = lists_.find(user);
  if (it != lists_.end() && it->second == list) lists_.erase(it);
}

void FollowerCache::EvictOverBudget(UserId keep) {
  while (bytes_ > max_bytes_) {
    UserId victim = 0;
    uint64_t oldest = UINT64_MAX;
    for (const auto& [user, list] : lists_) {
      const uint64_t used = list->last_used.load(std::memory_order_relaxed);
      if (user == keep || used == 0) continue;  // 0: still loading, holds nothing yet
      if (used < oldest) {
        oldest = used;
        victim = user;
      }
    }
    if (victim == 0) return;  // only `keep` is left: a list over budget on its own stays
    auto it = lists_.find(victim);
    {
      absl::MutexLock lock(&it->second->mu);
      bytes_ -= std::min(bytes_, it->second->entries.size() * kBytesPerEntry);
    }
    lists_.erase(it);
  }
}

size_t FollowerCache::lists() const {
  absl::MutexLock lock(&mu_);
  return lists_.size();
}

size_t FollowerCache::bytes() const {
  absl::MutexLock lock(&mu_);
  return bytes_;
}

}  // namespace roost::graph
