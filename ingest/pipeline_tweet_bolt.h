// The pipeline's tweet writer (see pipeline.h). Internal to ingest/pipeline*.
#ifndef ROOST_INGEST_PIPELINE_TWEET_BOLT_H_
#define ROOST_INGEST_PIPELINE_TWEET_BOLT_H_

#include "topology/component.h"
#include "tweetstore/tweet_store.h"

namespace roost::ingest {

// Writes posts and deletes to the tweet store, then hands them to fanout.
class TweetBolt : public topology::Bolt {
 public:
  explicit TweetBolt(tweetstore::TweetStore* store) : store_(store) {}
  absl::Status Execute(const topology::Tuple& input, topology::Emitter& out) override;

 private:
  tweetstore::TweetStore* const store_;
};

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_TWEET_BOLT_H_
