// Groupings decide which instances of a subscribing bolt receive a tuple (Heron's
// model): shuffle spreads tuples round robin, fields sends equal keys to one instance,
// all sends a copy to every instance, global sends everything to instance 0.
#ifndef ROOST_TOPOLOGY_GROUPING_H_
#define ROOST_TOPOLOGY_GROUPING_H_

#include <cstdint>

#include "common/stable_hash.h"

namespace roost::topology {

enum class Grouping { kShuffle, kFields, kAll, kGlobal };

// Keys are mixed with roost::StableHash (common/stable_hash.h), the same in every
// process and build, so a key is owned by the same instance after a restart and state
// partitioned by instance is rebuilt where it was before.
using ::roost::StableHash;

// The instance, of `parallelism` (>= 1), that owns `key` under fields grouping.
int FieldsInstance(uint64_t key, int parallelism);

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_GROUPING_H_
