// HomeTimelines' eviction: a shard over its share of the memory limit drops the
// timelines read longest ago (home_timelines.h).
#include <algorithm>
#include <atomic>
#include <functional>
#include <utility>
#include <vector>

#include "timelines/home_timelines.h"

namespace roost::timelines {

void HomeTimelines::EvictIfOver(Shard& shard) {
  if (shard_limit_bytes_ == 0 || shard.bytes <= shard_limit_bytes_) return;
  // Oldest read first. Ages are taken from the clock's current value, so they stay
  // right across its wrap for any timeline read within the last 2^32 reads.
  const uint32_t now = read_clock_.load(std::memory_order_relaxed);
  std::vector<std::pair<uint32_t, UserId>> by_age;
  by_age.reserve(shard.timelines.size());
  for (const auto& [user, state] : shard.timelines) {
    if (state.reading_source()) continue;  // its reader owns it until the read is in
    const uint32_t last =
        std::atomic_ref<uint32_t>(state.last_read).load(std::memory_order_relaxed);
    by_age.emplace_back(now - last, user);
  }
  std::sort(by_age.begin(), by_age.end(), std::greater<>());
  const size_t target = shard_limit_bytes_ / 10 * 9;
  for (const auto& [age, user] : by_age) {
    if (shard.bytes <= target) break;
    shard.Erase(shard.timelines.find(user));
    ++shard.evicted;
  }
}

}  // namespace roost::timelines
