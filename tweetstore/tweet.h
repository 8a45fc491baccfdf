// A tweet as the stores keep it.
#ifndef ROOST_TWEETSTORE_TWEET_H_
#define ROOST_TWEETSTORE_TWEET_H_

#include <cstdint>
#include <string>

#include "common/types.h"

namespace roost::tweetstore {

struct Tweet {
  TweetId id = 0;
  UserId author = 0;
  std::string text;
  int64_t created_at_ms = 0;
  TweetId reply_to = 0;    // 0: not a reply
  TweetId retweet_of = 0;  // 0: not a retweet
  bool deleted = false;    // a tombstone: text cleared, kept so replays stay deleted

  bool operator==(const Tweet&) const = default;
};

}  // namespace roost::tweetstore

#endif  // ROOST_TWEETSTORE_TWEET_H_
