#include "loadgen/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace roost::loadgen {
namespace {

constexpr uint64_t kExact = uint64_t{1} << Histogram::kSubBucketBits;  // 256 exact values
constexpr uint64_t kHalf = kExact / 2;  // buckets per power of two above them

}  // namespace

size_t Histogram::BucketIndex(uint64_t value) {
  value = std::min(value, kMaxValue);
  if (value < kExact) return static_cast<size_t>(value);
  // Shift the value down until it has kSubBucketBits significant bits: its top bits
  // then name the bucket within its power of two.
  const int shift = std::bit_width(value) - kSubBucketBits;  // >= 1
  const uint64_t mantissa = value >> shift;                  // in [kHalf, kExact)
  return static_cast<size_t>(kExact + (shift - 1) * kHalf + (mantissa - kHalf));
}

uint64_t Histogram::BucketLowest(size_t index) {
  if (index < kExact) return index;
  const uint64_t j = index - kExact;
  const int shift = static_cast<int>(j / kHalf) + 1;
  return (kHalf + j % kHalf) << shift;
}

uint64_t Histogram::BucketHighest(size_t index) {
  if (index < kExact) return index;
  const int shift = static_cast<int>((index - kExact) / kHalf) + 1;
  return BucketLowest(index) + (uint64_t{1} << shift) - 1;
}

size_t Histogram::BucketCount() { return BucketIndex(kMaxValue) + 1; }

Histogram::Histogram() : counts_(BucketCount(), 0) {}

void Histogram::Record(uint64_t value, uint64_t count) {
  if (count == 0) return;
  if (value > kMaxValue) {
    saturated_ += count;
    value = kMaxValue;
  }
  counts_[BucketIndex(value)] += count;
  count_ += count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<double>(value) * static_cast<double>(count);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  saturated_ += other.saturated_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::Reset() { *this = Histogram(); }

uint64_t Histogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // The rank of the value asked for, 1-based; at least the first value.
  const uint64_t rank = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(BucketHighest(i), min(), max_);
  }
  return max_;
}

void Histogram::ForEachBucket(const std::function<void(uint64_t, uint64_t, uint64_t)>& fn) const {
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) fn(BucketLowest(i), BucketHighest(i), counts_[i]);
  }
}

}  // namespace roost::loadgen
