// A tuple in flight inside the engine, with the root it is anchored to.
#ifndef ROOST_TOPOLOGY_ENVELOPE_H_
#define ROOST_TOPOLOGY_ENVELOPE_H_

#include "topology/component.h"

namespace roost::topology {

struct Root;  // ack_tracker.h

struct Envelope {
  Tuple tuple;
  // The spout batch whose commit waits for this tuple; nullptr for tuples that hold
  // back no commit (the output of ticks and its descendants).
  Root* root = nullptr;
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_ENVELOPE_H_
