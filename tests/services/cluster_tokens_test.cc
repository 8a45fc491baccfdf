// Consistency tokens without a cluster: their text, a single node's, and where
// ClusterTokens makes a read wait, over a fake of the partitions' derivations (what
// each partition derived for each other, as of a position it has applied).
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/cluster_tokens.h"
#include "services/consistency.h"

namespace roost::services {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr uint32_t kPartitions = 4;

// Partition p, once it has applied `position`, derived for each partition up to the
// sequence set here (0: nothing). Reads run inline.
class FakeDerivations : public Derivations {
 public:
  void Set(cluster::PartitionId p, LogOffset position, std::vector<LogOffset> derived) {
    derived_[{p, position}] = std::move(derived);
  }
  void Fail(cluster::PartitionId p, absl::Status status) { failing_[p] = std::move(status); }
  // The (partition, position) pairs waited for, in order.
  const std::vector<std::pair<cluster::PartitionId, LogOffset>>& asked() const { return asked_; }

  uint32_t partitions() const override { return kPartitions; }
  absl::StatusOr<std::vector<LogOffset>> AwaitDerived(cluster::PartitionId p, LogOffset position,
                                                      absl::Time) override {
    asked_.push_back({p, position});
    if (auto it = failing_.find(p); it != failing_.end()) return it->second;
    auto it = derived_.find({p, position});
    return it == derived_.end() ? std::vector<LogOffset>(kPartitions, 0) : it->second;
  }
  absl::StatusOr<std::vector<std::vector<LogOffset>>> AwaitDerivedAll(
      absl::Span<const std::pair<cluster::PartitionId, LogOffset>> waits,
      absl::Time deadline) override {
    std::vector<std::vector<LogOffset>> all;
    for (const auto& [p, position] : waits) {
      absl::StatusOr<std::vector<LogOffset>> derived = AwaitDerived(p, position, deadline);
      if (!derived.ok()) return derived.status();
      all.push_back(*std::move(derived));
    }
    return all;
  }
  void ScheduleRead(absl::AnyInvocable<void()> work) override { work(); }

 private:
  std::map<std::pair<cluster::PartitionId, LogOffset>, std::vector<LogOffset>> derived_;
  std::map<cluster::PartitionId, absl::Status> failing_;
  std::vector<std::pair<cluster::PartitionId, LogOffset>> asked_;
};

// What a read on `partition` with `min_position` and `token` must wait for.
absl::StatusOr<LogOffset> ReadPosition(const Consistency& consistency, LogOffset min_position,
                                       absl::string_view token) {
  std::optional<absl::StatusOr<LogOffset>> result;
  consistency.ReadPosition(min_position, token, absl::Now() + absl::Seconds(5),
                           [&](absl::StatusOr<LogOffset> r) { result = std::move(r); });
  EXPECT_TRUE(result.has_value()) << "done was not called";
  return result.value_or(absl::InternalError("no answer"));
}

TEST(ConsistencyTokenTest, TextRoundTripsAndAnythingElseIsRefused) {
  EXPECT_EQ(FormatToken({3, 1234}), "3:1234");
  absl::StatusOr<ConsistencyToken> token = ParseToken("3:1234");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->partition, 3u);
  EXPECT_EQ(token->position, 1234u);
  for (absl::string_view bad : {"", "3", "3:", ":4", "3:4:5", "a:4", "3:-4", "yesterday"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseToken(bad).status())) << "\"" << bad << "\"";
  }
}

TEST(ConsistencyTokenTest, ASingleNodesTokenIsItsPosition) {
  const Consistency single;
  EXPECT_EQ(single.TokenFor(42), "0:42");
  EXPECT_EQ(*ReadPosition(single, 0, ""), 0u);
  EXPECT_EQ(*ReadPosition(single, 7, ""), 7u);
  EXPECT_EQ(*ReadPosition(single, 7, "0:42"), 42u);
  EXPECT_EQ(*ReadPosition(single, 50, "0:42"), 50u);
  const absl::StatusOr<LogOffset> clustered = ReadPosition(single, 0, "2:42");
  EXPECT_TRUE(absl::IsInvalidArgument(clustered.status()));
  EXPECT_THAT(clustered.status().message(), HasSubstr("this roostd is a single node"));
  EXPECT_TRUE(absl::IsInvalidArgument(ReadPosition(single, 0, "x").status()));
}

TEST(ClusterTokensTest, AWriteOnTheReadsOwnPartitionWaitsForItsPosition) {
  FakeDerivations derivations;
  ClusterTokens tokens(&derivations, 1);
  const Consistency consistency(1, &tokens);
  EXPECT_EQ(consistency.TokenFor(9), "1:9");
  EXPECT_EQ(*ReadPosition(consistency, 0, "1:9"), 9u);
  EXPECT_EQ(*ReadPosition(consistency, 20, "1:9"), 20u);  // min_position is later
  EXPECT_THAT(derivations.asked(), ElementsAre(std::pair<cluster::PartitionId, LogOffset>{1, 9},
                                               std::pair<cluster::PartitionId, LogOffset>{1, 9}));
}

TEST(ClusterTokensTest, AWriteElsewhereWaitsForWhatItsPartitionDerivedForTheRead) {
  FakeDerivations derivations;
  derivations.Set(0, 30, {0, 17, 0, 5});  // partition 0, having applied 30
  ClusterTokens tokens(&derivations, 1);
  const Consistency consistency(1, &tokens);
  EXPECT_EQ(*ReadPosition(consistency, 0, "0:30"), 17u);
  // Partition 3, which 0 derived for, is asked how far it derived from there on.
  EXPECT_THAT(derivations.asked(), ElementsAre(std::pair<cluster::PartitionId, LogOffset>{0, 30},
                                               std::pair<cluster::PartitionId, LogOffset>{3, 5}));
}

TEST(ClusterTokensTest, TheSecondStepCoversWhatTheFirstsTargetsDerivedForTheRead) {
  // A follow on partition 0 is copied to the followee's partition 2, which sends the
  // followee's tweets to the follower's partition... here, the read's partition 3.
  FakeDerivations derivations;
  derivations.Set(0, 30, {0, 0, 12, 4});
  derivations.Set(2, 12, {0, 0, 0, 21});
  ClusterTokens tokens(&derivations, 3);
  EXPECT_EQ(*ReadPosition(Consistency(3, &tokens), 0, "0:30"), 21u);
  // The first step's own derivation for 3 counts when it is the later one.
  derivations.Set(2, 12, {0, 0, 0, 2});
  EXPECT_EQ(*ReadPosition(Consistency(3, &tokens), 0, "0:30"), 4u);
  // Nothing derived anywhere: no wait.
  FakeDerivations none;
  ClusterTokens quiet(&none, 3);
  EXPECT_EQ(*ReadPosition(Consistency(3, &quiet), 0, "0:30"), 0u);
}

TEST(ClusterTokensTest, ResolvedForEveryPartitionAtOnce) {
  FakeDerivations derivations;
  derivations.Set(0, 30, {0, 0, 12, 4});
  derivations.Set(2, 12, {0, 7, 0, 21});
  derivations.Set(3, 4, {0, 3, 9, 0});
  ClusterTokens tokens(&derivations, 1);
  absl::StatusOr<std::vector<LogOffset>> waits = tokens.ResolveAll({0, 30}, absl::Now());
  ASSERT_TRUE(waits.ok()) << waits.status();
  EXPECT_THAT(*waits, ElementsAre(30, 7, 12, 21));
  // Each partition's own read waits for the same.
  for (cluster::PartitionId p = 0; p < kPartitions; ++p) {
    ClusterTokens one(&derivations, p);
    EXPECT_EQ(*ReadPosition(Consistency(p, &one), 0, "0:30"), (*waits)[p]) << "partition " << p;
  }
}

TEST(ClusterTokensTest, FailuresAndBadPartitionsAreTheReadsErrors) {
  FakeDerivations derivations;
  derivations.Set(0, 30, {0, 0, 12, 4});
  derivations.Fail(2, absl::UnavailableError("partition 2's owner, node 3 at 127.0.0.1:1"));
  ClusterTokens tokens(&derivations, 3);
  const absl::StatusOr<LogOffset> second = ReadPosition(Consistency(3, &tokens), 0, "0:30");
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
  EXPECT_THAT(second.status().message(), HasSubstr("node 3"));
  derivations.Fail(0, absl::DeadlineExceededError("partition 0 did not apply 30"));
  EXPECT_TRUE(absl::IsDeadlineExceeded(ReadPosition(Consistency(3, &tokens), 0, "0:30").status()));

  FakeDerivations untouched;
  ClusterTokens fresh(&untouched, 0);
  const absl::StatusOr<LogOffset> beyond = ReadPosition(Consistency(0, &fresh), 0, "4:1");
  EXPECT_TRUE(absl::IsInvalidArgument(beyond.status()));
  EXPECT_THAT(beyond.status().message(), HasSubstr("not one of the cluster's 4"));
  EXPECT_TRUE(untouched.asked().empty());
}

}  // namespace
}  // namespace roost::services
