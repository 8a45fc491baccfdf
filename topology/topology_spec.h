// What TopologyBuilder collects: the components, their parallelism and the bolts'
// subscriptions, in declaration order. Internal to topology/; the engine
// instantiates a spec once Validate accepts it.
#ifndef ROOST_TOPOLOGY_TOPOLOGY_SPEC_H_
#define ROOST_TOPOLOGY_TOPOLOGY_SPEC_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "topology/component.h"
#include "topology/grouping.h"
#include "topology/topology.h"

namespace roost::topology {

struct Subscription {
  std::string source;
  StreamId stream = 0;
  Grouping grouping = Grouping::kShuffle;
  KeyFunction key;  // set for Grouping::kFields only
};

struct ComponentSpec {
  std::string name;
  int parallelism = 1;
  // Exactly one of the two factories is set: the component is a spout or a bolt.
  SpoutFactory spout;
  BoltFactory bolt;
  std::vector<Subscription> inputs;  // bolts only

  bool is_spout() const { return spout != nullptr; }
};

struct TopologyBuilder::Impl {
  std::vector<ComponentSpec> components;  // in declaration order
};

// Checks the graph (names unique and non-empty, factories set, parallelism >= 1,
// sources known, no cycles, no duplicate subscriptions) and the options. The
// INVALID_ARGUMENT it returns names the component or option at fault.
absl::Status Validate(const TopologyBuilder::Impl& spec, const TopologyOptions& options);

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_TOPOLOGY_SPEC_H_
