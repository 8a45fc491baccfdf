#include "log/segment_list.h"

#include <algorithm>
#include <utility>

namespace roost::log {

SegmentList::SegmentList(std::string dir, std::vector<SegmentInfo> segments,
                         LogOffset durable_offset)
    : dir_(std::move(dir)), segments_(std::move(segments)), durable_offset_(durable_offset) {}

LogOffset SegmentList::durable_offset() const {
  absl::MutexLock lock(&mu_);
  return durable_offset_;
}

LogOffset SegmentList::first_offset() const {
  absl::MutexLock lock(&mu_);
  return segments_.front().base;
}

std::vector<SegmentInfo> SegmentList::Segments() const {
  absl::MutexLock lock(&mu_);
  return segments_;
}

std::vector<LogOffset> SegmentList::RemoveBefore(LogOffset offset) {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  while (n + 1 < segments_.size() && segments_[n + 1].base <= offset) ++n;
  std::vector<LogOffset> removed;
  for (size_t i = 0; i < n; ++i) removed.push_back(segments_[i].base);
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(n));
  return removed;
}

std::optional<LogOffset> SegmentList::FindSegment(LogOffset offset) const {
  absl::MutexLock lock(&mu_);
  auto after = std::upper_bound(
      segments_.begin(), segments_.end(), offset,
      [](LogOffset value, const SegmentInfo& segment) { return value < segment.base; });
  if (after == segments_.begin()) return std::nullopt;
  return std::prev(after)->base;
}

std::optional<SegmentBounds> SegmentList::Bounds(LogOffset base) const {
  absl::MutexLock lock(&mu_);
  auto it = std::lower_bound(
      segments_.begin(), segments_.end(), base,
      [](const SegmentInfo& segment, LogOffset value) { return segment.base < value; });
  if (it == segments_.end() || it->base != base) return std::nullopt;
  return SegmentBounds{it->durable_bytes, std::next(it) != segments_.end()};
}

LogOffset SegmentList::WaitForDurable(LogOffset offset, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  while (durable_offset_ < offset && !closed_) {
    if (durable_cv_.WaitWithDeadline(&mu_, deadline)) break;  // timed out
  }
  return durable_offset_;
}

bool SegmentList::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

void SegmentList::Publish(LogOffset durable_offset, uint64_t tail_bytes) {
  absl::MutexLock lock(&mu_);
  durable_offset_ = durable_offset;
  segments_.back().durable_bytes = tail_bytes;
  durable_cv_.SignalAll();
}

void SegmentList::AddSegment(const SegmentInfo& segment) {
  absl::MutexLock lock(&mu_);
  segments_.push_back(segment);
}

void SegmentList::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  durable_cv_.SignalAll();
}

}  // namespace roost::log
