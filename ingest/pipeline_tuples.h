// The pipeline's streams and the values they carry. Internal to ingest/pipeline*.
#ifndef ROOST_INGEST_PIPELINE_TUPLES_H_
#define ROOST_INGEST_PIPELINE_TUPLES_H_

#include <memory>
#include <vector>

#include "common/types.h"
#include "graph/graph_store.h"
#include "roost/v1/events.pb.h"
#include "timelines/timeline.h"
#include "topology/typed_stream.h"
#include "tweetstore/tweet.h"

namespace roost::ingest {

namespace events = ::roost::v1::events;
using EventPtr = std::shared_ptr<const events::Event>;

// The proto enums share their numbers with the stores' (roost.proto), so a cast is
// exact once the value is known to be in range; the handlers validated it before the
// append.
inline graph::EdgeState ToState(roost::v1::EdgeState state) {
  return static_cast<graph::EdgeState>(state);
}

// Timeline entry flags for a tweet that replies to / retweets the given ids (0: none).
inline uint32_t EntryFlags(TweetId reply_to, TweetId retweet_of) {
  return (retweet_of != 0 ? timelines::kRetweet : 0u) | (reply_to != 0 ? timelines::kReply : 0u);
}

// The tweet a post (or a delivery's copy of it) makes.
inline tweetstore::Tweet TweetOf(const events::TweetPosted& post) {
  tweetstore::Tweet tweet;
  tweet.id = post.tweet_id();
  tweet.author = post.author_id();
  tweet.text = post.text();
  tweet.created_at_ms = post.created_at_ms();
  tweet.reply_to = post.reply_to_id();
  tweet.retweet_of = post.retweet_of_id();
  return tweet;
}

// Edge writes for the graph writer instance that owns `key`. Every FOLLOWS pair
// (s, d) is written only by the instance owning s, in log order, so the stored edge
// (including its position) does not depend on thread timing: a block, which also ends
// the blocked user's follow of the blocker, is split into one task per source, and a
// mass change, which touches edges of many sources, goes to every writer, each of
// which applies it to the edges whose source it owns.
//
// In a cluster, the events other partitions derived for this one's users (a home
// delivery, an author shown) go through the graph writers too, as tasks without
// writes, split by the writer owning each user: they are decided against the users'
// edges after every earlier write to them (a delivery reaches only those who still
// follow the author), and what they emit reaches fanout behind those writes' effects.
struct GraphTask {
  UserId key = 0;
  EventPtr event;                        // its id is every write's time
  std::vector<graph::EdgeWrite> writes;  // empty: a mass change or a derived event
  std::vector<UserId> users;             // a home delivery: the users this writer owns

  bool is_mass() const { return writes.empty() && event->has_edges_mass_changed(); }
  bool is_derived_home() const { return event->has_home_delivery() || event->has_author_shown(); }
};

// A change to home timelines, keyed by the author whose fanout instance orders it.
struct FanoutWork {
  enum class Kind {
    kDeliver,   // a new tweet: into the author's and every follower's timeline
    kRetract,   // a deleted tweet: out of the same timelines
    kShow,      // author may be shown to user now (a follow, unmute, unblock)
    kUnfollow,  // user no longer follows author: drop the author's entries
    kHide,      // author is hidden from user now (a block or mute, either way round)
    // In a cluster, derived by the author's partition for users of this one:
    kDeliverTo,  // `entry` into the timelines of `audience` (all followers of author)
    kRetractTo,  // `entry.id` out of the timelines of `audience`
    kShowWith,   // kShow, with the author's newest tweets in `shown`
  };
  Kind kind = Kind::kDeliver;
  UserId author = 0;
  UserId user = 0;         // kShow, kUnfollow, kHide: whose home timeline
  timelines::Entry entry;  // kDeliver; entry.id alone for kRetract
  // The log offset of the mass change whose background slice emitted this (0: none):
  // such work is anchored to nothing, so the timeline writer reports it done.
  LogOffset mass_job = 0;
  std::vector<UserId> audience;         // kDeliverTo, kRetractTo
  std::vector<timelines::Entry> shown;  // kShowWith
  EventPtr posted;  // kDeliver: the TweetPosted event (deliveries elsewhere carry a copy)
};

// A graph change's effect on one user's home timeline (FanoutWork's kShow, kUnfollow,
// kHide).
struct TimelineOp {
  enum class Kind { kShow, kUnfollow, kHide, kShowWith };
  Kind kind = Kind::kShow;
  UserId user = 0;
  UserId author = 0;
  std::vector<timelines::Entry> shown;  // kShowWith: the author's newest tweets
};

// Work for one timeline writer, applied in order: a tweet delivered to (or retracted
// from) users of the shards it owns, 8 bytes a user, in runs by shard; and graph
// changes' effects on timelines of one shard. `shard` (the first run's shard) routes the batch to
// its writer.
struct TimelineBatch {
  struct Run {
    int shard = 0;
    uint32_t users = 0;  // the next this many of `users`
  };
  int shard = 0;
  bool retract = false;
  bool mark_pulled = false;     // see HomeTimelines::Deliver
  timelines::Entry entry;       // retract: entry.id alone
  std::vector<UserId> users;    // whom `entry` is delivered to or retracted from
  std::vector<Run> runs;        // `users`, by shard
  std::vector<TimelineOp> ops;  // all of shard `shard`
  LogOffset mass_job = 0;       // as FanoutWork's
};

// The streams, by producer. Each component emits on stream 0 but the log spout, which
// sorts events by the writer they go to.
inline constexpr topology::TypedStream<EventPtr> kTweetEvents{0};       // log -> tweets
inline constexpr topology::TypedStream<GraphTask> kGraphEvents{1};      // log -> graph (by source)
inline constexpr topology::TypedStream<GraphTask> kGraphMassEvents{2};  // log -> every graph writer
inline constexpr topology::TypedStream<FanoutWork> kFanoutWork{0};      // tweets, graph -> fanout
inline constexpr topology::TypedStream<TimelineBatch> kTimelineBatches{0};  // fanout -> timelines

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PIPELINE_TUPLES_H_
