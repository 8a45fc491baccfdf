#include "ingest/event_codec.h"

#include "absl/strings/str_cat.h"

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
    case events::Event::KIND_NOT_SET:
      break;
  }
  return Bad("no event kind");
}

}  // namespace roost::ingest
