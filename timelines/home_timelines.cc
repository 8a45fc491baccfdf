#include "timelines/home_timelines.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "common/stable_hash.h"
#include "common/status_macros.h"
#include "timelines/home_timelines_shard.h"

namespace roost::timelines {

HomeTimelines::HomeTimelines(const HomeTimelinesOptions& options, TimelineSource* source)
    : options_(options), source_(source), pulled_(options.max_entries) {
  const int shards = std::max(options_.shards, 1);
  shards_.reserve(shards);
  for (int i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
  if (options_.memory_limit_bytes > 0) {
    shard_limit_bytes_ = std::max<size_t>(options_.memory_limit_bytes / shards, 1);
  }
}

HomeTimelines::~HomeTimelines() = default;

int HomeTimelines::shard_count() const { return static_cast<int>(shards_.size()); }

int HomeTimelines::ShardOf(UserId user) const {
  return static_cast<int>(StableHash(user) % shards_.size());
}

void HomeTimelines::Insert(UserId user, const Entry& entry) {
  Deliver(ShardOf(user), entry, absl::MakeConstSpan(&user, 1), false);
}

size_t HomeTimelines::Deliver(int shard_index, const Entry& entry, absl::Span<const UserId> users,
                              bool mark_pulled) {
  Shard& shard = *shards_[static_cast<size_t>(shard_index)];
  absl::MutexLock lock(&shard.mu);
  // Two cache misses a user (the table slot, then the timeline's tail) would dominate
  // an insert of a few bytes, so both are prefetched ahead: slots kSlotAhead users
  // ahead, tails kTailAhead ahead, found while the slots are already in cache.
  constexpr size_t kSlotAhead = 16;
  constexpr size_t kTailAhead = 8;
  UserTimeline* found[kTailAhead] = {};
  const size_t n = users.size();
  size_t inserted = 0;
  for (size_t i = 0; i < std::min(n, kSlotAhead); ++i) shard.timelines.prefetch(users[i]);
  for (size_t i = 0; i < n + kTailAhead; ++i) {
    if (i + kSlotAhead < n) shard.timelines.prefetch(users[i + kSlotAhead]);
    UserTimeline*& slot = found[i % kTailAhead];
    if (i >= kTailAhead && slot != nullptr && !slot->Hides(entry.author)) {
      // The user of kTailAhead steps ago. The table does not change in this loop
      // (evictions wait until after it), so the pointer is still good.
      const UserId user = users[i - kTailAhead];
      bool added = false;
      shard.Change(*slot, [&](Timeline& t) { added = t.Insert(entry); });
      inserted += added ? 1 : 0;
      if (!added) shard.KeepLate(user, *slot, absl::MakeConstSpan(&entry, 1));
      if (mark_pulled && user != entry.author) {
        shard.ChangeWhole(*slot, [&](UserTimeline& s) { s.AddPulledFollowee(entry.author); });
      }
    }
    slot = nullptr;
    if (i < n) {
      slot = shard.Find(users[i]);
      if (slot != nullptr) slot->timeline.PrefetchTail();
    }
  }
  EvictIfOver(shard);
  return inserted;
}

void HomeTimelines::RemoveTweet(UserId user, TweetId id) {
  Retract(ShardOf(user), id, absl::MakeConstSpan(&user, 1));
}

void HomeTimelines::Retract(int shard_index, TweetId id, absl::Span<const UserId> users) {
  Shard& shard = *shards_[static_cast<size_t>(shard_index)];
  absl::MutexLock lock(&shard.mu);
  for (UserId user : users) {
    if (UserTimeline* state = shard.Find(user)) shard.RemoveTweet(user, *state, id);
  }
}

void HomeTimelines::RemoveAuthor(UserId user, UserId author) {
  Shard& shard = *shards_[ShardOf(user)];
  absl::MutexLock lock(&shard.mu);
  if (UserTimeline* state = shard.Find(user)) shard.RemoveAuthor(user, *state, author);
}

void HomeTimelines::HideAuthor(UserId user, UserId author) {
  Shard& shard = *shards_[ShardOf(user)];
  absl::MutexLock lock(&shard.mu);
  UserTimeline* state = shard.Find(user);
  if (state == nullptr) return;
  shard.ChangeWhole(*state, [author](UserTimeline& s) { s.Hide(author); });
  shard.RemoveAuthor(user, *state, author);
  if (state->building) shard.work[user].shown_authors.erase(author);
}

absl::Status HomeTimelines::ShowAuthor(UserId user, UserId author) {
  return Show(user, author, nullptr);
}

absl::Status HomeTimelines::ShowAuthorWith(UserId user, UserId author, std::vector<Entry> recent) {
  return Show(user, author, &recent);
}

absl::Status HomeTimelines::Show(UserId user, UserId author, std::vector<Entry>* given) {
  Shard& shard = *shards_[ShardOf(user)];
  {
    absl::ReaderMutexLock lock(&shard.mu);
    if (!shard.timelines.contains(user)) return absl::OkStatus();
  }
  // Read outside the lock; the writer side of this shard is this thread, so no
  // removal for this user can interleave with the reads. The graph may be ahead of
  // this change, never behind it: if it says the author is not shown, a later change
  // (a hide, an unfollow) is on its way, or a later show will merge it.
  ASSIGN_OR_RETURN(const bool hidden, source_->IsHidden(user, author));
  bool follows = false;
  if (!hidden) {
    ASSIGN_OR_RETURN(follows, source_->Follows(user, author));
  }
  std::vector<Entry> recent;
  TweetId cut = 0;
  if (follows) {
    // One more than a timeline holds: if it is there, the author has older tweets.
    if (given != nullptr) {
      recent = std::move(*given);
    } else {
      ASSIGN_OR_RETURN(recent, source_->RecentTweets(author, 0, options_.max_entries + 1));
    }
    if (recent.size() > options_.max_entries) {
      cut = recent[options_.max_entries].id;
      recent.resize(options_.max_entries);
    }
  }
  // Fanout sends a pulled author's first pulled tweet (which makes it pulled) and its
  // follows through the same instance, so either the follower list it marked held this
  // user, or the author was pulled before this follow got here.
  const bool pulled = follows && pulled_.IsPulled(author);
  absl::MutexLock lock(&shard.mu);
  UserTimeline* state = shard.Find(user);
  if (state == nullptr || hidden) return absl::OkStatus();
  shard.ChangeWhole(*state, [author](UserTimeline& s) { s.Unhide(author); });
  if (state->building) shard.work[user].shown_authors.insert(author);
  if (!follows) return absl::OkStatus();
  const TweetId held_above = state->timeline.cut();
  shard.Change(*state, [&](Timeline& t) { t.Merge(recent, cut); });
  if (state->refilling && state->timeline.cut() == held_above) {
    // What the timeline refused for its cut, the refill below it must take.
    shard.KeepLate(user, *state, recent, cut);
  }
  if (pulled) shard.ChangeWhole(*state, [author](UserTimeline& s) { s.AddPulledFollowee(author); });
  EvictIfOver(shard);
  return absl::OkStatus();
}

void HomeTimelines::Pull(const Entry& entry) { pulled_.Add(entry); }

absl::Status HomeTimelines::Unpull(UserId author, TweetId id) {
  const std::optional<PulledAuthors::Shortfall> shortfall = pulled_.Remove(author, id);
  if (!shortfall.has_value()) return absl::OkStatus();
  // Called on the author's fanout thread, the only one that changes its list, so the
  // list cannot move between this read and the refill.
  ASSIGN_OR_RETURN(std::vector<Entry> older,
                   source_->RecentTweets(author, shortfall->cut + 1, shortfall->count + 1));
  TweetId new_cut = 0;
  if (older.size() > shortfall->count) {
    new_cut = older[shortfall->count].id;
    older.resize(shortfall->count);
  }
  pulled_.Refill(author, *shortfall, older, new_cut);
  return absl::OkStatus();
}

bool HomeTimelines::IsPulled(UserId author) const { return pulled_.IsPulled(author); }

size_t HomeTimelines::pulled_author_count() const { return pulled_.author_count(); }

bool HomeTimelines::IsMaterialized(UserId user) const {
  const Shard& shard = *shards_[ShardOf(user)];
  absl::ReaderMutexLock lock(&shard.mu);
  return shard.FindReady(user) != nullptr;
}

template <typename F>
size_t HomeTimelines::SumShards(F f) const {
  size_t sum = 0;
  for (const auto& shard : shards_) {
    absl::ReaderMutexLock lock(&shard->mu);
    sum += f(*shard);
  }
  return sum;
}

size_t HomeTimelines::materialized_count() const {
  return SumShards([](const Shard& shard) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    size_t count = 0;
    for (const auto& [user, state] : shard.timelines) count += state.building ? 0 : 1;
    return count;
  });
}

size_t HomeTimelines::memory_bytes() const {
  return SumShards([](const Shard& shard) ABSL_NO_THREAD_SAFETY_ANALYSIS { return shard.bytes; });
}

uint64_t HomeTimelines::evicted_count() const {
  return SumShards([](const Shard& shard) ABSL_NO_THREAD_SAFETY_ANALYSIS { return shard.evicted; });
}

uint64_t HomeTimelines::refilled_count() const {
  return SumShards([](const Shard& shard)
                       ABSL_NO_THREAD_SAFETY_ANALYSIS { return shard.refilled; });
}

size_t HomeTimelines::entry_count() const {
  return SumShards([](const Shard& shard) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    size_t count = 0;
    for (const auto& [user, state] : shard.timelines) count += state.timeline.size();
    return count;
  });
}

}  // namespace roost::timelines
