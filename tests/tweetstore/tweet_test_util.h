// What the tweet store's tests share: tweets to store, readable failures, and a fresh
// directory per test.
#ifndef ROOST_TESTS_TWEETSTORE_TWEET_TEST_UTIL_H_
#define ROOST_TESTS_TWEETSTORE_TWEET_TEST_UTIL_H_

#include <filesystem>
#include <ostream>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "tweetstore/tweet.h"

namespace roost::tweetstore {

inline void PrintTo(const Tweet& t, std::ostream* os) {
  *os << "{id " << t.id << ", author " << t.author << ", \"" << t.text << "\""
      << (t.deleted ? ", deleted" : "") << "}";
}

inline Tweet MakeTweet(TweetId id, UserId author, std::string text = "text") {
  Tweet t;
  t.id = id;
  t.author = author;
  t.text = std::move(text);
  t.created_at_ms = static_cast<int64_t>(id) * 10;
  return t;
}

// An empty path under the test temp dir, named by `prefix` and the running test.
inline std::filesystem::path FreshTestPath(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / (prefix + info->name());
  std::filesystem::remove_all(path);
  return path;
}

}  // namespace roost::tweetstore

#endif  // ROOST_TESTS_TWEETSTORE_TWEET_TEST_UTIL_H_
