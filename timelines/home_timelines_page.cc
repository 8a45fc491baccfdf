// HomeTimelines' pages of a ready timeline: the timeline alone, or merged with its
// pulled followees' recent tweets (hybrid fanout; home_timelines.h).
#include <algorithm>
#include <optional>
#include <vector>

#include "timelines/home_timelines.h"

namespace roost::timelines {

bool HomeTimelines::PageOf(const Shard& shard, const UserTimeline& state, const PageQuery& query,
                           std::vector<Entry>* out) const {
  if (!state.pulled_followees.empty()) return PageWithPulled(shard, state, query, out);
  const size_t before = out->size();
  state.timeline.Page(query.max_id, query.since_id, query.limit, out);
  if (out->size() - before == query.limit || state.timeline.size() == options_.max_entries) {
    return true;
  }
  // The page ran out of entries: the end, unless the timeline lacks some (at or below
  // its cut) that the page would show.
  return query.since_id >= state.timeline.cut();
}

bool HomeTimelines::PageWithPulled(const Shard& shard, const UserTimeline& state,
                                   const PageQuery& query, std::vector<Entry>* out) const {
  // The timeline and the pulled followees' recent tweets, merged, make the timeline a
  // push of every tweet would have made: the newest max_entries of them, in which the
  // page is then taken. Each list is exact only above its cut, so the merge is too,
  // above the highest cut; below it, it is not taken. A first page (no max_id) reads
  // only the newest `want` of each list: the merge is exact down to the highest id at
  // which a list was cut so, and only if the page needs entries below that (readers
  // who filter many authors) is it taken again from the whole lists. A page below
  // max_id needs the rank of its entries in the union, so it reads the whole lists.
  const size_t cap = options_.max_entries;
  const Timeline& timeline = state.timeline;
  // The timeline's cut costs a walk of its entries while the cap's dropped ones wait in
  // its buffer, and only matters below its oldest entry: it is taken only there.
  std::optional<TweetId> timeline_cut;
  const auto TimelineCut = [&] {
    if (!timeline_cut.has_value()) timeline_cut = timeline.cut();
    return *timeline_cut;
  };
  size_t want = query.max_id == 0 ? std::min(cap, 2 * query.limit + 8) : cap;
  std::vector<std::vector<Entry>> lists(1 + state.pulled_followees.size());
  std::vector<Entry> page;
  while (true) {
    TweetId floor = 0;       // below it a list cut by `want` may be missing entries
    TweetId pulled_cut = 0;  // the pulled lists' highest cut
    for (std::vector<Entry>& list : lists) list.clear();
    timeline.Page(0, query.since_id, want, &lists[0]);
    for (size_t i = 0; i < state.pulled_followees.size(); ++i) {
      pulled_cut = std::max(pulled_cut, pulled_.AppendRecent(state.pulled_followees[i],
                                                             query.since_id, want, &lists[i + 1]));
    }
    if (want < cap) {
      for (const std::vector<Entry>& list : lists) {
        if (list.size() == want) floor = std::max(floor, list.back().id);
      }
    }
    // A timeline read whole (else `floor` covers it) is exact down to its cut.
    const bool timeline_whole = lists[0].size() < want;
    const TweetId timeline_oldest = lists[0].empty() ? ~TweetId{0} : lists[0].back().id;
    const auto below_a_cut = [&](TweetId id) {
      return id < floor || id <= pulled_cut ||
             (timeline_whole && id < timeline_oldest && id <= TimelineCut());
    };
    page.clear();
    // A first page takes the merge's first `limit` entries at most, so no more are
    // merged; a page below max_id skips the entries above it first.
    const std::vector<Entry> merged =
        MergeNewestFirst(lists, query.max_id == 0 ? std::min(cap, query.limit) : cap);
    bool below = false;  // stopped at an entry the lists may not all reach
    for (const Entry& entry : merged) {
      if (page.size() == query.limit) break;
      if (below_a_cut(entry.id)) {
        below = true;
        break;
      }
      if (query.max_id != 0 && entry.id >= query.max_id) continue;
      page.push_back(entry);
    }
    if (page.size() == query.limit) break;
    // Not below a cut, the merge ran out of entries, or reached the cap (a page below
    // max_id merges up to it).
    const TweetId cut = std::max(pulled_cut, TimelineCut());
    if (!below && (merged.size() == cap || cut <= query.since_id)) break;
    if (want < cap && floor != 0) {
      want = cap;
      continue;
    }
    // The union is short above its cut. Refilling the timeline lowers its cut; a pulled
    // list's cut is lowered when it is refilled on a delete (Unpull), so only the
    // timeline's can be the reason here.
    if (TimelineCut() == cut && timeline.size() < cap) return false;
    break;
  }
  out->insert(out->end(), page.begin(), page.end());
  return true;
}

}  // namespace roost::timelines
