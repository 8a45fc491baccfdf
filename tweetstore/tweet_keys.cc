#include "tweetstore/tweet_keys.h"

#include "common/coding.h"

namespace roost::tweetstore {

std::string TweetKey(TweetId id) {
  std::string key;
  PutBigEndian64(&key, id);
  return key;
}

std::string AuthorIndexKey(UserId author, TweetId id) {
  std::string key;
  key.reserve(16);
  PutBigEndian64(&key, author);
  PutBigEndian64(&key, ~id);
  return key;
}

TweetId TweetIdOfAuthorIndexKey(absl::string_view key) {
  return ~DecodeBigEndian64(key.data() + 8);
}

std::string RequestKey(UserId author, absl::string_view request_id) {
  std::string key;
  key.reserve(8 + request_id.size());
  PutBigEndian64(&key, author);
  key.append(request_id.data(), request_id.size());
  return key;
}

}  // namespace roost::tweetstore
