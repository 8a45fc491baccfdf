// PartitionReads: what one partition of a cluster reads of the others (DESIGN.md,
// "Cluster"). A home timeline holds tweets of authors on every partition, and is built
// from their recent tweets; both live on the author's partition, whose owner may be
// another process.
//
// Thread-safe. Calls block (a network round trip to an owner); callers are read and
// pipeline threads, never gRPC's callback threads.
#ifndef ROOST_SERVICES_PARTITION_READS_H_
#define ROOST_SERVICES_PARTITION_READS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/types.h"
#include "timelines/timeline.h"
#include "tweetstore/tweet.h"

namespace roost::services {

class PartitionReads {
 public:
  virtual ~PartitionReads() = default;

  // The tweets of `ids` (any partitions), in request order; missing and deleted ones
  // omitted. An owner's error, or UNAVAILABLE / DEADLINE_EXCEEDED when it does not
  // answer, is returned prefixed with the owner's name and address.
  virtual absl::StatusOr<std::vector<tweetstore::Tweet>> GetTweets(
      absl::Span<const TweetId> ids) = 0;
  // `author`'s newest tweets below `before` (0: the newest), at most `limit`, newest
  // first: TimelineSource::RecentTweets on the author's partition.
  virtual absl::StatusOr<std::vector<timelines::Entry>> RecentTweets(UserId author, TweetId before,
                                                                     size_t limit) = 0;
  // RecentTweets of each of `authors` (any partitions), in their order, asking each
  // owner once.
  virtual absl::StatusOr<std::vector<std::vector<timelines::Entry>>> RecentTweetsOfEach(
      absl::Span<const UserId> authors, TweetId before, size_t limit) = 0;
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_PARTITION_READS_H_
