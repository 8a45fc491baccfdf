// End-to-end tests of the Graph service on a real roostd, through gRPC only: negate,
// sets of states, batched Contains, the BLOCKS and MUTES graphs, and paged set algebra.
// (roostd_test.cc walks the rest of the API, including Select paging, two-term Query
// and the mass operations.) Every read passes the position of the write it depends on.
#include <cstdint>
#include <set>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roost/v1/roost.grpc.pb.h"
#include "tests/integration/roostd_client.h"

namespace roost::testing {
namespace {

using ::testing::Le;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAreArray;

class RoostdGraphTest : public testing::RoostdTest {};

// Every id of a paged read (Select or Query), page by page (at most `limit` each) by
// cursor; `call` makes one call.
template <typename Response, typename Request, typename Call>
std::vector<uint64_t> AllPages(Request req, uint32_t limit, Call call) {
  req.set_limit(limit);
  std::vector<uint64_t> ids;
  for (int pages = 0; pages < 100; ++pages) {
    Response resp;
    grpc::Status status = call(req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_THAT(resp.ids(), SizeIs(Le(limit)));
    ids.insert(ids.end(), resp.ids().begin(), resp.ids().end());
    if (!status.ok() || resp.next_cursor() == 0) break;
    req.set_cursor(resp.next_cursor());
  }
  return ids;
}

std::vector<uint64_t> SelectPages(Client& c, v1::SelectRequest req, uint32_t limit) {
  return AllPages<v1::SelectResponse>(std::move(req), limit,
                                      [&c](const v1::SelectRequest& r, v1::SelectResponse* resp) {
                                        return c.graph()->Select(Client::Ctx().get(), r, resp);
                                      });
}

std::vector<uint64_t> QueryPages(Client& c, v1::QueryRequest req, uint32_t limit) {
  return AllPages<v1::QueryResponse>(std::move(req), limit,
                                     [&c](const v1::QueryRequest& r, v1::QueryResponse* resp) {
                                       return c.graph()->Query(Client::Ctx().get(), r, resp);
                                     });
}

// A query over the BACKWARD FOLLOWS lists (the followers) of `users`.
v1::QueryRequest FollowersQuery(v1::SetOp op, const std::vector<uint64_t>& users,
                                uint64_t min_position) {
  v1::QueryRequest req;
  req.set_op(op);
  for (uint64_t user : users) {
    v1::QueryTerm* term = req.add_terms();
    term->set_graph(v1::FOLLOWS);
    term->set_user_id(user);
    term->set_direction(v1::BACKWARD);
  }
  req.set_min_position(min_position);
  return req;
}

TEST_F(RoostdGraphTest, NegateKeepsTheEdgeOutOfNormalReadsAndAddRestoresItsPosition) {
  StartServer();
  Client& c = *client_;
  // User 1 follows 10, 11 and 12, in that order; 11 has posted.
  c.MustEdge(true, v1::FOLLOWS, 1, 10);
  c.MustEdge(true, v1::FOLLOWS, 1, 11);
  c.MustEdge(true, v1::FOLLOWS, 1, 12);
  const auto [tweet, posted] = c.MustPost(11, "from eleven");
  EXPECT_THAT(c.HomeIds(1, posted), ElementsAre(tweet));

  const uint64_t negated = c.MustNegate(v1::FOLLOWS, 1, 11);
  EXPECT_THAT(c.Select(v1::FOLLOWS, 1, v1::FORWARD, negated, {v1::NEGATIVE}), ElementsAre(11));
  EXPECT_THAT(c.Select(v1::FOLLOWS, 11, v1::BACKWARD, negated, {v1::NEGATIVE}), ElementsAre(1));
  EXPECT_THAT(c.Select(v1::FOLLOWS, 1, v1::FORWARD, negated), ElementsAre(12, 10));
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::FORWARD, negated), 2u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 11, v1::BACKWARD, negated), 0u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::FORWARD, negated, {v1::NEGATIVE}), 1u);
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 1, {10, 11, 12}, negated), ElementsAre(true, false, true));
  EXPECT_THAT(c.HomeIds(1, negated), IsEmpty()) << "a negated follow is no follow";

  // Add makes it NORMAL again at its first position: between 12 and 10, not newest.
  const uint64_t added = c.MustEdge(true, v1::FOLLOWS, 1, 11);
  EXPECT_THAT(c.Select(v1::FOLLOWS, 1, v1::FORWARD, added), ElementsAre(12, 11, 10));
  EXPECT_THAT(c.Select(v1::FOLLOWS, 1, v1::FORWARD, added, {v1::NEGATIVE}), IsEmpty());
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::FORWARD, added), 3u);
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 1, {11}, added), ElementsAre(true));
  EXPECT_THAT(c.HomeIds(1, added), ElementsAre(tweet));

  // Negate validates like Add and writes nothing when refused.
  const uint64_t appended = c.Stats().appended_position();
  EXPECT_EQ(c.Negate(v1::FOLLOWS, 1, 1).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(c.Negate(v1::GRAPH_UNSPECIFIED, 1, 11).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(c.Negate(v1::FOLLOWS, 0, 11).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(c.Stats().appended_position(), appended);
}

TEST_F(RoostdGraphTest, ContainsAnswersUpTo1000DestinationsInRequestOrder) {
  StartServer();
  Client& c = *client_;
  // User 1 follows every 7th of 5000..5999, and follows then unfollows 5001.
  std::set<uint64_t> followed;
  uint64_t last = 0;
  for (uint64_t id = 5000; id < 6000; id += 7) {
    last = c.MustEdge(true, v1::FOLLOWS, 1, id);
    followed.insert(id);
  }
  c.MustEdge(true, v1::FOLLOWS, 1, 5001);
  last = c.MustEdge(false, v1::FOLLOWS, 1, 5001);

  // 1000 destinations, newest ids first so request order differs from id order.
  std::vector<uint64_t> destinations;
  std::vector<bool> expected;
  for (uint64_t id = 5999; id >= 5000; --id) {
    destinations.push_back(id);
    expected.push_back(followed.contains(id));
  }
  ASSERT_EQ(destinations.size(), 1000u);
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 1, destinations, last), ElementsAreArray(expected));
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 1, {}, last), IsEmpty());

  destinations.push_back(6000);
  grpc::Status status;
  c.Contains(v1::FOLLOWS, 1, destinations, last, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("destination_ids"));
}

TEST_F(RoostdGraphTest, SelectAndCountTakeASetOfStates) {
  StartServer();
  Client& c = *client_;
  // User 1's follows, oldest first, end in different states: 10 NORMAL, 11 ARCHIVED
  // (by archiving user 11), 12 NEGATIVE, 13 REMOVED, 14 NORMAL.
  for (uint64_t u = 10; u <= 14; ++u) c.MustEdge(true, v1::FOLLOWS, 1, u);
  v1::MassRequest archive;
  archive.set_graph(v1::FOLLOWS);
  archive.set_user_id(11);
  v1::WriteResponse archived;
  ASSERT_TRUE(c.graph()->Archive(Client::Ctx().get(), archive, &archived).ok());
  c.MustNegate(v1::FOLLOWS, 1, 12);
  const uint64_t last = c.MustEdge(false, v1::FOLLOWS, 1, 13);

  // Several states list as one, newest first, and page by cursor across them.
  v1::SelectRequest select;
  select.set_graph(v1::FOLLOWS);
  select.set_user_id(1);
  select.set_direction(v1::FORWARD);
  select.add_states(v1::NORMAL);
  select.add_states(v1::ARCHIVED);
  select.set_min_position(last);
  EXPECT_THAT(SelectPages(c, select, 2), ElementsAre(14, 11, 10));
  select.add_states(v1::NEGATIVE);
  select.add_states(v1::REMOVED);
  EXPECT_THAT(SelectPages(c, select, 2), ElementsAre(14, 13, 12, 11, 10));
  EXPECT_THAT(c.Select(v1::FOLLOWS, 1, v1::FORWARD, last), ElementsAre(14, 10));
  EXPECT_THAT(c.Select(v1::FOLLOWS, 1, v1::FORWARD, last, {v1::ARCHIVED}), ElementsAre(11));
  EXPECT_THAT(c.Select(v1::FOLLOWS, 1, v1::FORWARD, last, {v1::REMOVED}), ElementsAre(13));

  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::FORWARD, last), 2u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::FORWARD, last, {v1::NORMAL, v1::ARCHIVED}), 3u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::FORWARD, last, {v1::ARCHIVED, v1::NEGATIVE}), 2u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::FORWARD, last,
                    {v1::NORMAL, v1::REMOVED, v1::ARCHIVED, v1::NEGATIVE}),
            5u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 11, v1::BACKWARD, last, {v1::ARCHIVED}), 1u);

  // A state the API does not know is refused.
  v1::CountRequest unknown;
  unknown.set_graph(v1::FOLLOWS);
  unknown.set_user_id(1);
  unknown.add_states(static_cast<v1::EdgeState>(7));
  v1::CountResponse count;
  EXPECT_EQ(c.graph()->Count(Client::Ctx().get(), unknown, &count).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RoostdGraphTest, ABlockIsAGraphOfItsOwnAndEndsFollowsBothWays) {
  StartServer();
  Client& c = *client_;
  // 1 and 2 follow each other; 1 follows 3 and 3 follows 2.
  c.MustEdge(true, v1::FOLLOWS, 1, 2);
  c.MustEdge(true, v1::FOLLOWS, 2, 1);
  c.MustEdge(true, v1::FOLLOWS, 1, 3);
  c.MustEdge(true, v1::FOLLOWS, 3, 2);

  const uint64_t block = c.MustEdge(true, v1::BLOCKS, 1, 2);
  EXPECT_THAT(c.Select(v1::BLOCKS, 1, v1::FORWARD, block), ElementsAre(2));
  EXPECT_THAT(c.Select(v1::BLOCKS, 2, v1::BACKWARD, block), ElementsAre(1));
  EXPECT_EQ(c.Count(v1::BLOCKS, 1, v1::FORWARD, block), 1u);
  EXPECT_EQ(c.Count(v1::BLOCKS, 2, v1::FORWARD, block), 0u);
  EXPECT_THAT(c.Contains(v1::BLOCKS, 1, {2, 3}, block), ElementsAre(true, false));
  EXPECT_THAT(c.Contains(v1::BLOCKS, 2, {1}, block), ElementsAre(false)) << "one way";

  // Both follows between 1 and 2 end (as REMOVED); the others stay.
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 1, {2, 3}, block), ElementsAre(false, true));
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 2, {1}, block), ElementsAre(false));
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 3, {2}, block), ElementsAre(true));
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::FORWARD, block), 1u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 2, v1::FORWARD, block), 0u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 2, v1::BACKWARD, block), 1u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::BACKWARD, block), 0u);
  EXPECT_THAT(c.Select(v1::FOLLOWS, 1, v1::FORWARD, block, {v1::REMOVED}), ElementsAre(2));
  EXPECT_THAT(c.Select(v1::FOLLOWS, 2, v1::FORWARD, block, {v1::REMOVED}), ElementsAre(1));

  // Unblocking does not bring the follows back.
  const uint64_t unblock = c.MustEdge(false, v1::BLOCKS, 1, 2);
  EXPECT_EQ(c.Count(v1::BLOCKS, 1, v1::FORWARD, unblock), 0u);
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 1, {2}, unblock), ElementsAre(false));
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 2, {1}, unblock), ElementsAre(false));

  // A NEGATIVE block is no block: the follows stay.
  const uint64_t negated = c.MustNegate(v1::BLOCKS, 1, 3);
  EXPECT_THAT(c.Contains(v1::BLOCKS, 1, {3}, negated), ElementsAre(false));
  EXPECT_EQ(c.Count(v1::BLOCKS, 1, v1::FORWARD, negated, {v1::NEGATIVE}), 1u);
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 1, {3}, negated), ElementsAre(true));
}

TEST_F(RoostdGraphTest, AMuteIsAGraphOfItsOwnAndLeavesFollowsAlone) {
  StartServer();
  Client& c = *client_;
  c.MustEdge(true, v1::FOLLOWS, 1, 2);
  c.MustEdge(true, v1::MUTES, 1, 2);
  const uint64_t mute = c.MustEdge(true, v1::MUTES, 1, 3);
  EXPECT_THAT(c.Select(v1::MUTES, 1, v1::FORWARD, mute), ElementsAre(3, 2));
  EXPECT_THAT(c.Select(v1::MUTES, 2, v1::BACKWARD, mute), ElementsAre(1));
  EXPECT_EQ(c.Count(v1::MUTES, 1, v1::FORWARD, mute), 2u);
  EXPECT_THAT(c.Contains(v1::MUTES, 1, {2, 3, 4}, mute), ElementsAre(true, true, false));
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 1, {2}, mute), ElementsAre(true));
  EXPECT_EQ(c.Count(v1::FOLLOWS, 2, v1::BACKWARD, mute), 1u);

  const uint64_t unmute = c.MustEdge(false, v1::MUTES, 1, 2);
  EXPECT_THAT(c.Select(v1::MUTES, 1, v1::FORWARD, unmute), ElementsAre(3));
  EXPECT_THAT(c.Contains(v1::MUTES, 1, {2}, unmute), ElementsAre(false));
  EXPECT_THAT(c.Contains(v1::FOLLOWS, 1, {2}, unmute), ElementsAre(true));
}

TEST_F(RoostdGraphTest, QueryOfThreeTermsPagesByCursorWithoutRepeatsOrSkips) {
  StartServer();
  Client& c = *client_;
  // Followers, each list created in id order: of user 1, 100..149; of user 2, the even
  // ones; of user 3, six of them. User 1 has more than 8 times user 3's followers, so
  // INTERSECT led by user 1 starts from the smallest term, while led by user 2 it walks
  // the first term.
  const std::set<uint64_t> of_3 = {102, 105, 108, 114, 120, 126};
  uint64_t last = 0;
  for (uint64_t u = 100; u < 150; ++u) last = c.MustEdge(true, v1::FOLLOWS, u, 1);
  for (uint64_t u = 100; u < 150; u += 2) last = c.MustEdge(true, v1::FOLLOWS, u, 2);
  for (uint64_t u : of_3) last = c.MustEdge(true, v1::FOLLOWS, u, 3);

  // Pages hold ids newest first in the first term's order.
  const std::vector<uint64_t> in_all = {126, 120, 114, 108, 102};
  EXPECT_THAT(QueryPages(c, FollowersQuery(v1::INTERSECT, {1, 2, 3}, last), 2),
              ElementsAreArray(in_all));
  EXPECT_THAT(QueryPages(c, FollowersQuery(v1::INTERSECT, {2, 1, 3}, last), 2),
              ElementsAreArray(in_all));

  // User 1's followers that follow neither 2 nor 3: the odd ones but 105.
  std::vector<uint64_t> in_1_only;
  for (uint64_t u = 149; u >= 100; --u) {
    if (u % 2 == 1 && !of_3.contains(u)) in_1_only.push_back(u);
  }
  EXPECT_THAT(QueryPages(c, FollowersQuery(v1::DIFFERENCE, {1, 2, 3}, last), 4),
              ElementsAreArray(in_1_only));
  EXPECT_THAT(QueryPages(c, FollowersQuery(v1::DIFFERENCE, {3, 1, 2}, last), 1), IsEmpty());

  // UNION names each follower once across its pages.
  std::vector<uint64_t> everyone;
  for (uint64_t u = 100; u < 150; ++u) everyone.push_back(u);
  EXPECT_THAT(QueryPages(c, FollowersQuery(v1::UNION, {3, 2, 1}, last), 7),
              UnorderedElementsAreArray(everyone));

  // with_total counts the whole result exactly, whatever the page.
  auto total = [&](v1::SetOp op, const std::vector<uint64_t>& users) {
    v1::QueryRequest req = FollowersQuery(op, users, last);
    req.set_limit(1);
    req.set_with_total(true);
    v1::QueryResponse resp;
    EXPECT_TRUE(c.graph()->Query(Client::Ctx().get(), req, &resp).ok());
    return resp.total();
  };
  EXPECT_EQ(total(v1::INTERSECT, {1, 2, 3}), in_all.size());
  EXPECT_EQ(total(v1::DIFFERENCE, {1, 2, 3}), in_1_only.size());
  EXPECT_EQ(total(v1::UNION, {3, 2, 1}), everyone.size());
  v1::QueryRequest without = FollowersQuery(v1::UNION, {3, 2, 1}, last);
  v1::QueryResponse resp;
  ASSERT_TRUE(c.graph()->Query(Client::Ctx().get(), without, &resp).ok());
  EXPECT_EQ(resp.total(), 0u) << "counted only when asked";
}

}  // namespace
}  // namespace roost::testing
