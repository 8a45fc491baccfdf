#include "ingest/event_codec.h"

#include "absl/strings/str_cat.h"
#include "common/ids.h"

namespace roost::ingest {
namespace {

namespace events = ::roost::v1::events;

bool KnownGraph(roost::v1::GraphKind graph) {
  return graph == roost::v1::FOLLOWS || graph == roost::v1::BLOCKS || graph == roost::v1::MUTES;
}

bool KnownState(int state) { return roost::v1::EdgeState_IsValid(state); }

absl::Status Bad(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("not an event this server logs: ", why));
}

}  // namespace

std::string EncodePost(uint64_t event_id, UserId author, absl::string_view text, TweetId reply_to,
                       TweetId retweet_of, absl::string_view request_id) {
  events::Event event;
  event.set_event_id(event_id);
  events::TweetPosted* post = event.mutable_tweet_posted();
  post->set_tweet_id(event_id);
  post->set_author_id(author);
  post->set_text(std::string(text));
  post->set_created_at_ms(SnowflakeTimeMs(event_id));
  post->set_reply_to_id(reply_to);
  post->set_retweet_of_id(retweet_of);
  post->set_request_id(std::string(request_id));
  return event.SerializeAsString();
}

std::string EncodeDelete(uint64_t event_id, UserId author, TweetId tweet) {
  events::Event event;
  event.set_event_id(event_id);
  event.mutable_tweet_deleted()->set_tweet_id(tweet);
  event.mutable_tweet_deleted()->set_author_id(author);
  return event.SerializeAsString();
}

std::string EncodeEdge(uint64_t event_id, graph::GraphId graph, UserId source, UserId destination,
                       graph::EdgeState state) {
  events::Event event;
  event.set_event_id(event_id);
  events::EdgeChanged* edge = event.mutable_edge_changed();
  // The proto enums share their numbers with the stores' (roost.proto).
  edge->set_graph(static_cast<roost::v1::GraphKind>(graph));
  edge->set_source_id(source);
  edge->set_destination_id(destination);
  edge->set_state(static_cast<roost::v1::EdgeState>(state));
  return event.SerializeAsString();
}

std::string EncodeMassChange(uint64_t event_id, graph::GraphId graph, UserId user,
                             graph::StateMask from, graph::EdgeState to) {
  events::Event event;
  event.set_event_id(event_id);
  events::EdgesMassChanged* mass = event.mutable_edges_mass_changed();
  mass->set_graph(static_cast<roost::v1::GraphKind>(graph));
  mass->set_user_id(user);
  for (int s = 0; s < graph::kNumEdgeStates; ++s) {
    if (graph::HasState(from, static_cast<graph::EdgeState>(s))) {
      mass->add_from_states(static_cast<roost::v1::EdgeState>(s));
    }
  }
  mass->set_to_state(static_cast<roost::v1::EdgeState>(to));
  return event.SerializeAsString();
}

namespace {

void SetOrigin(Origin origin, events::Event* event) {
  event->mutable_origin()->set_partition(origin.partition);
  event->mutable_origin()->set_offset(origin.offset);
}

}  // namespace

std::string EncodeHomeDelivery(uint64_t event_id, Origin origin, TweetId tweet, UserId author,
                               uint32_t flags, absl::Span<const UserId> users, bool retract,
                               const events::TweetPosted* posted) {
  events::Event event;
  event.set_event_id(event_id);
  SetOrigin(origin, &event);
  events::HomeDelivery* delivery = event.mutable_home_delivery();
  delivery->set_tweet_id(tweet);
  delivery->set_author_id(author);
  delivery->set_flags(flags);
  delivery->mutable_user_ids()->Add(users.begin(), users.end());
  delivery->set_retract(retract);
  if (posted != nullptr) {
    *delivery->mutable_tweet() = *posted;
    delivery->mutable_tweet()->clear_request_id();
  }
  return event.SerializeAsString();
}

std::string EncodeAuthorShown(uint64_t event_id, Origin origin, UserId user, UserId author,
                              absl::Span<const TweetId> tweets, absl::Span<const uint32_t> flags) {
  events::Event event;
  event.set_event_id(event_id);
  SetOrigin(origin, &event);
  events::AuthorShown* shown = event.mutable_author_shown();
  shown->set_user_id(user);
  shown->set_author_id(author);
  shown->mutable_tweet_ids()->Add(tweets.begin(), tweets.end());
  shown->mutable_flags()->Add(flags.begin(), flags.end());
  return event.SerializeAsString();
}

std::string EncodeCopy(const events::Event& event, Origin origin) {
  events::Event copy = event;
  SetOrigin(origin, &copy);
  return copy.SerializeAsString();
}

absl::Status DecodeEvent(absl::string_view payload, events::Event* event) {
  if (!event->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return Bad("the bytes do not parse");
  }
  if (event->event_id() == 0) return Bad("event_id 0");
  switch (event->kind_case()) {
    case events::Event::kTweetPosted:
    case events::Event::kTweetDeleted:
      return absl::OkStatus();
    case events::Event::kEdgeChanged: {
      const events::EdgeChanged& edge = event->edge_changed();
      if (!KnownGraph(edge.graph())) return Bad(absl::StrCat("graph ", edge.graph()));
      if (!KnownState(edge.state())) return Bad(absl::StrCat("edge state ", edge.state()));
      return absl::OkStatus();
    }
    case events::Event::kEdgesMassChanged: {
      const events::EdgesMassChanged& mass = event->edges_mass_changed();
      if (!KnownGraph(mass.graph())) return Bad(absl::StrCat("graph ", mass.graph()));
      if (!KnownState(mass.to_state())) return Bad(absl::StrCat("edge state ", mass.to_state()));
      for (int state : mass.from_states()) {
        if (!KnownState(state)) return Bad(absl::StrCat("edge state ", state));
      }
      return absl::OkStatus();
    }
    case events::Event::kHomeDelivery:
      if (!event->has_origin()) return Bad("a home delivery without an origin");
      return absl::OkStatus();
    case events::Event::kAuthorShown: {
      const events::AuthorShown& shown = event->author_shown();
      if (!event->has_origin()) return Bad("an author shown without an origin");
      if (shown.tweet_ids_size() != shown.flags_size()) {
        return Bad(absl::StrCat("an author shown with ", shown.tweet_ids_size(), " tweets and ",
                                shown.flags_size(), " flags"));
      }
      return absl::OkStatus();
    }
    case events::Event::KIND_NOT_SET:
      break;
  }
  return Bad("no event kind");
}

}  // namespace roost::ingest
