// The rule that decides what one edge write does to the stored edge. It is a pure
// function so the store, mass updates and tests share one definition.
//
// A write applies only when it is newer: a higher updated_at, or an equal updated_at
// and a higher state (EdgeState's numeric order is the tie-break). A write that creates
// the edge, or moves it out of REMOVED, starts a new edge at the write's position;
// every other applied write keeps the stored position (so unarchive restores it).
//
// States and counts are therefore independent of the order writes arrive in. The
// position is not always: it is decided by the writes that arrive, not by the full
// history, so if a pair's writes straddle a REMOVED (or the creation) and arrive out
// of updated_at order, the position may differ from in-order application (e.g.
// NORMAL@1 pos 1, NORMAL@3 pos 3 arriving in reverse keeps position 3, in order 1).
// Replaying the log in its own order always reproduces the same positions, and
// Roost's log holds events in id order (Roost::AppendWithId), so its writers never
// meet the out-of-order case.
#ifndef ROOST_GRAPH_LAST_WRITE_WINS_H_
#define ROOST_GRAPH_LAST_WRITE_WINS_H_

#include <optional>

#include "graph/edge.h"
#include "graph/graph_store.h"

namespace roost::graph {

// Whether a write (updated_at, state) wins over a stored edge.
inline bool WriteIsNewer(const Edge& stored, uint64_t updated_at, EdgeState state) {
  if (updated_at != stored.updated_at) return updated_at > stored.updated_at;
  return state > stored.state;
}

// The edge after `write`, or nullopt when the write is stale or repeated and changes
// nothing. `current` is the stored edge, nullopt if the pair has none.
inline std::optional<Edge> ResolveWrite(const std::optional<Edge>& current,
                                        const EdgeWrite& write) {
  if (current.has_value() && !WriteIsNewer(*current, write.updated_at, write.state)) {
    return std::nullopt;
  }
  const bool starts_new_edge = !current.has_value() || (current->state == EdgeState::kRemoved &&
                                                        write.state != EdgeState::kRemoved);
  Edge after;
  after.graph = write.graph;
  after.source = write.source;
  after.destination = write.destination;
  after.position = starts_new_edge ? write.position : current->position;
  after.state = write.state;
  after.updated_at = write.updated_at;
  return after;
}

}  // namespace roost::graph

#endif  // ROOST_GRAPH_LAST_WRITE_WINS_H_
