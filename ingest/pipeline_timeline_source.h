// The TimelineSource that home timelines read (timelines/timeline_source.h): follows,
// blocks and mutes from the graph store and recent tweets from the tweet store's
// per-author index. It is the wiring that lets timelines/ stay ignorant of both stores.
#ifndef ROOST_INGEST_PIPELINE_TIMELINE_SOURCE_H_
#define ROOST_INGEST_PIPELINE_TIMELINE_SOURCE_H_

#include <functional>
#include <vector>

#include "graph/graph_store.h"
#include "ingest/partition_scope.h"
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

// A partition's TimelineSource in a cluster. Every edge that touches a partition's users
// is kept on the partition, so follows, blocks and mutes come from `local`; so do the
// recent tweets of the partition's own authors. Another partition's author's come from
// `remote`, which asks that partition's owner.
//
// Thread-safe when `remote` is. `local` and `scope` are not owned.
class PartitionTimelineSource : public timelines::TimelineSource {
 public:
  using RecentTweetsFn = std::function<absl::StatusOr<std::vector<timelines::Entry>>(
      UserId author, TweetId before, size_t limit)>;
  using RecentTweetsOfEachFn =
      std::function<absl::StatusOr<std::vector<std::vector<timelines::Entry>>>(
          absl::Span<const UserId> authors, TweetId before, size_t limit)>;

  PartitionTimelineSource(timelines::TimelineSource* local, const PartitionScope* scope,
                          RecentTweetsFn remote, RecentTweetsOfEachFn remote_each)
      : local_(local),
        scope_(scope),
        remote_(std::move(remote)),
        remote_each_(std::move(remote_each)) {}

  absl::StatusOr<std::vector<UserId>> Followees(UserId user) override {
    return local_->Followees(user);
  }
  absl::StatusOr<bool> Follows(UserId user, UserId author) override {
    return local_->Follows(user, author);
  }
  absl::StatusOr<std::vector<UserId>> HiddenAuthors(UserId user) override {
    return local_->HiddenAuthors(user);
  }
  absl::StatusOr<bool> IsHidden(UserId user, UserId author) override {
    return local_->IsHidden(user, author);
  }
  absl::StatusOr<std::vector<timelines::Entry>> RecentTweets(UserId author, TweetId before,
                                                             size_t limit) override {
    if (scope_->IsLocal(author)) return local_->RecentTweets(author, before, limit);
    return remote_(author, before, limit);
  }
  // The local authors' from `local`, all the others' in one call of `remote_each`.
  absl::StatusOr<std::vector<std::vector<timelines::Entry>>> RecentTweetsOfEach(
      absl::Span<const UserId> authors, TweetId before, size_t limit) override;

 private:
  timelines::TimelineSource* const local_;
  const PartitionScope* const scope_;
  const RecentTweetsFn remote_;
  const RecentTweetsOfEachFn remote_each_;
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_TIMELINE_SOURCE_H_
