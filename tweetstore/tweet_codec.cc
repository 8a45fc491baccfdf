#include "tweetstore/tweet_codec.h"

#include <cstdint>
#include <utility>

#include "common/coding.h"

namespace roost::tweetstore {
namespace {

constexpr uint8_t kDeleted = 1;
constexpr uint8_t kHasReplyTo = 2;
constexpr uint8_t kHasRetweetOf = 4;
constexpr uint8_t kKnownFlags = kDeleted | kHasReplyTo | kHasRetweetOf;

// Zigzag keeps a small negative time (before 1970, or a test's -1) at one or two
// bytes instead of ten.
uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (0 - (v & 1))); }

absl::Status Corrupt(absl::string_view what) { return absl::DataLossError(what); }

}  // namespace

void EncodeTweet(const Tweet& tweet, std::string* dst) {
  uint8_t flags = 0;
  if (tweet.deleted) flags |= kDeleted;
  if (tweet.reply_to != 0) flags |= kHasReplyTo;
  if (tweet.retweet_of != 0) flags |= kHasRetweetOf;
  dst->push_back(kTweetFormatV1);
  dst->push_back(static_cast<char>(flags));
  PutVarint64(dst, tweet.author);
  PutVarint64(dst, ZigZag(tweet.created_at_ms));
  if (tweet.reply_to != 0) PutVarint64(dst, tweet.reply_to);
  if (tweet.retweet_of != 0) PutVarint64(dst, tweet.retweet_of);
  PutLengthPrefixed(dst, tweet.text);
}

absl::Status DecodeTweet(TweetId id, absl::string_view value, Tweet* tweet) {
  if (value.size() < 2) return Corrupt("tweet value is truncated");
  if (value[0] != kTweetFormatV1) return Corrupt("tweet value has an unknown format");
  const uint8_t flags = static_cast<uint8_t>(value[1]);
  if ((flags & ~kKnownFlags) != 0) return Corrupt("tweet value has unknown flags");
  value.remove_prefix(2);

  Tweet out;
  out.id = id;
  out.deleted = (flags & kDeleted) != 0;
  uint64_t created_at;
  absl::string_view text;
  if (!GetVarint64(&value, &out.author) || !GetVarint64(&value, &created_at) ||
      ((flags & kHasReplyTo) != 0 && !GetVarint64(&value, &out.reply_to)) ||
      ((flags & kHasRetweetOf) != 0 && !GetVarint64(&value, &out.retweet_of)) ||
      !GetLengthPrefixed(&value, &text)) {
    return Corrupt("tweet value is truncated");
  }
  if (!value.empty()) return Corrupt("tweet value has trailing bytes");
  out.created_at_ms = UnZigZag(created_at);
  out.text.assign(text.data(), text.size());
  *tweet = std::move(out);
  return absl::OkStatus();
}

void EncodeRequestRecord(const RequestRecord& record, std::string* dst) {
  dst->push_back(kRequestFormatV1);
  PutVarint64(dst, record.tweet_id);
  PutVarint64(dst, record.position);
  PutVarint64(dst, ZigZag(record.created_at_ms));
}

absl::Status DecodeRequestRecord(absl::string_view value, RequestRecord* record) {
  if (value.empty() || value[0] != kRequestFormatV1) {
    return Corrupt("request value has an unknown format");
  }
  value.remove_prefix(1);
  RequestRecord out;
  uint64_t created_at;
  if (!GetVarint64(&value, &out.tweet_id) || !GetVarint64(&value, &out.position) ||
      !GetVarint64(&value, &created_at)) {
    return Corrupt("request value is truncated");
  }
  if (!value.empty()) return Corrupt("request value has trailing bytes");
  out.created_at_ms = UnZigZag(created_at);
  *record = out;
  return absl::OkStatus();
}

}  // namespace roost::tweetstore
