#include "tweetstore/tweet_codec.h"

#include <string>

#include "gtest/gtest.h"

namespace roost::tweetstore {
namespace {

Tweet FullTweet() {
  Tweet t;
  t.id = 0x0123456789abcdefULL;
  t.author = 42;
  t.text = "héllo, wörld \xF0\x9F\x90\xA6";
  t.created_at_ms = 1700000000123;
  t.reply_to = 7;
  t.retweet_of = ~uint64_t{0};
  return t;
}

Tweet RoundTrip(const Tweet& tweet) {
  std::string value;
  EncodeTweet(tweet, &value);
  Tweet decoded;
  EXPECT_TRUE(DecodeTweet(tweet.id, value, &decoded).ok());
  return decoded;
}

TEST(TweetCodecTest, RoundTripsEveryField) {
  const Tweet tweet = FullTweet();
  EXPECT_EQ(RoundTrip(tweet), tweet);
}

TEST(TweetCodecTest, RoundTripsZeroOptionalsTombstoneAndNegativeTime) {
  Tweet tweet;
  tweet.id = 9;
  tweet.author = 1;
  tweet.created_at_ms = -5;
  tweet.deleted = true;
  EXPECT_EQ(RoundTrip(tweet), tweet);
}

TEST(TweetCodecTest, OmitsIdAndZeroOptionals) {
  Tweet tweet;
  tweet.id = ~uint64_t{0};
  tweet.author = 1;
  tweet.created_at_ms = 1;
  tweet.text = "hi";
  std::string value;
  EncodeTweet(tweet, &value);
  // format, flags, author, created_at, length, 2 bytes of text.
  EXPECT_EQ(value.size(), 7u);
  EXPECT_EQ(value[0], kTweetFormatV1);
}

TEST(TweetCodecTest, RejectsDamagedValues) {
  std::string value;
  EncodeTweet(FullTweet(), &value);
  Tweet decoded;
  for (size_t n = 0; n < value.size(); ++n) {
    EXPECT_FALSE(DecodeTweet(1, value.substr(0, n), &decoded).ok()) << "prefix " << n;
  }
  EXPECT_FALSE(DecodeTweet(1, value + "x", &decoded).ok());
  std::string unknown_format = value;
  unknown_format[0] = 99;
  EXPECT_EQ(DecodeTweet(1, unknown_format, &decoded).code(), absl::StatusCode::kDataLoss);
}

TEST(TweetCodecTest, RequestRecordRoundTrips) {
  const RequestRecord record{123456789, 77, -3};
  std::string value;
  EncodeRequestRecord(record, &value);
  RequestRecord decoded;
  ASSERT_TRUE(DecodeRequestRecord(value, &decoded).ok());
  EXPECT_EQ(decoded.tweet_id, record.tweet_id);
  EXPECT_EQ(decoded.position, record.position);
  EXPECT_EQ(decoded.created_at_ms, record.created_at_ms);
  EXPECT_FALSE(DecodeRequestRecord(value.substr(0, value.size() - 1), &decoded).ok());
}

}  // namespace
}  // namespace roost::tweetstore
