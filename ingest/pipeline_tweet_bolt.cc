#include "ingest/pipeline_tweet_bolt.h"

#include "common/status_macros.h"
#include "ingest/pipeline_tuples.h"

namespace roost::ingest {
namespace {

timelines::Entry EntryFor(const events::TweetPosted& post) {
  return timelines::Entry{post.tweet_id(), post.author_id(),
                          EntryFlags(post.reply_to_id(), post.retweet_of_id())};
}

}  // namespace

absl::Status TweetBolt::Execute(const topology::Tuple& input, topology::Emitter& out) {
  const events::Event& event = *kTweetEvents.Get(input);
  if (event.has_tweet_posted()) {
    const events::TweetPosted& post = event.tweet_posted();
    RETURN_IF_ERROR(store_->Put(TweetOf(post), post.request_id(), input.offset));
    // Delivered even when Put was a replayed no-op: timeline inserts are idempotent.
    FanoutWork work{FanoutWork::Kind::kDeliver, post.author_id(), 0, EntryFor(post)};
    work.posted = kTweetEvents.Get(input);
    kFanoutWork.Emit(out, std::move(work));
  } else if (event.has_tweet_deleted()) {
    const events::TweetDeleted& del = event.tweet_deleted();
    const absl::Status status = store_->Delete(del.tweet_id());
    if (!status.ok() && !absl::IsNotFound(status)) return status;
    kFanoutWork.Emit(out, FanoutWork{FanoutWork::Kind::kRetract, del.author_id(), 0,
                                     timelines::Entry{del.tweet_id(), del.author_id(), 0}});
  }
  return absl::OkStatus();
}

}  // namespace roost::ingest
