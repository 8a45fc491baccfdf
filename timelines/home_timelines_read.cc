// HomeTimelines' reads, and the source reads (rebuilds and refills) a page may need
// first (home_timelines.h).
#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "timelines/home_timelines.h"
#include "timelines/home_timelines_shard.h"

namespace roost::timelines {
namespace {

// Refills one read may do before it answers with what it has. A refill fills a
// timeline to its cap unless removals land while it reads, so more than one is rare.
constexpr int kMaxRefillsPerRead = 3;

}  // namespace

absl::StatusOr<ReadResult> HomeTimelines::Read(UserId user, TweetId max_id, TweetId since_id,
                                               size_t limit) {
  Shard& shard = *shards_[ShardOf(user)];
  const PageQuery query{max_id, since_id, limit};
  {
    absl::ReaderMutexLock lock(&shard.mu);
    if (const UserTimeline* state = shard.FindReady(user)) {
      std::atomic_ref<uint32_t>(state->last_read).store(NextReadTick(), std::memory_order_relaxed);
      ReadResult result;
      if (PageOf(shard, *state, query, &result.entries)) return result;
    }
  }
  return ReadFromSource(shard, user, query);
}

absl::StatusOr<ReadResult> HomeTimelines::ReadFromSource(Shard& shard, UserId user,
                                                         const PageQuery& query) {
  ReadResult result;
  for (int refills = 0;; ++refills) {
    SourceJob job;
    {
      absl::MutexLock lock(&shard.mu);
      // One reader reads the source for a timeline; the others wait for it rather than
      // read it again, so a cold timeline costs one rebuild however many readers ask.
      // A failed rebuild erases the entry, and a waiting reader then tries itself.
      struct NotReadingSource {
        const Shard* shard;
        UserId user;
        bool operator()() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
          auto it = shard->timelines.find(user);
          return it == shard->timelines.end() || !it->second.reading_source();
        }
      } not_reading{&shard, user};
      if (const UserTimeline* state = shard.Find(user); state != nullptr && state->building) {
        result.rebuilt = true;  // waiting for another reader's rebuild
      }
      shard.mu.Await(absl::Condition(&not_reading));
      if (UserTimeline* state = shard.Find(user)) {
        state->last_read = NextReadTick();
        result.entries.clear();
        if (PageOf(shard, *state, query, &result.entries) || refills == kMaxRefillsPerRead) {
          return result;
        }
      }
      job = StartSourceJob(shard, user);
      result.rebuilt = result.rebuilt || job.rebuild;
    }
    absl::StatusOr<SourceRead> read = ReadNewest(*source_, user, job.before, job.count);
    absl::MutexLock lock(&shard.mu);
    RETURN_IF_ERROR(FinishSourceJob(shard, user, job, std::move(read)));
    // The page is taken before anything is evicted, so a read always gets its answer.
    const UserTimeline* state = shard.Find(user);
    result.entries.clear();
    const bool complete = PageOf(shard, *state, query, &result.entries);
    EvictIfOver(shard);
    if (complete || refills == kMaxRefillsPerRead) return result;
  }
}

HomeTimelines::SourceJob HomeTimelines::StartSourceJob(Shard& shard, UserId user) {
  UserTimeline* state = shard.Find(user);
  if (state == nullptr) {
    shard.timelines.try_emplace(user, options_.max_entries);
    shard.bytes += kSlotBytes;
    return SourceJob{/*rebuild=*/true, /*before=*/0, options_.max_entries};
  }
  state->refilling = true;
  const TweetId cut = state->timeline.cut();
  shard.work[user].refill_cut = cut;
  return SourceJob{/*rebuild=*/false, cut + 1, options_.max_entries - state->timeline.size()};
}

absl::Status HomeTimelines::FinishSourceJob(Shard& shard, UserId user, const SourceJob& job,
                                            absl::StatusOr<SourceRead> read) {
  auto it = shard.timelines.find(user);
  // Only this reader ends a source read, and nothing evicts a timeline during one.
  if (it == shard.timelines.end() || !it->second.reading_source()) {
    return absl::InternalError("home timeline vanished while its source was read");
  }
  UserTimeline& state = it->second;
  state.last_read = NextReadTick();
  if (job.rebuild) {
    if (!read.ok()) {
      shard.Erase(it);  // never visible as ready
      return read.status();
    }
    FinishRebuild(shard, user, state, *std::move(read));
  } else {
    SourceWork work;
    if (auto w = shard.work.find(user); w != shard.work.end()) {
      work = std::move(w->second);
      shard.work.erase(w);
    }
    state.refilling = false;
    RETURN_IF_ERROR(read.status());
    // Cut higher meanwhile: the cap dropped entries above what was read, so the timeline
    // is full again, and what was read would leave a hole.
    if (state.timeline.cut() != work.refill_cut) return absl::OkStatus();
    const TweetId new_cut = std::max(read->cut, work.late_cut);
    std::vector<Entry>& older = read->entries;
    std::erase_if(older, [&](const Entry& e) { return work.Removed(e) || e.id <= new_cut; });
    for (const Entry& entry : work.late) {
      if (entry.id > new_cut) older.push_back(entry);
    }
    shard.Change(state, [&](Timeline& t) { t.Extend(older, new_cut); });
    ++shard.refilled;
  }
  return absl::OkStatus();
}

void HomeTimelines::FinishRebuild(Shard& shard, UserId user, UserTimeline& state, SourceRead read) {
  SourceWork work;
  if (auto w = shard.work.find(user); w != shard.work.end()) {
    work = std::move(w->second);
    shard.work.erase(w);
  }
  std::erase_if(read.entries, [&work](const Entry& e) { return work.Removed(e); });
  // Hidden: what the source said, but for authors shown since, and what the writer hid
  // meanwhile. What was delivered meanwhile by authors the source hides goes (entries,
  // and their marks as pulled followees, made by deliveries while nothing was hidden).
  std::erase_if(read.hidden,
                [&](UserId a) { return work.shown_authors.contains(a) || state.Hides(a); });
  for (UserId author : read.hidden) {
    shard.Change(state, [author](Timeline& t) { t.RemoveAuthor(author); });
  }
  shard.ChangeWhole(state, [&read](UserTimeline& s) {
    for (UserId author : read.hidden) s.RemovePulledFollowee(author);
    std::vector<UserId> hidden;
    hidden.reserve(s.hidden.size() + read.hidden.size());
    std::merge(s.hidden.begin(), s.hidden.end(), read.hidden.begin(), read.hidden.end(),
               std::back_inserter(hidden));
    s.hidden = std::move(hidden);
  });
  std::vector<UserId> pulled = pulled_.Among(read.followees);
  std::erase_if(pulled, [&](UserId a) {
    return a == user || state.Hides(a) || work.removed_authors.contains(a);
  });
  shard.Change(state, [&read](Timeline& t) { t.Merge(read.entries, read.cut); });
  shard.ChangeWhole(state, [&pulled](UserTimeline& s) {
    for (UserId author : pulled) s.AddPulledFollowee(author);
  });
  state.building = false;
}

}  // namespace roost::timelines
