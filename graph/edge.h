// The FlockDB edge model. An edge (graph, source, destination) has a position (the
// time of its creation, for newest-first order), a state, and updated_at for
// last-write-wins. Graphs are small integers; the API names FOLLOWS, BLOCKS, MUTES.
#ifndef ROOST_GRAPH_EDGE_H_
#define ROOST_GRAPH_EDGE_H_

#include <cstdint>

#include "common/types.h"

namespace roost::graph {

using GraphId = uint8_t;
inline constexpr GraphId kFollows = 1;
inline constexpr GraphId kBlocks = 2;
inline constexpr GraphId kMutes = 3;

// The numeric values are stored on disk and are the last-write-wins tie-break order
// (a higher value wins a tie in updated_at).
enum class EdgeState : uint8_t { kNormal = 0, kRemoved = 1, kArchived = 2, kNegative = 3 };
inline constexpr int kNumEdgeStates = 4;

// A set of states, as a bit mask: bit (1 << state).
using StateMask = uint8_t;
inline constexpr StateMask StateBit(EdgeState s) { return StateMask{1} << static_cast<int>(s); }
inline constexpr StateMask kNormalOnly = StateBit(EdgeState::kNormal);
inline constexpr bool HasState(StateMask mask, EdgeState s) { return (mask & StateBit(s)) != 0; }

enum class Direction : uint8_t {
  kForward = 0,   // source -> destinations: whom the user points at
  kBackward = 1,  // destination -> sources: who points at the user
};

struct Edge {
  GraphId graph = 0;
  UserId source = 0;
  UserId destination = 0;
  // Snowflake id of the event that created the edge; orders lists newest first and is
  // unique within a list, so it serves as a paging cursor.
  uint64_t position = 0;
  EdgeState state = EdgeState::kNormal;
  uint64_t updated_at = 0;  // Snowflake id of the event that last wrote the edge

  bool operator==(const Edge&) const = default;
};

}  // namespace roost::graph

#endif  // ROOST_GRAPH_EDGE_H_
