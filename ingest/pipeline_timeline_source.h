// The TimelineSource that home-timeline rebuilds read: followees from the graph store
// and recent tweets from the tweet store's per-author index. It is the wiring that
// lets timelines/ stay ignorant of both stores.
#ifndef ROOST_INGEST_PIPELINE_TIMELINE_SOURCE_H_
#define ROOST_INGEST_PIPELINE_TIMELINE_SOURCE_H_

#include "graph/graph_store.h"
#include "timelines/home_timelines.h"
#include "tweetstore/tweet_store.h"

namespace roost::ingest {

// Thread-safe. The stores are not owned and must outlive it.
class StoreTimelineSource : public timelines::TimelineSource {
 public:
  StoreTimelineSource(graph::GraphStore* graph, tweets::TweetStore* tweets)
      : graph_(graph), tweets_(tweets) {}

  absl::StatusOr<std::vector<UserId>> Followees(UserId user) override;
  absl::StatusOr<std::vector<timelines::Entry>> RecentTweets(UserId author,
                                                             size_t limit) override;

 private:
  graph::GraphStore* const graph_;
  tweets::TweetStore* const tweets_;
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_TIMELINE_SOURCE_H_
