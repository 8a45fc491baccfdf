// The TimelineSource that home timelines read (timelines/timeline_source.h): follows,
// blocks and mutes from the graph store and recent tweets from the tweet store's
// per-author index. It is the wiring that lets timelines/ stay ignorant of both stores.
#ifndef ROOST_INGEST_PIPELINE_TIMELINE_SOURCE_H_
#define ROOST_INGEST_PIPELINE_TIMELINE_SOURCE_H_

#include "graph/graph_store.h"
#include "timelines/timeline_source.h"
#include "tweetstore/tweet_store.h"

namespace roost::ingest {

// Thread-safe. The stores are not owned and must outlive it.
class StoreTimelineSource : public timelines::TimelineSource {
 public:
  StoreTimelineSource(graph::GraphStore* graph, tweetstore::TweetStore* tweets)
      : graph_(graph), tweets_(tweets) {}

  absl::StatusOr<std::vector<UserId>> Followees(UserId user) override;
  absl::StatusOr<bool> Follows(UserId user, UserId author) override;
  absl::StatusOr<std::vector<UserId>> HiddenAuthors(UserId user) override;
  absl::StatusOr<bool> IsHidden(UserId user, UserId author) override;
  absl::StatusOr<std::vector<timelines::Entry>> RecentTweets(UserId author, TweetId before,
                                                             size_t limit) override;

 private:
  // Whether source -> destination is NORMAL in `graph`.
  absl::StatusOr<bool> HasEdge(graph::GraphId graph, UserId source, UserId destination);

  graph::GraphStore* const graph_;
  tweetstore::TweetStore* const tweets_;
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_TIMELINE_SOURCE_H_
