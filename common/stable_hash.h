// StableHash mixes a 64-bit key (splitmix64's finalizer). Unlike absl::Hash it is the
// same in every process and build, so whatever it partitions (topology instances,
// timeline shards, generated workloads) comes out the same after a restart; and it
// spreads sequential ids, which a plain modulo would keep in lockstep.
#ifndef ROOST_COMMON_STABLE_HASH_H_
#define ROOST_COMMON_STABLE_HASH_H_

#include <cstdint>

namespace roost {

constexpr uint64_t StableHash(uint64_t key) {
  uint64_t z = key + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace roost

#endif  // ROOST_COMMON_STABLE_HASH_H_
