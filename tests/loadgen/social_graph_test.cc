#include "loadgen/social_graph.h"

#include <cmath>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace roost::loadgen {
namespace {

SocialGraph Make(uint64_t users, double mean, double s = 1.0, uint64_t seed = 1) {
  SocialGraphSpec spec;
  spec.users = users;
  spec.mean_followees = mean;
  spec.zipf_exponent = s;
  spec.seed = seed;
  absl::StatusOr<SocialGraph> graph = SocialGraph::Create(spec);
  EXPECT_TRUE(graph.ok()) << graph.status();
  return *std::move(graph);
}

TEST(SocialGraphTest, RejectsDegenerateSpecs) {
  SocialGraphSpec spec;
  spec.users = 1;
  EXPECT_EQ(SocialGraph::Create(spec).status().code(), absl::StatusCode::kInvalidArgument);
  spec.users = 10;
  spec.mean_followees = -1;
  EXPECT_EQ(SocialGraph::Create(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SocialGraphTest, DeterministicPerSeedAndPerUser) {
  const SocialGraph a = Make(10000, 20, 1.0, 7), b = Make(10000, 20, 1.0, 7);
  const SocialGraph other_seed = Make(10000, 20, 1.0, 8);
  int differing = 0;
  for (UserId u = 1; u <= 200; ++u) {
    EXPECT_EQ(a.Followees(u), b.Followees(u));
    if (a.Followees(u) != other_seed.Followees(u)) ++differing;
  }
  EXPECT_GT(differing, 150);
  // A range generated alone equals the same users generated one by one.
  std::vector<std::pair<UserId, UserId>> ranged, single;
  a.ForEachFollow(50, 60, [&](UserId f, UserId e) { ranged.emplace_back(f, e); });
  for (UserId u = 50; u < 60; ++u) {
    for (UserId e : a.Followees(u)) single.emplace_back(u, e);
  }
  EXPECT_EQ(ranged, single);
}

TEST(SocialGraphTest, FolloweesAreDistinctValidAndNeverSelf) {
  const SocialGraph g = Make(500, 40);
  for (UserId u = 1; u <= 500; ++u) {
    const std::vector<UserId> followees = g.Followees(u);
    absl::flat_hash_set<UserId> distinct(followees.begin(), followees.end());
    ASSERT_EQ(distinct.size(), followees.size()) << u;
    for (UserId e : followees) {
      ASSERT_NE(e, u);
      ASSERT_GE(e, 1u);
      ASSERT_LE(e, 500u);
    }
  }
}

TEST(SocialGraphTest, MeanFolloweesAndZipfFollowerCounts) {
  constexpr uint64_t kUsers = 100000;
  const SocialGraph g = Make(kUsers, 30);
  std::vector<uint64_t> followers(kUsers + 1, 0);
  uint64_t edges = 0;
  g.ForEachFollow(1, kUsers + 1, [&](UserId, UserId followee) {
    ++followers[followee];
    ++edges;
  });
  EXPECT_NEAR(static_cast<double>(edges) / kUsers, 30.0, 1.5);
  // With s = 1, follower counts fall as 1/rank where they are far from saturation.
  // (Not edges / (r * H(n)) exactly: draws of an already-followed celebrity are drawn
  // again, which moves a little weight from the top to everyone else.)
  EXPECT_NEAR(static_cast<double>(followers[100]) / followers[1000], 10.0, 1.5);
  EXPECT_NEAR(static_cast<double>(followers[1000]) / followers[10000], 10.0, 3.0);
  // At the top they saturate: the biggest celebrity is followed by most users.
  EXPECT_GT(followers[1], kUsers / 2);
  EXPECT_LT(followers[1], kUsers);
  EXPECT_GT(followers[1], followers[2]);
}

TEST(SocialGraphTest, UserByPopularityCoversTheRange) {
  const SocialGraph g = Make(1000, 10);
  EXPECT_EQ(g.UserByPopularity(0.0), 1u);
  EXPECT_EQ(g.UserByPopularity(0.999999999), 1000u);
  EXPECT_EQ(g.UserByPopularity(1.0), 1000u);
}

}  // namespace
}  // namespace roost::loadgen
