#include "graph/graph_keys.h"

#include "gtest/gtest.h"

namespace roost::graph::keys {
namespace {

TEST(GraphKeysTest, ListKeysSortNewestFirstThenByOther) {
  const std::string newer = ListKey(kFollows, Direction::kForward, 7, EdgeState::kNormal, 10, 2);
  const std::string older = ListKey(kFollows, Direction::kForward, 7, EdgeState::kNormal, 9, 1);
  const std::string same_position =
      ListKey(kFollows, Direction::kForward, 7, EdgeState::kNormal, 10, 3);
  EXPECT_LT(newer, older);
  EXPECT_LT(newer, same_position);
  const std::string prefix = ListPrefix(kFollows, Direction::kForward, 7, EdgeState::kNormal);
  EXPECT_EQ(newer.substr(0, prefix.size()), prefix);
  EXPECT_LT(newer, PrefixSuccessor(prefix));
  EXPECT_EQ(newer.size(), kListKeySize);
}

TEST(GraphKeysTest, SeekKeyStartsStrictlyBelowThePosition) {
  const std::string seek = ListSeekKey(kFollows, Direction::kBackward, 7, EdgeState::kNormal, 10);
  EXPECT_GT(seek, ListKey(kFollows, Direction::kBackward, 7, EdgeState::kNormal, 10, ~0ull));
  EXPECT_LE(seek, ListKey(kFollows, Direction::kBackward, 7, EdgeState::kNormal, 9, 0));
}

TEST(GraphKeysTest, ListKeyRoundTrips) {
  const std::string key = ListKey(kMutes, Direction::kBackward, 1234, EdgeState::kArchived,
                                  (uint64_t{1} << 62) + 5, 99);
  ParsedListKey parsed;
  ASSERT_TRUE(ParseListKey(key, &parsed));
  EXPECT_EQ(parsed.graph, kMutes);
  EXPECT_EQ(parsed.direction, Direction::kBackward);
  EXPECT_EQ(parsed.user, 1234u);
  EXPECT_EQ(parsed.state, EdgeState::kArchived);
  EXPECT_EQ(parsed.position, (uint64_t{1} << 62) + 5);
  EXPECT_EQ(parsed.other, 99u);
  EXPECT_FALSE(ParseListKey(key.substr(1), &parsed));
}

TEST(GraphKeysTest, ElementValueRoundTripsAndRejectsMalformed) {
  const ElementValue value{42, EdgeState::kNegative, 77};
  ElementValue decoded;
  ASSERT_TRUE(DecodeElementValue(EncodeElementValue(value), &decoded));
  EXPECT_EQ(decoded.position, 42u);
  EXPECT_EQ(decoded.state, EdgeState::kNegative);
  EXPECT_EQ(decoded.updated_at, 77u);
  std::string bad_state = EncodeElementValue(value);
  bad_state[8] = 9;
  EXPECT_FALSE(DecodeElementValue(bad_state, &decoded));
  EXPECT_FALSE(DecodeElementValue("short", &decoded));
}

TEST(GraphKeysTest, CountKeyNamesTheSameCounterAsTheListPrefix) {
  const std::string count = CountKey(kBlocks, Direction::kForward, 5, EdgeState::kRemoved);
  const std::string list = ListPrefix(kBlocks, Direction::kForward, 5, EdgeState::kRemoved);
  EXPECT_EQ(count.substr(1), list.substr(1));
  EXPECT_NE(count[0], list[0]);
  int64_t n = 0;
  ASSERT_TRUE(DecodeCount(EncodeCount(-3), &n));
  EXPECT_EQ(n, -3);
}

}  // namespace
}  // namespace roost::graph::keys
