// Snowflake ids: 41 bits of milliseconds since the Roost epoch (2020-01-01T00:00:00Z),
// 10 bits of node id, 12 bits of sequence. Ids sort by time, so every cursor is an id.
//
// Ids are assigned before an event is appended to the log, so replaying the log
// reproduces them exactly. The generator never goes backwards: if the clock steps
// back, or a restarted process has seen larger ids, it keeps counting from the
// largest id it knows (Observe()).
#ifndef ROOST_COMMON_IDS_H_
#define ROOST_COMMON_IDS_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/types.h"

namespace roost {

inline constexpr int64_t kRoostEpochMs = 1577836800000;  // 2020-01-01T00:00:00Z
inline constexpr int kSnowflakeNodeBits = 10;
inline constexpr int kSnowflakeSequenceBits = 12;
inline constexpr uint32_t kMaxSnowflakeNode = (1u << kSnowflakeNodeBits) - 1;

// Milliseconds since the Unix epoch at which `id` was made.
int64_t SnowflakeTimeMs(uint64_t id);
// The smallest id that could be made at `unix_ms` (for time-range cursors).
uint64_t SnowflakeMinIdAt(int64_t unix_ms);
// The node id of the generator that made `id` (in a cluster: the author's partition).
uint32_t SnowflakeNode(uint64_t id);

// Thread-safe.
class SnowflakeGenerator {
 public:
  // `clock` must outlive the generator. Fails on a node id above kMaxSnowflakeNode.
  static absl::StatusOr<SnowflakeGenerator*> Create(uint32_t node_id, Clock* clock);
  SnowflakeGenerator(uint32_t node_id, Clock* clock) : node_id_(node_id), clock_(clock) {}

  uint64_t Next();
  // Ensures every later id is greater than `id` (e.g. the newest id in the log).
  void Observe(uint64_t id);

 private:
  const uint32_t node_id_;
  Clock* const clock_;
  absl::Mutex mu_;
  // The last id handed out, split: milliseconds since the Roost epoch and sequence.
  int64_t last_ms_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace roost

#endif  // ROOST_COMMON_IDS_H_
