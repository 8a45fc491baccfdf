#include "tweetstore/tweet_copies.h"

namespace roost::tweetstore {
namespace {

// What a copy or a retraction costs beyond its text: the tweet's fields and a share
// of the tree's nodes.
constexpr size_t kCopyOverhead = sizeof(Tweet) + 16;
constexpr size_t kRetractionBytes = sizeof(TweetId) + 8;

}  // namespace

size_t TweetCopies::BytesOf(const Tweet& tweet) { return kCopyOverhead + tweet.text.size(); }

void TweetCopies::Put(const Tweet& tweet) {
  if (tweet.deleted) return;
  absl::MutexLock lock(&mu_);
  if (retracted_.contains(tweet.id)) return;
  const auto [it, inserted] = copies_.try_emplace(tweet.id, tweet);
  if (!inserted) return;
  bytes_ += BytesOf(tweet);
  EvictLocked();
}

void TweetCopies::Retract(TweetId id) {
  absl::MutexLock lock(&mu_);
  if (auto it = copies_.find(id); it != copies_.end()) {
    bytes_ -= BytesOf(it->second);
    copies_.erase(it);
  }
  if (retracted_.insert(id).second) bytes_ += kRetractionBytes;
  EvictLocked();
}

void TweetCopies::EvictLocked() {
  // The older of the oldest copy and the oldest retraction goes first: a retraction
  // older than every copy kept can no longer stop one that matters.
  while (bytes_ > max_bytes_ && (!copies_.empty() || !retracted_.empty())) {
    const bool copy_first =
        retracted_.empty() || (!copies_.empty() && copies_.begin()->first < *retracted_.begin());
    if (copy_first) {
      bytes_ -= BytesOf(copies_.begin()->second);
      copies_.erase(copies_.begin());
      ++evicted_;
    } else {
      bytes_ -= kRetractionBytes;
      retracted_.erase(retracted_.begin());
    }
  }
}

std::vector<std::optional<Tweet>> TweetCopies::Find(absl::Span<const TweetId> ids) const {
  std::vector<std::optional<Tweet>> found(ids.size());
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (auto it = copies_.find(ids[i]); it != copies_.end()) found[i] = it->second;
    ++(found[i].has_value() ? found_ : missed_);
  }
  return found;
}

TweetCopies::Stats TweetCopies::stats() const {
  absl::MutexLock lock(&mu_);
  return {copies_.size(), bytes_, evicted_, found_, missed_};
}

}  // namespace roost::tweetstore
