// The log's events, as bytes: encoding the ones Roost appends (services/roost*), and
// decoding a record's payload for everything that reads the log (the pipeline, the
// change feed).
//
// A record's CRC proves its bytes are the ones written, not that the writer was this
// build or sane: a record from a newer version, a hand-made log or a bug upstream may
// hold a graph or state no store knows. Those are refused here, as DATA_LOSS naming
// the field, so the stores can trust the enums they are given (a graph id picks a key
// space; a state is a bit in a mask). Values a store can judge itself (ids of 0, an
// edge to oneself) are left to it: it refuses the event, and later ones still apply.
#ifndef ROOST_INGEST_EVENT_CODEC_H_
#define ROOST_INGEST_EVENT_CODEC_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/types.h"
#include "graph/edge.h"
#include "roost/v1/events.pb.h"

namespace roost::ingest {

// Each event's id is the time last-write-wins compares (a Snowflake id, given with the
// append); a post's tweet id is its event id, and its creation time that id's.
std::string EncodePost(uint64_t event_id, UserId author, absl::string_view text, TweetId reply_to,
                       TweetId retweet_of, absl::string_view request_id);
std::string EncodeDelete(uint64_t event_id, UserId author, TweetId tweet);
std::string EncodeEdge(uint64_t event_id, graph::GraphId graph, UserId source, UserId destination,
                       graph::EdgeState state);
// Every edge of `user` in `graph`, both directions, in a state of `from` moves to `to`.
std::string EncodeMassChange(uint64_t event_id, graph::GraphId graph, UserId user,
                             graph::StateMask from, graph::EdgeState to);

// In a cluster, the events one partition derives for another (events.proto), each
// naming its origin: the source partition and the offset of the event that caused it.
struct Origin {
  uint32_t partition = 0;
  LogOffset offset = 0;
};
// `posted` (may be null) is the delivered tweet, of which the delivery carries a copy.
std::string EncodeHomeDelivery(uint64_t event_id, Origin origin, TweetId tweet, UserId author,
                               uint32_t flags, absl::Span<const UserId> users, bool retract,
                               const roost::v1::events::TweetPosted* posted = nullptr);
std::string EncodeAuthorShown(uint64_t event_id, Origin origin, UserId user, UserId author,
                              absl::Span<const TweetId> tweets, absl::Span<const uint32_t> flags);
// `event` (an edge or mass change) as the copy another partition applies.
std::string EncodeCopy(const roost::v1::events::Event& event, Origin origin);

// Parses `payload` into *event and checks its shape: one kind set, a non-zero event
// id, known graphs and edge states. DATA_LOSS otherwise (*event is then unspecified).
absl::Status DecodeEvent(absl::string_view payload, roost::v1::events::Event* event);

}  // namespace roost::ingest

#endif  // ROOST_INGEST_EVENT_CODEC_H_
