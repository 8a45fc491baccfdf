#include "ingest/topology/grouping.h"

namespace roost::topology {

uint64_t StableHash(uint64_t key) {
  uint64_t z = key + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int FieldsInstance(uint64_t key, int parallelism) {
  return static_cast<int>(StableHash(key) % static_cast<uint64_t>(parallelism));
}

}  // namespace roost::topology
