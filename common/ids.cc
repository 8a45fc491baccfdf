#include "common/ids.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace roost {
namespace {
constexpr int kTimeShift = kSnowflakeNodeBits + kSnowflakeSequenceBits;
constexpr uint64_t kSequenceMask = (1u << kSnowflakeSequenceBits) - 1;
}  // namespace

int64_t SnowflakeTimeMs(uint64_t id) {
  return static_cast<int64_t>(id >> kTimeShift) + kRoostEpochMs;
}

uint64_t SnowflakeMinIdAt(int64_t unix_ms) {
  if (unix_ms <= kRoostEpochMs) return 0;
  return static_cast<uint64_t>(unix_ms - kRoostEpochMs) << kTimeShift;
}

uint32_t SnowflakeNode(uint64_t id) {
  return static_cast<uint32_t>(id >> kSnowflakeSequenceBits) & kMaxSnowflakeNode;
}

absl::StatusOr<SnowflakeGenerator*> SnowflakeGenerator::Create(uint32_t node_id, Clock* clock) {
  if (node_id > kMaxSnowflakeNode) {
    return absl::InvalidArgumentError(
        absl::StrCat("node id ", node_id, " is above the maximum ", kMaxSnowflakeNode));
  }
  return new SnowflakeGenerator(node_id, clock);
}

uint64_t SnowflakeGenerator::Next() {
  const int64_t now_ms = std::max<int64_t>(0, clock_->NowMs() - kRoostEpochMs);
  absl::MutexLock lock(&mu_);
  // Within one millisecond, or when the clock stepped back, keep counting upwards; a
  // sequence overflow borrows the next millisecond rather than sleeping.
  if (now_ms > last_ms_) {
    last_ms_ = now_ms;
    sequence_ = 0;
  } else if (++sequence_ > kSequenceMask) {
    ++last_ms_;
    sequence_ = 0;
  }
  return (static_cast<uint64_t>(last_ms_) << kTimeShift) |
         (static_cast<uint64_t>(node_id_) << kSnowflakeSequenceBits) | sequence_;
}

void SnowflakeGenerator::Observe(uint64_t id) {
  const int64_t ms = static_cast<int64_t>(id >> kTimeShift);
  const uint32_t sequence = static_cast<uint32_t>(id & kSequenceMask);
  absl::MutexLock lock(&mu_);
  if (ms > last_ms_ || (ms == last_ms_ && sequence > sequence_)) {
    last_ms_ = ms;
    sequence_ = sequence;
  }
}

}  // namespace roost
