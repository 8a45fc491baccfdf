// One shard of HomeTimelines and what it holds per user. Internal to
// timelines/home_timelines* (home_timelines.h includes it for its lock annotations).
#ifndef ROOST_TIMELINES_HOME_TIMELINES_SHARD_H_
#define ROOST_TIMELINES_HOME_TIMELINES_SHARD_H_

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "common/types.h"
#include "timelines/timeline.h"

namespace roost::timelines {

// What the writer did to a timeline while its source was read (a rebuild, or a refill
// below its cut). The source may have been read before or after each of these, so the
// read is reconciled with them when it is merged in.
struct SourceWork {
  // A refill: the cut it reads below. Entries at or below it that writes brought
  // meanwhile (a late delivery, a follow's merge) are refused by the timeline and kept
  // in `late`, to go in with what the refill read. 0 for a rebuild.
  TweetId refill_cut = 0;
  std::vector<Entry> late;
  // The highest cut of what `late` took from a source list that was itself cut (a
  // show's merge of an author with more tweets than a timeline holds): the refill is
  // complete only above it.
  TweetId late_cut = 0;
  // Removals, applied to what the source read (not to `late`, nor to the timeline, which
  // took them already): an unfollow then a re-follow during a read keeps the author.
  absl::flat_hash_set<TweetId> removed_tweets;
  absl::flat_hash_set<UserId> removed_authors;
  // Authors shown since (a follow, an unmute, an unblock): a rebuild's hidden set, read
  // before, must not hide them.
  absl::flat_hash_set<UserId> shown_authors;

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
  bool building = true;    // not readable until the rebuild is merged in
  bool refilling = false;  // readable; a reader is reading older entries for it
  // The pulled authors (pulled_authors.h) this user follows, whose recent tweets reads
  // merge in.
  std::vector<UserId> pulled_followees;
  // Sorted: authors hidden from this user (it blocks or mutes them, or they block it),
  // whose deliveries are dropped.
  std::vector<UserId> hidden;

  bool reading_source() const { return building || refilling; }
  size_t heap_bytes() const {
    return timeline.heap_bytes() +
           (pulled_followees.capacity() + hidden.capacity()) * sizeof(UserId);
  }
  bool Hides(UserId author) const {
    return !hidden.empty() && std::binary_search(hidden.begin(), hidden.end(), author);
  }
  void Hide(UserId author) {
    auto it = std::lower_bound(hidden.begin(), hidden.end(), author);
    if (it == hidden.end() || *it != author) hidden.insert(it, author);
  }
  void Unhide(UserId author) {
    auto it = std::lower_bound(hidden.begin(), hidden.end(), author);
    if (it != hidden.end() && *it == author) hidden.erase(it);
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

struct TimelineShard {
  // Readers take it shared for pages of ready timelines; the writer, source reads'
  // starts and ends, and evictions take it exclusively. Never held while the source is
  // read.
  mutable absl::Mutex mu;
  absl::flat_hash_map<UserId, UserTimeline> timelines ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<UserId, SourceWork> work ABSL_GUARDED_BY(mu);  // while reading_source()
  size_t bytes ABSL_GUARDED_BY(mu) = 0;
  uint64_t evicted ABSL_GUARDED_BY(mu) = 0;
  uint64_t refilled ABSL_GUARDED_BY(mu) = 0;

  // Ready or building: writer-side calls apply. Null otherwise.
  UserTimeline* Find(UserId user) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto it = timelines.find(user);
    return it == timelines.end() ? nullptr : &it->second;
  }
  const UserTimeline* FindReady(UserId user) const ABSL_SHARED_LOCKS_REQUIRED(mu) {
    auto it = timelines.find(user);
    return it == timelines.end() || it->second.building ? nullptr : &it->second;
  }
  // Runs `change` on `state`'s timeline (ChangeWhole: on all of `state`), keeping
  // `bytes` up to date.
  template <typename F>
  void Change(UserTimeline& state, F change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const size_t before = state.heap_bytes();
    change(state.timeline);
    bytes = bytes + state.heap_bytes() - before;
  }
  template <typename F>
  void ChangeWhole(UserTimeline& state, F change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const size_t before = state.heap_bytes();
    change(state);
    bytes = bytes + state.heap_bytes() - before;
  }
  // Entries a writer brings that a refilling timeline refused for being at or below
  // the refill's cut: kept for the refill. `cut`: they are all their source had above
  // it.
  void KeepLate(UserId user, const UserTimeline& state, absl::Span<const Entry> entries,
                TweetId cut = 0) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (!state.refilling) return;
    SourceWork& w = work[user];
    for (const Entry& entry : entries) {
      if (entry.id <= w.refill_cut) w.late.push_back(entry);
    }
    w.late_cut = std::max(w.late_cut, cut);
  }
  void RemoveTweet(UserId user, UserTimeline& state, TweetId id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    Change(state, [id](Timeline& t) { t.RemoveTweet(id); });
    if (!state.reading_source()) return;
    SourceWork& w = work[user];
    w.removed_tweets.insert(id);
    std::erase_if(w.late, [id](const Entry& e) { return e.id == id; });
  }
  void RemoveAuthor(UserId user, UserTimeline& state, UserId author)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    Change(state, [author](Timeline& t) { t.RemoveAuthor(author); });
    ChangeWhole(state, [author](UserTimeline& s) { s.RemovePulledFollowee(author); });
    if (!state.reading_source()) return;
    SourceWork& w = work[user];
    w.removed_authors.insert(author);
    std::erase_if(w.late, [author](const Entry& e) { return e.author == author; });
  }
  void Erase(absl::flat_hash_map<UserId, UserTimeline>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    bytes -= kSlotBytes + it->second.heap_bytes();
    work.erase(it->first);
    timelines.erase(it);
  }
};

}  // namespace roost::timelines

#endif  // ROOST_TIMELINES_HOME_TIMELINES_SHARD_H_
