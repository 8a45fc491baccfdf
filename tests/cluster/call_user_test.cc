// Which user, and so which partition's owner, each call of the public API concerns:
// what nodes forward by and routing clients send by, without a cluster.
#include "cluster/call_user.h"

#include "cluster/cluster_map.h"
#include "gtest/gtest.h"

namespace roost::cluster {
namespace {

namespace v1 = ::roost::v1;

TEST(CallUserTest, WritesConcernTheActingUser) {
  v1::PostRequest post;
  post.set_author_id(11);
  post.set_reply_to_id(99);
  EXPECT_EQ(CallUser(post), 11u);
  v1::DeleteRequest del;
  del.set_author_id(12);
  del.set_tweet_id(98);
  EXPECT_EQ(CallUser(del), 12u);
  v1::EdgeRequest edge;
  edge.set_source_id(13);
  edge.set_destination_id(14);
  EXPECT_EQ(CallUser(edge), 13u);
  v1::MassRequest mass;
  mass.set_user_id(15);
  EXPECT_EQ(CallUser(mass), 15u);
}

TEST(CallUserTest, ReadsConcernTheUserRead) {
  v1::HomeRequest home;
  home.set_user_id(21);
  EXPECT_EQ(CallUser(home), 21u);
  v1::UserTimelineRequest user;
  user.set_user_id(22);
  EXPECT_EQ(CallUser(user), 22u);
  v1::SelectRequest select;
  select.set_user_id(23);
  select.set_direction(v1::BACKWARD);
  EXPECT_EQ(CallUser(select), 23u);
  v1::CountRequest count;
  count.set_user_id(24);
  EXPECT_EQ(CallUser(count), 24u);
  v1::ContainsRequest contains;
  contains.set_source_id(25);
  contains.add_destination_ids(26);
  EXPECT_EQ(CallUser(contains), 25u);
}

TEST(CallUserTest, AQueryConcernsOneUserOnlyWhenItsTermsShareAPartition) {
  constexpr uint32_t kPartitions = 8;
  // Users 1.. by partition: two on partition p, and one on another.
  UserId a = 0, b = 0, other = 0;
  for (UserId user = 1; other == 0; ++user) {
    const PartitionId p = UserPartition(user, kPartitions);
    if (a == 0) {
      a = user;
    } else if (p == UserPartition(a, kPartitions)) {
      if (b == 0) b = user;
    } else if (b != 0) {
      other = user;
    }
  }
  v1::QueryRequest query;
  EXPECT_EQ(QueryUser(query, kPartitions), UserId{0});
  query.add_terms()->set_user_id(a);
  query.add_terms()->set_user_id(b);
  EXPECT_EQ(QueryUser(query, kPartitions), a);
  query.add_terms()->set_user_id(other);
  EXPECT_EQ(QueryUser(query, kPartitions), std::nullopt);
  EXPECT_EQ(QueryUser(query, 1), a) << "one partition holds every user";
}

}  // namespace
}  // namespace roost::cluster
