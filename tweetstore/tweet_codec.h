// The on-disk value formats of the tweet store. Every value starts with a format byte
// so a later version can change the layout and still read what is already stored;
// the rest is little-endian varints and length-prefixed bytes (common/coding.h).
//
// A tweet value leaves out the id, which is its key, and the usually-zero reply and
// retweet ids, which a flag says are present:
//
//   format (1 byte, kTweetFormatV1)
//   flags  (1 byte: kDeleted | kHasReplyTo | kHasRetweetOf)
//   varint author
//   varint zigzag(created_at_ms)
//   varint reply_to        when kHasReplyTo
//   varint retweet_of      when kHasRetweetOf
//   length-prefixed text
//
// A request value is: format byte, varint tweet id, varint position, varint
// zigzag(created_at_ms).
#ifndef ROOST_TWEETSTORE_TWEET_CODEC_H_
#define ROOST_TWEETSTORE_TWEET_CODEC_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tweetstore/tweet.h"
#include "tweetstore/tweet_store.h"

namespace roost::tweetstore {

inline constexpr char kTweetFormatV1 = 1;
inline constexpr char kRequestFormatV1 = 1;

// Appends the value for `tweet` (all fields but the id) to *dst.
void EncodeTweet(const Tweet& tweet, std::string* dst);
// Decodes a value written by EncodeTweet for the tweet with key `id`. DATA_LOSS on a
// truncated value, trailing bytes, or an unknown format byte.
absl::Status DecodeTweet(TweetId id, absl::string_view value, Tweet* tweet);

void EncodeRequestRecord(const RequestRecord& record, std::string* dst);
absl::Status DecodeRequestRecord(absl::string_view value, RequestRecord* record);

}  // namespace roost::tweetstore

#endif  // ROOST_TWEETSTORE_TWEET_CODEC_H_
