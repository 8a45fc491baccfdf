#include "topology/grouping.h"

namespace roost::topology {

int FieldsInstance(uint64_t key, int parallelism) {
  return static_cast<int>(StableHash(key) % static_cast<uint64_t>(parallelism));
}

}  // namespace roost::topology
