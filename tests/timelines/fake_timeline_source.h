// An in-memory graph and tweet store for HomeTimelines' tests. A hook may run inside
// RecentTweets to act while a rebuild or refill is reading, which forces the
// interleavings that matter without threads.
#ifndef ROOST_TESTS_TIMELINES_FAKE_TIMELINE_SOURCE_H_
#define ROOST_TESTS_TIMELINES_FAKE_TIMELINE_SOURCE_H_

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "timelines/timeline_source.h"

namespace roost::timelines {

class FakeSource : public TimelineSource {
 public:
  void Follow(UserId user, UserId author) {
    absl::MutexLock lock(&mu_);
    followees_[user].insert(author);
  }
  void Unfollow(UserId user, UserId author) {
    absl::MutexLock lock(&mu_);
    followees_[user].erase(author);
  }
  // `author` hidden from `user` (a mute, or a block either way), or no longer.
  void SetHidden(UserId user, UserId author, bool hidden) {
    absl::MutexLock lock(&mu_);
    if (hidden) {
      hidden_[user].insert(author);
    } else {
      hidden_[user].erase(author);
    }
  }
  void Post(UserId author, TweetId id) {
    absl::MutexLock lock(&mu_);
    tweets_[author].insert(id);
  }
  void Delete(UserId author, TweetId id) {
    absl::MutexLock lock(&mu_);
    tweets_[author].erase(id);
  }
  void FailFollowees(bool fail) { fail_followees_ = fail; }
  void FailRecentTweets(bool fail) { fail_recent_ = fail; }
  // Runs once, inside the next RecentTweets call for `author`, before it answers.
  void OnRecentTweets(UserId author, std::function<void()> hook) {
    hook_author_ = author;
    hook_ = std::move(hook);
  }
  int followees_calls() const { return followees_calls_.load(); }
  int recent_tweets_calls() const { return recent_calls_.load(); }

  absl::StatusOr<std::vector<UserId>> Followees(UserId user) override {
    ++followees_calls_;
    if (fail_followees_) return absl::UnavailableError("graph down");
    absl::MutexLock lock(&mu_);
    auto it = followees_.find(user);
    if (it == followees_.end()) return std::vector<UserId>{};
    return std::vector<UserId>(it->second.begin(), it->second.end());
  }
  absl::StatusOr<bool> Follows(UserId user, UserId author) override {
    absl::MutexLock lock(&mu_);
    return user == author || followees_[user].contains(author);
  }
  absl::StatusOr<std::vector<UserId>> HiddenAuthors(UserId user) override {
    absl::MutexLock lock(&mu_);
    const std::set<UserId>& hidden = hidden_[user];
    return std::vector<UserId>(hidden.begin(), hidden.end());
  }
  absl::StatusOr<bool> IsHidden(UserId user, UserId author) override {
    absl::MutexLock lock(&mu_);
    return hidden_[user].contains(author);
  }

  absl::StatusOr<std::vector<Entry>> RecentTweets(UserId author, TweetId before,
                                                  size_t limit) override {
    ++recent_calls_;
    if (fail_recent_) return absl::UnavailableError("tweets down");
    std::vector<Entry> entries;
    {
      absl::MutexLock lock(&mu_);
      const std::set<TweetId>& ids = tweets_[author];
      for (auto it = ids.rbegin(); it != ids.rend() && entries.size() < limit; ++it) {
        if (before == 0 || *it < before) entries.push_back({*it, author, 0});
      }
    }
    // What was read above is answered even if the hook removes some of it: the
    // source was read before the removal.
    if (hook_ && author == hook_author_) std::exchange(hook_, nullptr)();
    return entries;
  }

 private:
  absl::Mutex mu_;
  std::map<UserId, std::set<UserId>> followees_ ABSL_GUARDED_BY(mu_);
  std::map<UserId, std::set<UserId>> hidden_ ABSL_GUARDED_BY(mu_);
  std::map<UserId, std::set<TweetId>> tweets_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> fail_followees_{false};
  std::atomic<bool> fail_recent_{false};
  std::atomic<int> followees_calls_{0};
  std::atomic<int> recent_calls_{0};
  UserId hook_author_ = 0;
  std::function<void()> hook_;
};

inline std::vector<TweetId> Ids(const std::vector<Entry>& entries) {
  std::vector<TweetId> ids;
  for (const Entry& e : entries) ids.push_back(e.id);
  return ids;
}

}  // namespace roost::timelines

#endif  // ROOST_TESTS_TIMELINES_FAKE_TIMELINE_SOURCE_H_
