// Key layouts of the tweet store's column families. Integers are big-endian so that
// RocksDB's bytewise order is numeric order.
//
//   tweets:    id                        (8 bytes)
//   by_author: author, ~id               (16 bytes) — complementing the id makes a
//              forward scan of one author's keys newest first
//   requests:  author, request_id bytes  (8 + n bytes)
//   meta:      fixed names (kCommittedOffsetKey)
#ifndef ROOST_TWEETSTORE_TWEET_KEYS_H_
#define ROOST_TWEETSTORE_TWEET_KEYS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "common/types.h"

namespace roost::tweetstore {

inline constexpr absl::string_view kCommittedOffsetKey = "committed_offset";

std::string TweetKey(TweetId id);

std::string AuthorIndexKey(UserId author, TweetId id);
// The id of a by_author key; requires key.size() == 16.
TweetId TweetIdOfAuthorIndexKey(absl::string_view key);

std::string RequestKey(UserId author, absl::string_view request_id);

}  // namespace roost::tweetstore

#endif  // ROOST_TWEETSTORE_TWEET_KEYS_H_
