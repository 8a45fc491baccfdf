#include "loadgen/workload.h"

#include <algorithm>
#include <array>
#include <vector>

#include "common/utf8.h"
#include "gtest/gtest.h"

namespace roost::loadgen {
namespace {

SocialGraph Graph(uint64_t users = 10000) {
  SocialGraphSpec spec;
  spec.users = users;
  spec.mean_followees = 20;
  return *SocialGraph::Create(spec);
}

TEST(WorkloadTest, DefaultMixIsDeathStarBenchs) {
  const SocialGraph graph = Graph();
  Workload workload(&graph, Mix{}, 1);
  std::array<int, kNumOpKinds> seen{};
  constexpr int kOps = 100000;
  for (int i = 0; i < kOps; ++i) ++seen[static_cast<int>(workload.Next().kind)];
  EXPECT_NEAR(seen[0] / double{kOps}, 0.60, 0.01);  // home
  EXPECT_NEAR(seen[1] / double{kOps}, 0.30, 0.01);  // user
  EXPECT_NEAR(seen[2] / double{kOps}, 0.10, 0.01);  // post
  EXPECT_EQ(seen[3] + seen[4], 0);
}

TEST(WorkloadTest, ParsesMixesAndRejectsBadOnes) {
  absl::StatusOr<Mix> mix = ParseMix("home=50, post=25,follow=20,unfollow=5");
  ASSERT_TRUE(mix.ok()) << mix.status();
  EXPECT_EQ(mix->weight[0], 50);
  EXPECT_EQ(mix->weight[1], 0);
  EXPECT_EQ(mix->weight[3], 20);
  for (const char* bad : {"", "home", "home=-1", "home=x", "tweet=5", "home=0,user=0"}) {
    EXPECT_EQ(ParseMix(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(WorkloadTest, OperationsAreWellFormedAndDeterministic) {
  const SocialGraph graph = Graph(1000);
  const Mix mix = *ParseMix("home=1,user=1,post=1,follow=1,unfollow=1");
  Workload a(&graph, mix, 9), b(&graph, mix, 9);
  std::vector<size_t> lengths;
  for (int i = 0; i < 20000; ++i) {
    const Op op = a.Next();
    const Op same = b.Next();
    ASSERT_EQ(op.kind, same.kind);
    ASSERT_EQ(op.user, same.user);
    ASSERT_EQ(op.text, same.text);
    ASSERT_GE(op.user, 1u);
    ASSERT_LE(op.user, 1000u);
    if (op.kind == OpKind::kFollow || op.kind == OpKind::kUnfollow) {
      ASSERT_NE(op.target, op.user);
    }
    if (op.kind == OpKind::kPost) {
      const std::optional<size_t> n = Utf8CodePoints(op.text);
      ASSERT_TRUE(n.has_value()) << "post text must be valid UTF-8";
      ASSERT_GE(*n, 1u);
      ASSERT_LE(*n, 280u);
      lengths.push_back(*n);
    }
  }
  std::sort(lengths.begin(), lengths.end());
  ASSERT_GT(lengths.size(), 3000u);
  EXPECT_NEAR(static_cast<double>(lengths[lengths.size() / 2]), 40.0, 4.0);  // median
  EXPECT_GT(lengths.back(), 150u);                                           // a long tail
}

TEST(WorkloadTest, UnfollowsTargetAFollowee) {
  const SocialGraph graph = Graph(2000);
  Workload workload(&graph, *ParseMix("unfollow=1"), 3);
  int of_followees = 0;
  constexpr int kOps = 2000;
  for (int i = 0; i < kOps; ++i) {
    const Op op = workload.Next();
    const std::vector<UserId> followees = graph.Followees(op.user);
    of_followees += std::find(followees.begin(), followees.end(), op.target) != followees.end();
  }
  // Only users who follow nobody (geometric counts include 0) fall back to anyone.
  EXPECT_GT(of_followees, kOps * 9 / 10);
}

TEST(WorkloadTest, SampledPostsNameAFollowerOfTheAuthorAndChangeNoOperation) {
  const SocialGraph graph = Graph(2000);
  const Mix mix = *ParseMix("home=1,post=1");
  Workload sampled(&graph, mix, 3, /*fanout_sample=*/0.5);
  Workload plain(&graph, mix, 3);
  int posts = 0, observed = 0;
  for (int i = 0; i < 4000; ++i) {
    const Op op = sampled.Next();
    const Op same = plain.Next();
    ASSERT_EQ(op.kind, same.kind);
    ASSERT_EQ(op.user, same.user);
    ASSERT_EQ(op.text, same.text);
    EXPECT_EQ(same.observer, 0u);
    if (op.kind != OpKind::kPost) continue;
    ++posts;
    if (op.observer == 0) continue;
    ++observed;
    const std::vector<UserId> followees = graph.Followees(op.observer);
    ASSERT_NE(std::find(followees.begin(), followees.end(), op.user), followees.end())
        << "the observer of a sampled post must follow its author";
  }
  // All 2,000 users observe, so every author with a follower can be sampled; a few
  // (Zipf's tail) have none.
  EXPECT_NEAR(observed / static_cast<double>(posts), 0.5, 0.1);
}

TEST(WorkloadTest, PingMixesOnlyPing) {
  const SocialGraph graph = Graph(100);
  absl::StatusOr<Mix> mix = ParseMix("ping=1");
  ASSERT_TRUE(mix.ok()) << mix.status();
  Workload workload(&graph, *mix, 1);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(workload.Next().kind, OpKind::kPing);
  EXPECT_EQ(OpName(OpKind::kPing), "ping");
}

}  // namespace
}  // namespace roost::loadgen
