#include "ingest/pipeline_timeline_source.h"

#include "common/status_macros.h"
#include "ingest/pipeline_tuples.h"

namespace roost::ingest {

absl::StatusOr<std::vector<UserId>> StoreTimelineSource::Followees(UserId user) {
  return graph_->SelectAll(graph::kFollows, user, graph::Direction::kForward,
                           graph::kNormalOnly);
}

absl::StatusOr<std::vector<timelines::Entry>> StoreTimelineSource::RecentTweets(UserId author,
                                                                                size_t limit) {
  ASSIGN_OR_RETURN(const std::vector<TweetId> ids,
                   tweets_->AuthorTweets(author, /*max_id=*/0, /*since_id=*/0, limit));
  ASSIGN_OR_RETURN(const std::vector<std::optional<tweets::Tweet>> found,
                   tweets_->MultiGet(ids));
  std::vector<timelines::Entry> entries;
  entries.reserve(found.size());
  for (const std::optional<tweets::Tweet>& tweet : found) {
    if (!tweet.has_value() || tweet->deleted) continue;
    entries.push_back({tweet->id, tweet->author, EntryFlags(tweet->reply_to, tweet->retweet_of)});
  }
  return entries;
}

}  // namespace roost::ingest
