// Roost's graph writes: single edges and mass changes, and the check that keeps a user
// blocked by another from following it (block_tracker.h).
#include <utility>

#include "absl/strings/str_cat.h"
#include "roost/v1/events.pb.h"
#include "services/roost.h"
#include "services/validation.h"

namespace roost {
namespace {

namespace events = ::roost::v1::events;

std::string EdgeEvent(uint64_t id, graph::GraphId g, UserId source, UserId destination,
                      graph::EdgeState state) {
  events::Event event;
  event.set_event_id(id);
  events::EdgeChanged* edge = event.mutable_edge_changed();
  edge->set_graph(static_cast<roost::v1::GraphKind>(g));
  edge->set_source_id(source);
  edge->set_destination_id(destination);
  edge->set_state(static_cast<roost::v1::EdgeState>(state));
  return event.SerializeAsString();
}

}  // namespace

void Roost::SetEdge(graph::GraphId g, UserId source, UserId destination,
                    graph::EdgeState state, Done<LogOffset> done) {
  SetEdge(g, source, destination, state, absl::InfiniteFuture(), std::move(done));
}

void Roost::SetEdge(graph::GraphId g, UserId source, UserId destination,
                    graph::EdgeState state, absl::Time deadline, Done<LogOffset> done) {
  absl::Status status = ValidateGraph(g);
  if (status.ok()) status = ValidateUserId(source, "source_id");
  if (status.ok()) status = ValidateUserId(destination, "destination_id");
  if (status.ok()) status = ValidateEdge(source, destination);
  if (!status.ok()) {
    done(status);
    return;
  }
  if (g == graph::kFollows && state == graph::EdgeState::kNormal) {
    Follow(source, destination, deadline, std::move(done));
    return;
  }
  const std::vector<UserId> touched =
      g == graph::kBlocks ? std::vector<UserId>{source, destination} : std::vector<UserId>{};
  AppendWithId([&](uint64_t id) {
    return std::make_pair(EdgeEvent(id, g, source, destination, state),
                          TrackBlocks(touched, std::move(done)));
  });
}

void Roost::Follow(UserId follower, UserId followee, absl::Time deadline,
                   Done<LogOffset> done) {
  const BlockTracker::Snapshot seen = blocks_.Of(follower, followee);
  if (!seen.settled) {
    // A block touching them is being appended: start over once it is in the log.
    // (WhenSettled may call back on the log's writer thread, where nothing may append.)
    blocks_.WhenSettled(follower, followee, [this, follower, followee, deadline,
                                             done = std::move(done)]() mutable {
      continuations_->Schedule([this, follower, followee, deadline,
                                done = std::move(done)]() mutable {
        Follow(follower, followee, deadline, std::move(done));
      });
    });
    return;
  }
  WhenApplied(seen.position, deadline, [this, follower, followee, deadline, seen,
                                        done = std::move(done)](absl::Status ready) mutable {
    if (!ready.ok()) {
      done(ready);
      return;
    }
    absl::StatusOr<std::vector<bool>> blocked =
        graph_->Contains(graph::kBlocks, followee, absl::MakeConstSpan(&follower, 1));
    if (!blocked.ok()) {
      done(blocked.status());
      return;
    }
    if ((*blocked)[0]) {
      done(absl::FailedPreconditionError(absl::StrCat("user ", followee, " blocks user ",
                                                      follower, ": ", follower,
                                                      " cannot follow ", followee,
                                                      " while the block holds")));
      return;
    }
    {
      absl::MutexLock lock(&append_order_mu_);
      if (blocks_.Of(follower, followee).sequence == seen.sequence) {
        Append(EdgeEvent(ids_->Next(), graph::kFollows, follower, followee,
                         graph::EdgeState::kNormal),
               std::move(done));
        return;
      }
    }
    Follow(follower, followee, deadline, std::move(done));  // a block came in meanwhile
  });
}

Roost::Done<LogOffset> Roost::TrackBlocks(std::vector<UserId> users, Done<LogOffset> done) {
  if (users.empty()) return done;
  blocks_.Prune(pipeline_->applied_offset());
  blocks_.Appending(users);
  return [this, users = std::move(users), done = std::move(done)](
             absl::StatusOr<LogOffset> position) mutable {
    blocks_.Appended(users, position.ok() ? *position : 0);
    done(std::move(position));
  };
}

void Roost::MassChange(graph::GraphId g, UserId user, graph::StateMask from,
                       graph::EdgeState to, Done<LogOffset> done) {
  absl::Status status = ValidateGraph(g);
  if (status.ok()) status = ValidateUserId(user, "user_id");
  if (!status.ok()) {
    done(status);
    return;
  }
  const std::vector<UserId> touched =
      g == graph::kBlocks ? std::vector<UserId>{user} : std::vector<UserId>{};
  AppendWithId([&](uint64_t id) {
    events::Event event;
    event.set_event_id(id);
    events::EdgesMassChanged* mass = event.mutable_edges_mass_changed();
    mass->set_graph(static_cast<roost::v1::GraphKind>(g));
    mass->set_user_id(user);
    for (int s = 0; s < graph::kNumEdgeStates; ++s) {
      if (graph::HasState(from, static_cast<graph::EdgeState>(s))) {
        mass->add_from_states(static_cast<roost::v1::EdgeState>(s));
      }
    }
    mass->set_to_state(static_cast<roost::v1::EdgeState>(to));
    return std::make_pair(event.SerializeAsString(), TrackBlocks(touched, std::move(done)));
  });
}

}  // namespace roost
