// Set algebra (Query): known small sets, paging, both INTERSECT strategies, and a
// randomized comparison with set algebra computed from SelectAll.
#include <algorithm>
#include <map>
#include <random>

#include "graph/graph_store.h"
#include "tests/graph/graph_test_util.h"

namespace roost::graph::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

QueryTerm Followees(UserId user) { return QueryTerm{kFollows, user, kForward}; }
QueryTerm Followers(UserId user) { return QueryTerm{kFollows, user, kBackward}; }

// Every page of a query, concatenated.
std::vector<UserId> QueryByPages(GraphStore& store, SetOp op, std::vector<QueryTerm> terms,
                                 size_t limit) {
  std::vector<UserId> ids;
  int64_t cursor = 0;
  for (int pages = 0; pages < 10000; ++pages) {
    Page page = Must(store.Query(op, terms, cursor, limit));
    EXPECT_LE(page.ids.size(), limit);
    ids.insert(ids.end(), page.ids.begin(), page.ids.end());
    if (page.next_cursor == 0) return ids;
    EXPECT_EQ(page.ids.size(), limit) << "a page before the last must be full";
    if (cursor != 0 && page.next_cursor >= cursor) break;
    cursor = page.next_cursor;
  }
  ADD_FAILURE() << "query paging did not terminate";
  return ids;
}

class GraphQueryTest : public GraphStoreTest {
 protected:
  // A follows 10..19, B 15..24 (then unfollows 16), C 17..30; positions order each
  // list by id, and B's edges are all newer than A's, C's than B's.
  void SetUp() override {
    GraphStoreTest::SetUp();
    std::vector<EdgeWrite> writes;
    for (UserId x = 10; x <= 19; ++x) writes.push_back(Follow(kA, x, 100 + x));
    for (UserId x = 15; x <= 24; ++x) writes.push_back(Follow(kB, x, 200 + x));
    for (UserId x = 17; x <= 30; ++x) writes.push_back(Follow(kC, x, 300 + x));
    writes.push_back(Write(kB, 16, EdgeState::kRemoved, 400, 400));
    Apply(writes);
  }

  static constexpr UserId kA = 1, kB = 2, kC = 3;
};

TEST_F(GraphQueryTest, IntersectIsOrderedByTheFirstTerm) {
  for (size_t limit : {1, 2, 3, 100}) {
    SCOPED_TRACE(limit);
    EXPECT_THAT(QueryByPages(*store_, SetOp::kIntersect, {Followees(kA), Followees(kB)}, limit),
                ElementsAre(19, 18, 17, 15));
    EXPECT_THAT(QueryByPages(*store_, SetOp::kIntersect, {Followees(kB), Followees(kA)}, limit),
                ElementsAre(19, 18, 17, 15));
    EXPECT_THAT(QueryByPages(*store_, SetOp::kIntersect,
                             {Followees(kA), Followees(kB), Followees(kC)}, limit),
                ElementsAre(19, 18, 17));
    EXPECT_THAT(QueryByPages(*store_, SetOp::kIntersect, {Followers(17), Followers(18)}, limit),
                ElementsAre(kC, kB, kA));
  }
}

TEST_F(GraphQueryTest, DifferenceKeepsTheFirstTermsIdsAbsentFromAllOthers) {
  for (size_t limit : {1, 4, 100}) {
    SCOPED_TRACE(limit);
    EXPECT_THAT(QueryByPages(*store_, SetOp::kDifference, {Followees(kA), Followees(kB)}, limit),
                ElementsAre(16, 14, 13, 12, 11, 10));
    EXPECT_THAT(QueryByPages(*store_, SetOp::kDifference,
                             {Followees(kC), Followees(kA), Followees(kB)}, limit),
                ElementsAre(30, 29, 28, 27, 26, 25));
  }
}

TEST_F(GraphQueryTest, UnionIsOrderedByTheHighestPositionAndDeduplicated) {
  const std::vector<UserId> expected = {24, 23, 22, 21, 20, 19, 18, 17, 15, 16, 14, 13, 12, 11, 10};
  for (size_t limit : {1, 2, 4, 15, 100}) {
    SCOPED_TRACE(limit);
    EXPECT_THAT(QueryByPages(*store_, SetOp::kUnion, {Followees(kA), Followees(kB)}, limit),
                ElementsAreArray(expected));
    EXPECT_THAT(QueryByPages(*store_, SetOp::kUnion, {Followees(kB), Followees(kA)}, limit),
                ElementsAreArray(expected));
  }
  std::vector<UserId> all =
      QueryByPages(*store_, SetOp::kUnion, {Followees(kA), Followees(kB), Followees(kC)}, 3);
  EXPECT_EQ(all.size(), 21u);  // 10..30
  EXPECT_THAT(std::vector<UserId>(all.begin(), all.begin() + 3), ElementsAre(30, 29, 28));
}

TEST_F(GraphQueryTest, SingleTermIsTheNormalList) {
  for (SetOp op : {SetOp::kIntersect, SetOp::kUnion, SetOp::kDifference}) {
    EXPECT_THAT(QueryByPages(*store_, op, {Followees(kB)}, 4),
                ElementsAre(24, 23, 22, 21, 20, 19, 18, 17, 15));
  }
}

TEST_F(GraphQueryTest, RejectsBadTermCountsAndPaging) {
  EXPECT_EQ(store_->Query(SetOp::kUnion, {}, 0, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<QueryTerm> nine(9, Followees(kA));
  EXPECT_EQ(store_->Query(SetOp::kUnion, nine, 0, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<QueryTerm> eight(8, Followees(kA));
  EXPECT_TRUE(store_->Query(SetOp::kIntersect, eight, 0, 10).ok());
  EXPECT_EQ(store_->Query(SetOp::kUnion, {Followees(kA)}, -5, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Query(SetOp::kUnion, {Followees(kA)}, 0, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// D follows 300 users; E follows 5, four of them in common. Intersect(D, E) takes the
// smallest-term path and must still come out in D's order.
TEST_F(GraphStoreTest, IntersectWithAMuchLargerFirstTermKeepsItsOrder) {
  constexpr UserId kD = 4, kE = 5;
  std::vector<EdgeWrite> writes;
  for (UserId x = 1000; x < 1300; ++x) writes.push_back(Follow(kD, x, x));
  // E's positions run against D's order, so the two orders differ.
  const std::vector<UserId> common = {1005, 1100, 1200, 1299};
  for (size_t i = 0; i < common.size(); ++i) writes.push_back(Follow(kE, common[i], 5000 - i));
  writes.push_back(Follow(kE, 77, 6000));
  Apply(writes);
  for (size_t limit : {1, 3, 10}) {
    SCOPED_TRACE(limit);
    EXPECT_THAT(QueryByPages(*store_, SetOp::kIntersect, {Followees(kD), Followees(kE)}, limit),
                ElementsAre(1299, 1200, 1100, 1005));
    EXPECT_THAT(QueryByPages(*store_, SetOp::kIntersect, {Followees(kE), Followees(kD)}, limit),
                ElementsAre(1005, 1100, 1200, 1299));
  }
}

std::vector<UserId> ExpectedQuery(GraphStore& store, SetOp op, const std::vector<QueryTerm>& terms);

// D follows 300 users; E follows 36 of D's newest 40 (and one other). The first term
// is over 8 times the smallest, so pages are first tried by walking D within a budget
// (which fills the early pages) and then from E (the last page, where the walk runs
// out of budget among D's older ids): together they must page exactly.
TEST_F(GraphStoreTest, IntersectWithADenseOverlapPagesExactlyAcrossBothStrategies) {
  constexpr UserId kD = 4, kE = 5;
  std::vector<EdgeWrite> writes;
  for (UserId x = 1000; x < 1300; ++x) writes.push_back(Follow(kD, x, x));
  for (UserId x = 1260; x < 1300; ++x) {
    if (x % 10 != 3) writes.push_back(Follow(kE, x, 10000 + x));
  }
  writes.push_back(Follow(kE, 77, 20000));
  Apply(writes);
  const std::vector<QueryTerm> terms = {Followees(kD), Followees(kE)};
  const std::vector<UserId> expected = ExpectedQuery(*store_, SetOp::kIntersect, terms);
  ASSERT_EQ(expected.size(), 36u);
  EXPECT_EQ(expected.front(), 1299u);
  for (size_t limit : {1, 3, 7, 36, 100}) {
    SCOPED_TRACE(limit);
    EXPECT_EQ(QueryByPages(*store_, SetOp::kIntersect, terms, limit), expected);
  }
  EXPECT_EQ(Must(store_->QueryCount(SetOp::kIntersect, terms)), 36u);
  EXPECT_EQ(store_->QueryCount(SetOp::kIntersect, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The expected result of a query, computed from SelectAll and GetEdge.
std::vector<UserId> ExpectedQuery(GraphStore& store, SetOp op,
                                  const std::vector<QueryTerm>& terms) {
  std::vector<std::map<UserId, uint64_t>> lists;  // id -> position, per term
  for (const QueryTerm& t : terms) {
    std::map<UserId, uint64_t>& list = lists.emplace_back();
    for (UserId id : Must(store.SelectAll(t.graph, t.user, t.direction, kNormalOnly))) {
      const bool forward = t.direction == kForward;
      auto edge = Must(store.GetEdge(t.graph, forward ? t.user : id, forward ? id : t.user));
      list[id] = edge.has_value() ? edge->position : 0;
    }
  }
  std::vector<std::pair<uint64_t, UserId>> result;  // (position, id)
  if (op == SetOp::kUnion) {
    std::map<UserId, uint64_t> best;
    for (const auto& list : lists) {
      for (const auto& [id, position] : list) best[id] = std::max(best[id], position);
    }
    for (const auto& [id, position] : best) result.emplace_back(position, id);
  } else {
    for (const auto& [id, position] : lists[0]) {
      bool in_all = true, in_none = true;
      for (size_t i = 1; i < lists.size(); ++i) {
        const bool in = lists[i].count(id) > 0;
        in_all = in_all && in;
        in_none = in_none && !in;
      }
      if (op == SetOp::kIntersect ? in_all : in_none) result.emplace_back(position, id);
    }
  }
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<UserId> ids;
  for (const auto& entry : result) ids.push_back(entry.second);
  return ids;
}

TEST_F(GraphStoreTest, RandomQueriesMatchSetAlgebraOverSelect) {
  std::mt19937_64 rng(7);
  constexpr UserId kUsers = 12;
  std::vector<EdgeWrite> writes;
  for (uint64_t event = 1; event <= 400; ++event) {
    const auto state = static_cast<EdgeState>(rng() % 3 == 0 ? rng() % kNumEdgeStates : 0);
    writes.push_back(Write(1 + rng() % kUsers, 1 + rng() % kUsers, state, event, event));
  }
  Apply(writes);
  for (int q = 0; q < 60; ++q) {
    const auto op = static_cast<SetOp>(q % 3);
    // One direction per query: an edge u->v sits at the same position in u's
    // followees and v's followers, and positions are the only cursor, so a union mixing
    // them could tie two ids (a documented limit of int64 cursors).
    const Direction direction = rng() % 2 == 0 ? kForward : kBackward;
    std::vector<QueryTerm> terms(1 + rng() % 4);
    for (QueryTerm& t : terms) t = QueryTerm{kFollows, 1 + rng() % kUsers, direction};
    const std::vector<UserId> expected = ExpectedQuery(*store_, op, terms);
    EXPECT_EQ(Must(store_->QueryCount(op, terms)), expected.size()) << "query " << q;
    for (size_t limit : {1, 2, 5, 100}) {
      SCOPED_TRACE(::testing::Message() << "query " << q << " limit " << limit);
      EXPECT_EQ(QueryByPages(*store_, op, terms, limit), expected);
    }
  }
}

}  // namespace
}  // namespace roost::graph::testing
