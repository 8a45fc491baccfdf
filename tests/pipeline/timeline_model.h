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
//  - A follow of d by s while d blocks s is refused: it changes nothing (the server
//    refuses it before it reaches the log).
//  - Home timeline of u (DESIGN.md, "the home-timeline contract"): the newest-first
//    merge of the undeleted tweets of u and of everyone u follows (FOLLOWS in state
//    NORMAL), without the authors u blocks or mutes or who block u, the newest
//    `capacity` of them. Roost must read exactly this, whatever was removed or hidden
//    before, live, after a restart and after a rebuild.
//
// Not thread-safe.
#ifndef ROOST_TESTS_PIPELINE_TIMELINE_MODEL_H_
#define ROOST_TESTS_PIPELINE_TIMELINE_MODEL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
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

// The mass changes the Graph service offers: archive is {NORMAL} -> ARCHIVED,
// unarchive {ARCHIVED} -> NORMAL, remove-all {NORMAL, ARCHIVED, NEGATIVE} -> REMOVED.
enum class ModelMass { kArchive, kUnarchive, kRemoveAll };
inline std::vector<ModelState> MassFrom(ModelMass mass) {
  switch (mass) {
    case ModelMass::kArchive:
      return {ModelState::kNormal};
    case ModelMass::kUnarchive:
      return {ModelState::kArchived};
    case ModelMass::kRemoveAll:
      return {ModelState::kNormal, ModelState::kArchived, ModelState::kNegative};
  }
  return {};
}
inline ModelState MassTo(ModelMass mass) {
  switch (mass) {
    case ModelMass::kArchive:
      return ModelState::kArchived;
    case ModelMass::kUnarchive:
      return ModelState::kNormal;
    case ModelMass::kRemoveAll:
      return ModelState::kRemoved;
  }
  return ModelState::kNormal;
}

// One random write of the convergence workloads' mix: 35% posts, 10% deletes, and
// edge writes (25% follows, 3 in 4 adding; 12% blocks, 1 in 3 adding; 18% mutes, half
// adding). For an edge, `graph` and whether it is set NORMAL (else REMOVED). With
// `mass_percent`, that share of the writes are mass changes instead (of follows 7 in
// 10, mutes 2, blocks 1; archives 9 in 20, unarchives 7, remove-alls 4).
struct ModelWrite {
  enum Kind { kPost, kDelete, kEdge, kMass } kind = kPost;
  ModelGraph graph = ModelGraph::kFollows;
  bool normal = true;
  ModelMass mass = ModelMass::kArchive;
};
template <typename Random>
ModelWrite RandomModelWrite(Random& random, int mass_percent = 0) {
  const auto uniform = [&random](int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(random);
  };
  if (uniform(100) < mass_percent) {
    const int graph = uniform(10), mass = uniform(20);
    return {ModelWrite::kMass,
            graph < 7   ? ModelGraph::kFollows
            : graph < 9 ? ModelGraph::kMutes
                        : ModelGraph::kBlocks,
            false,
            mass < 9    ? ModelMass::kArchive
            : mass < 16 ? ModelMass::kUnarchive
                        : ModelMass::kRemoveAll};
  }
  const int kind = uniform(100);
  if (kind < 35) return {ModelWrite::kPost};
  if (kind < 45) return {ModelWrite::kDelete};
  if (kind < 70) return {ModelWrite::kEdge, ModelGraph::kFollows, uniform(4) != 0};
  if (kind < 82) return {ModelWrite::kEdge, ModelGraph::kBlocks, uniform(3) == 0};
  return {ModelWrite::kEdge, ModelGraph::kMutes, uniform(2) == 0};
}

// What CheckHome concluded about one read timeline.
struct HomeVerdict {
  bool ok = true;
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
  // Whether the server takes a write setting (graph, source, destination) to NORMAL
  // or REMOVED now: all but a follow of a user who blocks the source.
  bool Accepts(ModelGraph graph, uint64_t source, uint64_t destination, bool normal) const {
    return !(graph == ModelGraph::kFollows && normal &&
             Contains(ModelGraph::kBlocks, destination, source));
  }
  // One EdgeChanged event at `time` (its event id); false (and nothing changed) if
  // refused.
  bool SetEdge(ModelGraph graph, uint64_t source, uint64_t destination, bool normal,
               uint64_t time) {
    if (!Accepts(graph, source, destination, normal)) return false;
    Write(graph, source, destination, normal ? kNormal : kRemoved, time);
    if (graph == ModelGraph::kBlocks && normal) {
      Write(ModelGraph::kFollows, source, destination, kRemoved, time);
      Write(ModelGraph::kFollows, destination, source, kRemoved, time);
    }
    return true;
  }
  // One EdgesMassChanged event at `time` (MassFrom and MassTo give the states of the
  // service's kinds).
  void MassChange(ModelGraph graph, uint64_t user, absl::Span<const ModelState> from, ModelState to,
                  uint64_t time) {
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

  // The home timeline the contract describes, newest first.
  std::vector<uint64_t> Home(uint64_t user) const {
    std::vector<uint64_t> eligible = Eligible(user);
    if (eligible.size() > capacity_) eligible.resize(capacity_);
    return eligible;
  }
  // How many tweets the user's home could show were there no cap.
  size_t EligibleCount(uint64_t user) const { return Eligible(user).size(); }

  // Judges `got`, every page of `user`'s home timeline read after all writes so far
  // were applied: it must be Home(user), exactly.
  HomeVerdict CheckHome(uint64_t user, const std::vector<uint64_t>& got) const {
    HomeVerdict verdict;
    const std::vector<uint64_t> expected = Home(user);
    if (got == expected) return verdict;
    verdict.ok = false;
    std::string what;
    const std::set<uint64_t> want(expected.begin(), expected.end());
    const std::set<uint64_t> have(got.begin(), got.end());
    for (uint64_t id : got) {
      if (!want.contains(id)) {
        what = absl::StrCat("holds tweet ", id, ", which ", WhyNot(user, id));
        break;
      }
    }
    if (what.empty()) {
      for (uint64_t id : expected) {
        if (!have.contains(id)) {
          what = absl::StrCat("misses tweet ", id, " by ", AuthorOf(id));
          break;
        }
      }
    }
    if (what.empty()) what = "holds the right tweets in the wrong order";
    verdict.error =
        absl::StrCat("user ", user, ": ", what, " (", Eligible(user).size(), " eligible, cap ",
                     capacity_, ")\n  expected (", expected.size(), "): ", Ids(expected),
                     "\n  got      (", got.size(), "): ", Ids(got));
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
           Contains(ModelGraph::kMutes, user, author) ||
           Contains(ModelGraph::kBlocks, author, user);
  }
  // Uncapped: the contract's timeline before the cap.
  std::vector<uint64_t> Eligible(uint64_t user) const {
    std::vector<uint64_t> ids;
    for (uint64_t author : Sources(user)) {
      if (Hidden(user, author)) continue;
      for (uint64_t id : AuthorTweets(author)) ids.push_back(id);
    }
    std::sort(ids.rbegin(), ids.rend());
    return ids;
  }
  std::string WhyNot(uint64_t user, uint64_t id) const {
    auto it = tweets_.find(id);
    if (it == tweets_.end()) return "was never posted";
    const uint64_t author = it->second.author;
    if (it->second.deleted) return absl::StrCat("is deleted (author ", author, ")");
    if (!Sources(user).contains(author)) {
      return absl::StrCat("is by ", author, ", who is not followed");
    }
    if (Hidden(user, author)) {
      return absl::StrCat("is by ", author, ", who is blocked or muted by the user, or blocks it");
    }
    return "is older than the newest the cap keeps";
  }

  const size_t capacity_;
  std::map<uint64_t, TweetRecord> tweets_;
  std::map<uint64_t, std::set<uint64_t, std::greater<uint64_t>>> by_author_;
  std::map<EdgeKey, EdgeRecord> edges_;
  std::map<AdjacencyKey, std::set<uint64_t>> adjacency_;
};

}  // namespace roost::testing

#endif  // ROOST_TESTS_PIPELINE_TIMELINE_MODEL_H_
