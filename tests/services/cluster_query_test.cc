// ScatterQuery against one graph store's own Query: with every term read from the
// store through QueryParts (as partitions would answer), random queries over a random
// graph give the same pages, cursors and totals. No cluster needed.
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "services/cluster_query.h"
#include "tests/graph/graph_test_util.h"

namespace roost::services {
namespace {

using graph::testing::FreshDir;
using graph::testing::OpenStore;

// The terms' lists and probes, read from `store`.
class StoreParts : public QueryParts {
 public:
  StoreParts(graph::GraphStore* store, std::vector<graph::QueryTerm> terms)
      : store_(store), terms_(std::move(terms)) {}

  absl::StatusOr<graph::Page> TermPage(size_t term, int64_t cursor, size_t limit) override {
    EXPECT_LE(limit, 200u);
    const graph::QueryTerm& t = terms_[term];
    return store_->SelectRange(t.graph, t.user, t.direction, graph::kNormalOnly, cursor, limit, 0);
  }
  absl::StatusOr<std::vector<std::vector<uint64_t>>> Probe(
      absl::Span<const size_t> terms, absl::Span<const UserId> candidates) override {
    EXPECT_LE(candidates.size(), 1000u);
    std::vector<std::vector<uint64_t>> found;
    for (size_t term : terms) {
      absl::StatusOr<std::vector<uint64_t>> positions =
          store_->TermPositions(terms_[term], candidates);
      if (!positions.ok()) return positions.status();
      found.push_back(*std::move(positions));
    }
    return found;
  }

 private:
  graph::GraphStore* const store_;
  const std::vector<graph::QueryTerm> terms_;
};

constexpr graph::SetOp kOps[] = {graph::SetOp::kIntersect, graph::SetOp::kUnion,
                                 graph::SetOp::kDifference};

TEST(ScatterQueryTest, GivesWhatOneStoresQueryGives) {
  const std::string dir = FreshDir("scatter");
  std::unique_ptr<graph::GraphStore> store = OpenStore(dir);
  ASSERT_NE(store, nullptr);
  // 60 users, a few of them followed by most, in every state; some mutes; events in
  // random order of time, so positions interleave across lists.
  std::mt19937_64 random(5);
  const auto uniform = [&random](uint64_t n) {
    return std::uniform_int_distribution<uint64_t>(0, n - 1)(random);
  };
  std::vector<graph::EdgeWrite> writes;
  uint64_t time = 1000;
  for (int i = 0; i < 3000; ++i) {
    const UserId source = 1 + uniform(60);
    const UserId destination = uniform(3) == 0 ? 1 + uniform(4) : 1 + uniform(60);
    if (source == destination) continue;
    const auto state = static_cast<graph::EdgeState>(uniform(5) < 3 ? 0 : uniform(4));
    time += 1 + uniform(3);
    writes.push_back({uniform(6) == 0 ? graph::kMutes : graph::kFollows, source, destination, state,
                      time, time});
  }
  ASSERT_TRUE(store->Apply(writes).ok());

  int queries = 0, nonempty = 0;
  for (int q = 0; q < 300; ++q) {
    std::vector<graph::QueryTerm> terms;
    const size_t n = 1 + uniform(4);
    for (size_t t = 0; t < n; ++t) {
      terms.push_back({uniform(5) == 0 ? graph::kMutes : graph::kFollows,
                       uniform(2) == 0 ? 1 + uniform(4) : 1 + uniform(60),
                       uniform(2) == 0 ? graph::Direction::kForward : graph::Direction::kBackward});
    }
    const graph::SetOp op = kOps[uniform(3)];
    const size_t limit = 1 + uniform(40);
    StoreParts parts(store.get(), terms);
    int64_t cursor = 0;
    int pages = 0;
    do {
      absl::StatusOr<graph::Page> want = store->Query(op, terms, cursor, limit);
      ASSERT_TRUE(want.ok()) << want.status();
      absl::StatusOr<graph::Page> got = ScatterQuery(op, terms.size(), cursor, limit, parts);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_EQ(got->ids, want->ids) << "query " << q << ", page " << pages;
      ASSERT_EQ(got->next_cursor, want->next_cursor) << "query " << q << ", page " << pages;
      nonempty += !got->ids.empty();
      cursor = got->next_cursor;
      ASSERT_LT(++pages, 1000);
    } while (cursor != 0);
    absl::StatusOr<uint64_t> want_total = store->QueryCount(op, terms);
    absl::StatusOr<uint64_t> got_total = ScatterQueryCount(op, terms.size(), parts);
    ASSERT_TRUE(want_total.ok() && got_total.ok());
    EXPECT_EQ(*got_total, *want_total) << "query " << q;
    ++queries;
  }
  EXPECT_EQ(queries, 300);
  EXPECT_GT(nonempty, 200) << "the random queries should mostly find something";
  store.reset();
  std::filesystem::remove_all(dir);
}

// A failing partition fails the query with its error; a term whose pages do not move
// on fails it too, rather than being read forever.
class FailingParts : public QueryParts {
 public:
  absl::StatusOr<graph::Page> TermPage(size_t, int64_t, size_t) override {
    graph::Page page;
    page.ids = {7};
    page.positions = {70};
    return page;
  }
  absl::StatusOr<std::vector<std::vector<uint64_t>>> Probe(absl::Span<const size_t>,
                                                           absl::Span<const UserId>) override {
    return absl::UnavailableError("partition 3's owner, node 2 at 127.0.0.1:1");
  }
};

class StuckParts : public FailingParts {
 public:
  absl::StatusOr<graph::Page> TermPage(size_t, int64_t, size_t) override {
    graph::Page page;
    page.ids = {7};
    page.positions = {70};
    page.next_cursor = 80;  // above the page
    return page;
  }
};

TEST(ScatterQueryTest, AFailedReadIsTheQuerysError) {
  StuckParts stuck;
  EXPECT_TRUE(absl::IsInternal(ScatterQuery(graph::SetOp::kIntersect, 1, 90, 20, stuck).status()));
  EXPECT_TRUE(absl::IsInternal(ScatterQueryCount(graph::SetOp::kUnion, 1, stuck).status()));
  FailingParts parts;
  for (graph::SetOp op : kOps) {
    EXPECT_TRUE(absl::IsUnavailable(ScatterQuery(op, 2, 0, 20, parts).status()));
  }
  absl::StatusOr<graph::Page> one = ScatterQuery(graph::SetOp::kIntersect, 1, 0, 20, parts);
  ASSERT_TRUE(one.ok()) << one.status();  // one term: nothing to probe
  EXPECT_EQ(one->ids, std::vector<UserId>{7});
  EXPECT_TRUE(
      absl::IsInvalidArgument(ScatterQuery(graph::SetOp::kUnion, 2, -1, 20, parts).status()));
}

}  // namespace
}  // namespace roost::services
