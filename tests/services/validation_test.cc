#include "services/validation.h"

#include <string>

#include "gtest/gtest.h"

namespace roost::services {
namespace {

TEST(ValidationTest, UserIdZeroIsRejectedWithTheFieldName) {
  const absl::Status status = ValidateUserId(0, "author_id");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("author_id"), absl::string_view::npos);
  EXPECT_TRUE(ValidateUserId(1, "author_id").ok());
}

TEST(ValidationTest, TweetTextLimits) {
  EXPECT_EQ(ValidateTweetText("", false).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateTweetText("", /*retweet=*/true).ok());
  EXPECT_TRUE(ValidateTweetText(std::string(280, 'a'), false).ok());
  EXPECT_EQ(ValidateTweetText(std::string(281, 'a'), false).code(),
            absl::StatusCode::kInvalidArgument);
  // 280 code points of 4 bytes each: 1120 bytes, still within the limit.
  std::string birds;
  for (int i = 0; i < 280; ++i) birds += "\xF0\x9F\x90\xA6";
  EXPECT_TRUE(ValidateTweetText(birds, false).ok());
  EXPECT_EQ(ValidateTweetText(birds + "a", false).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateTweetText("bad \xC3", false).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidationTest, EdgesMayNotPointAtThemselves) {
  EXPECT_EQ(ValidateEdge(5, 5).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateEdge(5, 6).ok());
}

TEST(ValidationTest, ListSizes) {
  EXPECT_TRUE(ValidateCount(100, kMaxGetIds, "ids").ok());
  EXPECT_EQ(ValidateCount(101, kMaxGetIds, "ids").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCount(9, kMaxQueryTerms, "terms").code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidationTest, RequestIdLength) {
  EXPECT_TRUE(ValidateRequestId(std::string(128, 'r')).ok());
  EXPECT_EQ(ValidateRequestId(std::string(129, 'r')).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ValidationTest, PageLimitDefaultsAndClamps) {
  EXPECT_EQ(PageLimit(0), 20u);
  EXPECT_EQ(PageLimit(7), 7u);
  EXPECT_EQ(PageLimit(200), 200u);
  EXPECT_EQ(PageLimit(201), 200u);
  EXPECT_EQ(PageLimit(4000000000u), 200u);
}

}  // namespace
}  // namespace roost::services
