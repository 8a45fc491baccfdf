// TimelineModel is the reference the convergence and restart tests compare Roost
// against: a plain, single-threaded restatement of the data model in DESIGN.md, built
// from the same writes, that knows nothing of the log, the topology or the stores.
//
//  - Tweets: posted with an id and an author; a delete marks one deleted.
//  - Edges (FOLLOWS, BLOCKS, MUTES): last write wins by the write's time (ties go to
//    the higher state, in ModelState's order); a write that creates an edge, or revives
//    a REMOVED one, gives it the write's time as its position; lists are newest
//    position first. A block set NORMAL also ends the follows between the two users,
//    both ways, at the block's time.
//  - Mass changes (archive, unarchive, remove-all): every edge of the user in one
//    graph, both directions, whose state is in `from` takes `to` as of the change's
//    time, by the same rule (an edge written later than the change keeps its state),
//    and keeps its position: unarchive restores the order, and a write after a
//    remove-all starts a new edge at the write's time. Each pair sees the change at its
//    place in the log, as the graph writers guarantee (a write that a pending job has
//    not reached yet gets the job applied to its pair first). A mass change of blocks
//    ends no follows: only a block's own write does.
//  - Home timeline of u (DESIGN.md, "Consistency"): the newest-first merge of the
//    undeleted tweets of u and of everyone u follows (FOLLOWS in state NORMAL), minus
//    the authors u blocks or mutes, capped.
//
// CheckHome judges a home timeline read from Roost. It holds Roost to the invariant
// exactly wherever the cap cannot have acted, and to what a bounded timeline that does
// not refill after a removal can promise where it may have (see CheckHome).
//
// Not thread-safe.
#ifndef ROOST_TESTS_PIPELINE_TIMELINE_MODEL_H_
#define ROOST_TESTS_PIPELINE_TIMELINE_MODEL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/types/span.h"

namespace roost::testing {

// The graphs, numbered as in roost.v1.GraphKind and graph/edge.h.
enum class ModelGraph : int { kFollows = 1, kBlocks = 2, kMutes = 3 };
inline constexpr ModelGraph kModelGraphs[] = {ModelGraph::kFollows, ModelGraph::kBlocks,
                                              ModelGraph::kMutes};

// Edge states, numbered as in roost.v1.EdgeState and graph/edge.h: the numbers are the
// last-write-wins tie-break order (the higher state wins a tie in time).
enum class ModelState : int { kNormal = 0, kRemoved = 1, kArchived = 2, kNegative = 3 };
inline constexpr ModelState kModelStates[] = {ModelState::kNormal, ModelState::kRemoved,
                                              ModelState::kArchived, ModelState::kNegative};

// What CheckHome concluded about one read timeline.
struct HomeVerdict {
  bool ok = true;
  // The read equals the invariant's timeline exactly (always so when the cap cannot
  // have acted).
  bool exact = true;
  // The invariant's timeline was longer than the cap, or tweets that were once
  // eligible reached it, so entries may have been trimmed.
  bool cap_may_have_acted = false;
  std::string error;  // when !ok: what is wrong, with expected and got
};

class TimelineModel {
 public:
  explicit TimelineModel(size_t capacity) : capacity_(capacity) {}

  size_t capacity() const { return capacity_; }

  // ---- Writes, in log order.
  void Post(uint64_t tweet_id, uint64_t author) {
    tweets_[tweet_id] = TweetRecord{author, false};
    by_author_[author].insert(tweet_id);
  }
  void Delete(uint64_t tweet_id) {
    auto it = tweets_.find(tweet_id);
    if (it != tweets_.end()) it->second.deleted = true;
  }
  // One EdgeChanged event at `time` (its event id).
  void SetEdge(ModelGraph graph, uint64_t source, uint64_t destination, bool normal,
               uint64_t time) {
    Write(graph, source, destination, normal ? kNormal : kRemoved, time);
    if (graph == ModelGraph::kBlocks && normal) {
      Write(ModelGraph::kFollows, source, destination, kRemoved, time);
      Write(ModelGraph::kFollows, destination, source, kRemoved, time);
    }
  }
  // One EdgesMassChanged event at `time`: archive is {NORMAL} -> ARCHIVED, unarchive
  // {ARCHIVED} -> NORMAL, remove-all {NORMAL, ARCHIVED, NEGATIVE} -> REMOVED.
  void MassChange(ModelGraph graph, uint64_t user, absl::Span<const ModelState> from,
                  ModelState to, uint64_t time) {
    for (bool forward : {true, false}) {
      auto others = adjacency_.find({graph, user, forward});
      if (others == adjacency_.end()) continue;
      for (uint64_t other : others->second) {
        const uint64_t source = forward ? user : other;
        const uint64_t destination = forward ? other : user;
        EdgeRecord& edge = edges_.at({graph, source, destination});
        if (std::find(from.begin(), from.end(), edge.state) == from.end()) continue;
        if (!IsNewer(edge, to, time)) continue;
        edge.state = to;  // the position stays
        edge.updated_at = time;
        if (graph == ModelGraph::kFollows && to == kNormal) {
          ever_followed_[source].insert(destination);
        }
      }
    }
  }

  // ---- Reads.
  bool IsLive(uint64_t tweet_id) const {
    auto it = tweets_.find(tweet_id);
    return it != tweets_.end() && !it->second.deleted;
  }
  bool IsDeleted(uint64_t tweet_id) const {
    auto it = tweets_.find(tweet_id);
    return it != tweets_.end() && it->second.deleted;
  }
  uint64_t AuthorOf(uint64_t tweet_id) const {
    auto it = tweets_.find(tweet_id);
    return it == tweets_.end() ? 0 : it->second.author;
  }
  std::map<uint64_t, uint64_t> AllTweets() const {  // id -> author
    std::map<uint64_t, uint64_t> all;
    for (const auto& [id, tweet] : tweets_) all[id] = tweet.author;
    return all;
  }
  // The author's undeleted tweets, newest first (a user timeline).
  std::vector<uint64_t> AuthorTweets(uint64_t author) const {
    std::vector<uint64_t> ids;
    auto it = by_author_.find(author);
    if (it == by_author_.end()) return ids;
    for (uint64_t id : it->second) {
      if (!tweets_.at(id).deleted) ids.push_back(id);
    }
    return ids;
  }

  bool Contains(ModelGraph graph, uint64_t source, uint64_t destination) const {
    auto it = edges_.find({graph, source, destination});
    return it != edges_.end() && it->second.state == kNormal;
  }
  // The user's NORMAL edges in one direction, newest position first.
  std::vector<uint64_t> List(ModelGraph graph, uint64_t user, bool forward) const {
    std::vector<std::pair<uint64_t, uint64_t>> by_position;  // (position, other)
    ForEachEdge(graph, user, forward, [&](uint64_t other, const EdgeRecord& edge) {
      if (edge.state == kNormal) by_position.push_back({edge.position, other});
    });
    std::sort(by_position.rbegin(), by_position.rend());
    std::vector<uint64_t> ids;
    for (const auto& [position, other] : by_position) ids.push_back(other);
    return ids;
  }
  // How many of the user's edges in one direction are in `state`.
  uint64_t Count(ModelGraph graph, uint64_t user, bool forward, ModelState state) const {
    uint64_t count = 0;
    ForEachEdge(graph, user, forward,
                [&](uint64_t, const EdgeRecord& edge) { count += edge.state == state; });
    return count;
  }

  // The home timeline the invariant describes, newest first.
  std::vector<uint64_t> Home(uint64_t user) const {
    std::vector<uint64_t> eligible = Eligible(user);
    if (eligible.size() > capacity_) eligible.resize(capacity_);
    return eligible;
  }

  // What a timeline rebuilt from the stores right now reads as (a read of a timeline
  // that is not materialized, with no write in flight): the newest `capacity`
  // undeleted tweets of the user and their followees, then without the authors the
  // user blocks or mutes. A timeline holds its muted followees' entries and reads
  // filter them (timelines/home_timelines.h), so the cap counts them: this is shorter
  // than Home() when muted or blocked authors' tweets fill part of the cap.
  std::vector<uint64_t> RebuiltHome(uint64_t user) const {
    std::vector<uint64_t> held;
    for (uint64_t author : Sources(user)) {
      for (uint64_t id : AuthorTweets(author)) held.push_back(id);
    }
    std::sort(held.rbegin(), held.rend());
    if (held.size() > capacity_) held.resize(capacity_);
    std::erase_if(held, [&](uint64_t id) { return Hidden(user, AuthorOf(id)); });
    return held;
  }

  // Judges `got`, every page of `user`'s home timeline read after all writes so far
  // were applied, filtered by the user's blocks and mutes as the server does.
  //
  // Always required: ids strictly newest first, at most the cap, and every one
  // eligible now (undeleted; by the user or a current followee; not blocked or muted
  // by the user). When no more than `capacity` tweets were ever eligible at any time,
  // the cap cannot have acted and `got` must equal Home(user) exactly.
  //
  // Otherwise, a timeline is a bounded cache: it keeps its newest `capacity` entries,
  // drops the oldest when full, is not refilled from the stores after a delete,
  // unfollow or block removes entries (only a rebuild on a miss reads them), holds
  // tweets of muted followees (reads filter them), and what a follow's merge adds
  // depends on what had been trimmed before. An eligible tweet may then be missing
  // only if it was trimmed, which takes `capacity` newer tweets in the timeline at
  // once: so it is required that at least `capacity` tweets newer than any missing
  // one were ever eligible (posted by the user or by someone the user followed at
  // some point, deleted or not). Every recent eligible tweet is thus present.
  HomeVerdict CheckHome(uint64_t user, const std::vector<uint64_t>& got) const {
    HomeVerdict verdict;
    const std::vector<uint64_t> expected = Home(user);
    verdict.exact = got == expected;
    auto fail = [&](const std::string& what) {
      verdict.ok = false;
      verdict.error = absl::StrCat("user ", user, ": ", what, "\n  expected (",
                                   expected.size(), "): ", Ids(expected), "\n  got      (",
                                   got.size(), "): ", Ids(got));
    };

    for (size_t i = 1; i < got.size(); ++i) {
      if (got[i] >= got[i - 1]) {
        fail(absl::StrCat("ids not strictly newest first at index ", i));
        return verdict;
      }
    }
    if (got.size() > capacity_) {
      fail(absl::StrCat("more entries than the cap of ", capacity_));
      return verdict;
    }
    const std::vector<uint64_t> eligible = Eligible(user);
    const std::set<uint64_t> eligible_set(eligible.begin(), eligible.end());
    for (uint64_t id : got) {
      if (!eligible_set.contains(id)) {
        fail(absl::StrCat("holds tweet ", id, ", which is not eligible: ", WhyNot(user, id)));
        return verdict;
      }
    }

    // Every tweet ever eligible, newest first; the rank of a tweet among them bounds
    // how many newer entries could ever have pushed it out.
    const std::vector<uint64_t> ever = EverEligible(user);
    verdict.cap_may_have_acted = ever.size() > capacity_;
    if (verdict.exact) return verdict;
    if (!verdict.cap_may_have_acted) {
      fail(absl::StrCat("differs, though only ", ever.size(),
                        " tweets were ever eligible, within the cap of ", capacity_));
      return verdict;
    }
    const std::set<uint64_t> got_set(got.begin(), got.end());
    for (uint64_t id : eligible) {
      if (got_set.contains(id)) continue;
      // `ever` is newest first: the tweets before `id` in it are the newer ones.
      const size_t newer = static_cast<size_t>(
          std::lower_bound(ever.begin(), ever.end(), id, std::greater<uint64_t>()) -
          ever.begin());
      if (newer < capacity_) {
        fail(absl::StrCat("misses eligible tweet ", id, " by ", AuthorOf(id), ", though only ",
                          newer, " newer tweets were ever eligible (cap ", capacity_,
                          "), so it cannot have been trimmed"));
        return verdict;
      }
      break;  // older missing ones have at least as many newer tweets
    }
    return verdict;
  }

  static std::string Ids(const std::vector<uint64_t>& ids, size_t max_shown = 40) {
    if (ids.size() <= max_shown) return absl::StrCat("[", absl::StrJoin(ids, " "), "]");
    return absl::StrCat(
        "[", absl::StrJoin(std::vector<uint64_t>(ids.begin(), ids.begin() + max_shown), " "),
        " ... (", ids.size() - max_shown, " more)]");
  }

 private:
  static constexpr ModelState kNormal = ModelState::kNormal;
  static constexpr ModelState kRemoved = ModelState::kRemoved;
  struct EdgeRecord {
    ModelState state = kNormal;
    uint64_t updated_at = 0;
    uint64_t position = 0;
  };
  struct TweetRecord {
    uint64_t author = 0;
    bool deleted = false;
  };
  using EdgeKey = std::tuple<ModelGraph, uint64_t, uint64_t>;
  // (graph, user, forward): the other ends of the user's edges in that direction, in
  // every state (edges are never forgotten, only REMOVED).
  using AdjacencyKey = std::tuple<ModelGraph, uint64_t, bool>;

  // Whether a write of `state` at `time` wins over the stored edge (last write wins).
  static bool IsNewer(const EdgeRecord& edge, ModelState state, uint64_t time) {
    if (time != edge.updated_at) return time > edge.updated_at;
    return state > edge.state;
  }

  void Write(ModelGraph graph, uint64_t source, uint64_t destination, ModelState state,
             uint64_t time) {
    if (graph == ModelGraph::kFollows && state == kNormal) {
      ever_followed_[source].insert(destination);
    }
    auto [it, created] = edges_.try_emplace({graph, source, destination});
    EdgeRecord& edge = it->second;
    if (created) {
      adjacency_[{graph, source, true}].insert(destination);
      adjacency_[{graph, destination, false}].insert(source);
    } else if (!IsNewer(edge, state, time)) {
      return;  // stale or repeated: last write wins
    }
    if (created || (edge.state == kRemoved && state != kRemoved)) edge.position = time;
    edge.state = state;
    edge.updated_at = time;
  }

  // Calls visit(other, edge) for each of the user's edges in one direction.
  template <typename Visit>
  void ForEachEdge(ModelGraph graph, uint64_t user, bool forward, Visit visit) const {
    auto others = adjacency_.find({graph, user, forward});
    if (others == adjacency_.end()) return;
    for (uint64_t other : others->second) {
      visit(other, edges_.at(forward ? EdgeKey{graph, user, other} : EdgeKey{graph, other, user}));
    }
  }

  // The user and their current followees.
  std::set<uint64_t> Sources(uint64_t user) const {
    std::set<uint64_t> sources = {user};
    for (uint64_t followee : List(ModelGraph::kFollows, user, /*forward=*/true)) {
      sources.insert(followee);
    }
    return sources;
  }
  bool Hidden(uint64_t user, uint64_t author) const {
    return Contains(ModelGraph::kBlocks, user, author) ||
           Contains(ModelGraph::kMutes, user, author);
  }
  // Uncapped: the invariant's timeline before the cap.
  std::vector<uint64_t> Eligible(uint64_t user) const {
    std::vector<uint64_t> ids;
    for (uint64_t author : Sources(user)) {
      if (Hidden(user, author)) continue;
      for (uint64_t id : AuthorTweets(author)) ids.push_back(id);
    }
    std::sort(ids.rbegin(), ids.rend());
    return ids;
  }
  // Newest first: every tweet, deleted or not, by the user or by anyone the user ever
  // followed; blocked and muted authors included, as timelines hold their entries.
  std::vector<uint64_t> EverEligible(uint64_t user) const {
    std::set<uint64_t> authors = {user};
    if (auto it = ever_followed_.find(user); it != ever_followed_.end()) {
      authors.insert(it->second.begin(), it->second.end());
    }
    std::vector<uint64_t> ids;
    for (uint64_t author : authors) {
      auto it = by_author_.find(author);
      if (it != by_author_.end()) ids.insert(ids.end(), it->second.begin(), it->second.end());
    }
    std::sort(ids.rbegin(), ids.rend());
    return ids;
  }
  std::string WhyNot(uint64_t user, uint64_t id) const {
    auto it = tweets_.find(id);
    if (it == tweets_.end()) return "never posted";
    const uint64_t author = it->second.author;
    if (it->second.deleted) return absl::StrCat("deleted (author ", author, ")");
    if (!Sources(user).contains(author)) {
      return absl::StrCat("author ", author, " is not followed");
    }
    return absl::StrCat("author ", author, " is blocked or muted by the user");
  }

  const size_t capacity_;
  std::map<uint64_t, TweetRecord> tweets_;
  std::map<uint64_t, std::set<uint64_t, std::greater<uint64_t>>> by_author_;
  std::map<EdgeKey, EdgeRecord> edges_;
  std::map<AdjacencyKey, std::set<uint64_t>> adjacency_;
  std::map<uint64_t, std::set<uint64_t>> ever_followed_;
};

}  // namespace roost::testing

#endif  // ROOST_TESTS_PIPELINE_TIMELINE_MODEL_H_
