#include "timelines/home_timelines.h"

#include <algorithm>
#include <queue>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "common/stable_hash.h"
#include "common/status_macros.h"

namespace roost::timelines {
namespace {

// Newest first across `lists` (each newest first), without duplicate ids, at most
// `limit` entries: a k-way merge through a heap of list heads.
std::vector<Entry> MergeNewestFirst(const std::vector<std::vector<Entry>>& lists,
                                    size_t limit) {
  struct Head {
    TweetId id;
    size_t list;
    size_t index;
    bool operator<(const Head& other) const { return id < other.id; }  // max-heap on id
  };
  std::priority_queue<Head> heads;
  for (size_t i = 0; i < lists.size(); ++i) {
    if (!lists[i].empty()) heads.push({lists[i][0].id, i, 0});
  }
  std::vector<Entry> merged;
  while (!heads.empty() && merged.size() < limit) {
    const Head head = heads.top();
    heads.pop();
    const Entry& entry = lists[head.list][head.index];
    if (merged.empty() || merged.back().id != entry.id) merged.push_back(entry);
    if (head.index + 1 < lists[head.list].size()) {
      heads.push({lists[head.list][head.index + 1].id, head.list, head.index + 1});
    }
  }
  return merged;
}

}  // namespace

// Removals seen while a timeline is rebuilt. The source may have been read before
// they happened, so they are applied to the rebuilt entries before those are merged.
struct BuildState {
  absl::flat_hash_set<TweetId> removed_tweets;
  absl::flat_hash_set<UserId> removed_authors;

  bool Removed(const Entry& entry) const {
    return removed_tweets.contains(entry.id) || removed_authors.contains(entry.author);
  }
};

// One user's timeline. While building, writer-side calls land in `timeline` as usual;
// the rebuilt entries are merged in when the build finishes.
struct UserTimeline {
  explicit UserTimeline(size_t max_entries) : timeline(max_entries) {}

  Timeline timeline;
  // read_clock_ at the last read. Readers holding the shard's lock shared store it
  // through an atomic_ref.
  mutable uint32_t last_read = 0;
  bool building = true;
  // The pulled authors (pulled_authors.h) this user follows, whose recent tweets reads
  // merge in.
  std::vector<UserId> pulled_followees;

  size_t heap_bytes() const {
    return timeline.heap_bytes() + pulled_followees.capacity() * sizeof(UserId);
  }
  void AddPulledFollowee(UserId author) {
    if (std::find(pulled_followees.begin(), pulled_followees.end(), author) ==
        pulled_followees.end()) {
      pulled_followees.push_back(author);
    }
  }
  void RemovePulledFollowee(UserId author) { std::erase(pulled_followees, author); }
};

// What a timeline costs beyond its heap bytes: its slot in the shard's table.
constexpr size_t kSlotBytes = sizeof(std::pair<const UserId, UserTimeline>);

struct HomeTimelines::Shard {
  // Readers take it shared for pages of ready timelines; the writer, rebuilds and
  // evictions take it exclusively. Never held while the source is read.
  mutable absl::Mutex mu;
  absl::flat_hash_map<UserId, UserTimeline> timelines ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<UserId, BuildState> builds ABSL_GUARDED_BY(mu);
  size_t bytes ABSL_GUARDED_BY(mu) = 0;
  uint64_t evicted ABSL_GUARDED_BY(mu) = 0;

  // Ready or building: writer-side calls apply. Null otherwise.
  UserTimeline* Find(UserId user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto it = timelines.find(user);
    return it == timelines.end() ? nullptr : &it->second;
  }
  const UserTimeline* FindReady(UserId user) const ABSL_SHARED_LOCKS_REQUIRED(mu) {
    auto it = timelines.find(user);
    return it == timelines.end() || it->second.building ? nullptr : &it->second;
  }
  // Runs `change` on `state`'s timeline, keeping `bytes` up to date.
  template <typename F>
  void Change(UserTimeline& state, F change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const size_t before = state.heap_bytes();
    change(state.timeline);
    bytes = bytes + state.heap_bytes() - before;
  }
  // As Change, for the list of pulled followees.
  template <typename F>
  void ChangePulled(UserTimeline& state, F change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const size_t before = state.heap_bytes();
    change(state);
    bytes = bytes + state.heap_bytes() - before;
  }
  void RemoveTweet(UserId user, UserTimeline& state, TweetId id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    Change(state, [id](Timeline& t) { t.RemoveTweet(id); });
    if (state.building) builds[user].removed_tweets.insert(id);
  }
  void RemoveAuthor(UserId user, UserTimeline& state, UserId author)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    Change(state, [author](Timeline& t) { t.RemoveAuthor(author); });
    ChangePulled(state, [author](UserTimeline& s) { s.RemovePulledFollowee(author); });
    if (state.building) builds[user].removed_authors.insert(author);
  }
  void Erase(absl::flat_hash_map<UserId, UserTimeline>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    bytes -= kSlotBytes + it->second.heap_bytes();
    builds.erase(it->first);
    timelines.erase(it);
  }
};

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

size_t HomeTimelines::Deliver(int shard_index, const Entry& entry,
                              absl::Span<const UserId> users, bool mark_pulled) {
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
    if (i >= kTailAhead && slot != nullptr) {
      // The user of kTailAhead steps ago. The table does not change in this loop
      // (evictions wait until after it), so the pointer is still good.
      bool added = false;
      shard.Change(*slot, [&](Timeline& t) { added = t.Insert(entry); });
      inserted += added ? 1 : 0;
      if (mark_pulled && users[i - kTailAhead] != entry.author) {
        shard.ChangePulled(*slot, [&](UserTimeline& s) { s.AddPulledFollowee(entry.author); });
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

void HomeTimelines::EvictIfOver(Shard& shard) {
  if (shard_limit_bytes_ == 0 || shard.bytes <= shard_limit_bytes_) return;
  // Oldest read first. Ages are taken from the clock's current value, so they stay
  // right across its wrap for any timeline read within the last 2^32 reads.
  const uint32_t now = read_clock_.load(std::memory_order_relaxed);
  std::vector<std::pair<uint32_t, UserId>> by_age;
  by_age.reserve(shard.timelines.size());
  for (const auto& [user, state] : shard.timelines) {
    if (state.building) continue;  // its builder owns it until it is ready
    const uint32_t last = std::atomic_ref<uint32_t>(state.last_read).load(std::memory_order_relaxed);
    by_age.emplace_back(now - last, user);
  }
  std::sort(by_age.begin(), by_age.end(), std::greater<>());
  const size_t target = shard_limit_bytes_ / 10 * 9;
  for (const auto& [age, user] : by_age) {
    if (shard.bytes <= target) break;
    shard.Erase(shard.timelines.find(user));
    ++shard.evicted;
  }
}

absl::Status HomeTimelines::MergeAuthor(UserId user, UserId author) {
  Shard& shard = *shards_[ShardOf(user)];
  {
    absl::ReaderMutexLock lock(&shard.mu);
    if (!shard.timelines.contains(user)) return absl::OkStatus();
  }
  // Read outside the lock; the writer side of this shard is this thread, so no
  // removal for this user can interleave with the read. A rebuild that starts
  // meanwhile reads the followees after the follow, so it has the author too.
  ASSIGN_OR_RETURN(const std::vector<Entry> recent,
                   source_->RecentTweets(author, options_.max_entries));
  // Fanout sends a pulled author's first pulled tweet (which makes it pulled) and its
  // follows through the same instance, so either the follower list it marked held this
  // user, or the author was pulled before this follow got here.
  const bool pulled = author != user && pulled_.IsPulled(author);
  absl::MutexLock lock(&shard.mu);
  if (UserTimeline* state = shard.Find(user)) {
    shard.Change(*state, [&recent](Timeline& t) { t.Merge(recent); });
    if (pulled) shard.ChangePulled(*state, [author](UserTimeline& s) { s.AddPulledFollowee(author); });
    EvictIfOver(shard);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Entry>> HomeTimelines::ReadSource(UserId user,
                                                             std::vector<UserId>* followees) {
  ASSIGN_OR_RETURN(std::vector<UserId> authors, source_->Followees(user));
  *followees = authors;
  authors.push_back(user);
  std::sort(authors.begin(), authors.end());
  authors.erase(std::unique(authors.begin(), authors.end()), authors.end());

  std::vector<std::vector<Entry>> lists;
  lists.reserve(authors.size());
  for (UserId author : authors) {
    ASSIGN_OR_RETURN(std::vector<Entry> recent,
                     source_->RecentTweets(author, options_.max_entries));
    lists.push_back(std::move(recent));
  }
  return MergeNewestFirst(lists, options_.max_entries);
}

absl::StatusOr<ReadResult> HomeTimelines::Read(UserId user, TweetId max_id, TweetId since_id,
                                               size_t limit, const AuthorSet* exclude) {
  Shard& shard = *shards_[ShardOf(user)];
  ReadResult result;
  {
    absl::ReaderMutexLock lock(&shard.mu);
    if (const UserTimeline* state = shard.FindReady(user)) {
      std::atomic_ref<uint32_t>(state->last_read).store(NextReadTick(), std::memory_order_relaxed);
      PageOf(*state, max_id, since_id, limit, exclude, &result.entries);
      return result;
    }
  }

  // Missing or building. One reader builds; the others wait for it rather than read
  // the source again, so a cold timeline costs one rebuild however many readers ask.
  result.rebuilt = true;
  {
    absl::MutexLock lock(&shard.mu);
    while (true) {
      auto it = shard.timelines.find(user);
      if (it == shard.timelines.end()) {
        shard.timelines.try_emplace(user, options_.max_entries);
        shard.bytes += kSlotBytes;
        break;  // this reader builds
      }
      if (!it->second.building) {
        it->second.last_read = NextReadTick();
        PageOf(it->second, max_id, since_id, limit, exclude, &result.entries);
        return result;
      }
      // Wakes when the build ends either way; a failed build erased the entry, and
      // this reader then tries once more itself.
      struct NotBuilding {
        const Shard* shard;
        UserId user;
        bool operator()() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
          auto it = shard->timelines.find(user);
          return it == shard->timelines.end() || !it->second.building;
        }
      } not_building{&shard, user};
      shard.mu.Await(absl::Condition(&not_building));
    }
  }

  std::vector<UserId> followees;
  absl::StatusOr<std::vector<Entry>> built = ReadSource(user, &followees);

  absl::MutexLock lock(&shard.mu);
  auto it = shard.timelines.find(user);
  // Only this builder erases a building entry, and nothing evicts one.
  if (it == shard.timelines.end() || !it->second.building) {
    return absl::InternalError("home timeline vanished while being rebuilt");
  }
  UserTimeline& state = it->second;
  if (!built.ok()) {
    shard.Erase(it);  // never visible as ready
    return built.status();
  }
  std::vector<Entry>& entries = *built;
  std::vector<UserId> pulled = pulled_.Among(followees);
  std::erase(pulled, user);
  if (auto build = shard.builds.find(user); build != shard.builds.end()) {
    std::erase_if(entries, [&build](const Entry& e) { return build->second.Removed(e); });
    std::erase_if(pulled, [&build](UserId a) { return build->second.removed_authors.contains(a); });
    shard.builds.erase(build);
  }
  shard.Change(state, [&entries](Timeline& t) { t.Merge(entries); });
  shard.ChangePulled(state, [&pulled](UserTimeline& s) {
    for (UserId author : pulled) s.AddPulledFollowee(author);
  });
  state.building = false;
  state.last_read = NextReadTick();
  PageOf(state, max_id, since_id, limit, exclude, &result.entries);
  EvictIfOver(shard);
  return result;
}

void HomeTimelines::PageOf(const UserTimeline& state, TweetId max_id, TweetId since_id,
                           size_t limit, const AuthorSet* exclude,
                           std::vector<Entry>* out) const {
  if (state.pulled_followees.empty()) {
    state.timeline.Page(max_id, since_id, limit, exclude, out);
    return;
  }
  // The timeline and the pulled followees' recent tweets, merged, make the timeline a
  // push of every tweet would have made: the newest max_entries of them, in which the
  // page is then taken. A first page (no max_id) reads only the newest `want` of each
  // list: the merge is exact down to the highest id at which a list was cut, and only
  // if the page needs entries below that (readers who filter many authors) is it taken
  // again from the whole lists. A page below max_id needs the rank of its entries in
  // the union, so it reads the whole lists.
  const size_t cap = options_.max_entries;
  size_t want = max_id == 0 ? std::min(cap, 2 * limit + 8) : cap;
  std::vector<std::vector<Entry>> lists(1 + state.pulled_followees.size());
  std::vector<Entry> page;
  while (true) {
    TweetId floor = 0;  // below it a cut list may be missing entries
    for (std::vector<Entry>& list : lists) list.clear();
    state.timeline.Page(0, since_id, want, nullptr, &lists[0]);
    for (size_t i = 0; i < state.pulled_followees.size(); ++i) {
      pulled_.AppendRecent(state.pulled_followees[i], since_id, want, &lists[i + 1]);
    }
    if (want < cap) {
      for (const std::vector<Entry>& list : lists) {
        if (list.size() == want) floor = std::max(floor, list.back().id);
      }
    }
    page.clear();
    // Exact if the page fills above the floor, or nothing was cut.
    bool exact = floor == 0;
    for (const Entry& entry : MergeNewestFirst(lists, cap)) {
      if (page.size() == limit || entry.id < floor) break;
      if (max_id != 0 && entry.id >= max_id) continue;
      if (exclude != nullptr && exclude->contains(entry.author)) continue;
      page.push_back(entry);
    }
    if (exact || page.size() == limit) break;
    want = cap;
  }
  out->insert(out->end(), page.begin(), page.end());
}

void HomeTimelines::Pull(const Entry& entry) { pulled_.Add(entry); }

void HomeTimelines::Unpull(UserId author, TweetId id) { pulled_.Remove(author, id); }

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
  return SumShards(
      [](const Shard& shard) ABSL_NO_THREAD_SAFETY_ANALYSIS { return shard.evicted; });
}

size_t HomeTimelines::entry_count() const {
  return SumShards([](const Shard& shard) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    size_t count = 0;
    for (const auto& [user, state] : shard.timelines) count += state.timeline.size();
    return count;
  });
}

}  // namespace roost::timelines
