// Histogram records latencies in log-linear buckets, in the manner of HdrHistogram:
// values below 256 ns are exact; above, each power of two is split into 128 equal
// buckets, so a bucket is at most 1/128 (0.78%) of its values wide. It covers 1 ns to
// about 73 minutes (2^42 ns) in 4,608 counters (37 KiB); larger values are counted in
// the top bucket and as `saturated`.
//
// Percentiles report a bucket's highest value (capped by the largest value recorded),
// so they never understate a latency by more than the bucket width, and p100 is the
// exact maximum.
//
// Not thread-safe: each load-generating thread records into its own and the results
// are merged.
#ifndef ROOST_LOADGEN_HISTOGRAM_H_
#define ROOST_LOADGEN_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace roost::loadgen {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 8;
  static constexpr uint64_t kMaxValue = (uint64_t{1} << 42) - 1;

  Histogram();

  void Record(uint64_t value, uint64_t count = 1);
  // Adds every value recorded in `other`.
  void Merge(const Histogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  uint64_t saturated() const { return saturated_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : sum_ / static_cast<double>(count_); }

  // The value at or below which `percentile` percent (0..100) of the recorded values
  // lie; 0 when empty.
  uint64_t ValueAtPercentile(double percentile) const;

  // Calls fn(lowest, highest, count) for every non-empty bucket, in value order: the
  // full distribution, for reports.
  void ForEachBucket(const std::function<void(uint64_t, uint64_t, uint64_t)>& fn) const;

  // The bucket layout, exposed for tests and for readers of exported histograms.
  static size_t BucketIndex(uint64_t value);
  static uint64_t BucketLowest(size_t index);
  static uint64_t BucketHighest(size_t index);
  static size_t BucketCount();

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t saturated_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_HISTOGRAM_H_
