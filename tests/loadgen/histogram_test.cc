#include "loadgen/histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace roost::loadgen {
namespace {

constexpr double kBucketWidth = 1.0 / 128;  // the layout's promise, relative

// ValueAtPercentile against the exact quantile of `values`: never below it, and above
// it by at most one bucket width.
void ExpectPercentilesMatch(const std::vector<uint64_t>& values) {
  Histogram h;
  for (uint64_t v : values) h.Record(v);
  std::vector<uint64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  for (double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const uint64_t rank = std::max<uint64_t>(
        1, static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size()))));
    const uint64_t exact = sorted[rank - 1];
    const uint64_t got = h.ValueAtPercentile(p);
    EXPECT_GE(got, exact) << "p" << p;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1 + kBucketWidth) + 1)
        << "p" << p;
  }
  EXPECT_EQ(h.ValueAtPercentile(100), sorted.back());
  EXPECT_EQ(h.min(), sorted.front());
  EXPECT_EQ(h.count(), values.size());
}

TEST(HistogramTest, BucketsTileTheRangeWithBoundedWidth) {
  const size_t n = Histogram::BucketCount();
  EXPECT_EQ(Histogram::BucketLowest(0), 0u);
  EXPECT_EQ(Histogram::BucketHighest(n - 1), Histogram::kMaxValue);
  for (size_t i = 0; i + 1 < n; ++i) {
    ASSERT_EQ(Histogram::BucketHighest(i) + 1, Histogram::BucketLowest(i + 1)) << i;
    const uint64_t lo = Histogram::BucketLowest(i), hi = Histogram::BucketHighest(i);
    ASSERT_EQ(Histogram::BucketIndex(lo), i);
    ASSERT_EQ(Histogram::BucketIndex(hi), i);
    if (lo >= 256) {
      ASSERT_LE(static_cast<double>(hi - lo + 1) / static_cast<double>(lo), kBucketWidth) << i;
    } else {
      ASSERT_EQ(lo, hi);  // exact below 256
    }
  }
}

TEST(HistogramTest, UniformDistribution) {
  std::vector<uint64_t> values;
  for (uint64_t v = 1; v <= 1000000; ++v) values.push_back(v);
  ExpectPercentilesMatch(values);
  Histogram h;
  for (uint64_t v : values) h.Record(v);
  EXPECT_NEAR(h.mean(), 500000.5, 1e-6 * 500000);
}

TEST(HistogramTest, ExponentialDistribution) {
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> latency(1.0 / 1e6);  // mean 1 ms in ns
  std::vector<uint64_t> values;
  for (int i = 0; i < 200000; ++i) values.push_back(static_cast<uint64_t>(latency(rng)) + 1);
  ExpectPercentilesMatch(values);
  // The median of an exponential is mean * ln 2.
  Histogram h;
  for (uint64_t v : values) h.Record(v);
  EXPECT_NEAR(static_cast<double>(h.ValueAtPercentile(50)), 1e6 * std::log(2.0), 0.02 * 1e6);
}

TEST(HistogramTest, HeavyTailedLogNormalDistribution) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(std::log(50000.0), 1.5);  // µs to seconds
  std::vector<uint64_t> values;
  for (int i = 0; i < 200000; ++i) values.push_back(static_cast<uint64_t>(latency(rng)) + 1);
  ExpectPercentilesMatch(values);
}

TEST(HistogramTest, SmallValuesAreExactAndConstantsAreExact) {
  Histogram h;
  for (uint64_t v = 0; v < 256; ++v) h.Record(v);
  EXPECT_EQ(h.ValueAtPercentile(50), 127u);
  Histogram c;
  c.Record(123456789, 1000);
  EXPECT_EQ(c.ValueAtPercentile(1), 123456789u);
  EXPECT_EQ(c.ValueAtPercentile(99.99), 123456789u);
  EXPECT_EQ(c.count(), 1000u);
}

TEST(HistogramTest, MergeEqualsRecordingIntoOne) {
  std::mt19937_64 rng(3);
  Histogram a, b, both;
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = rng() % 10000000;
    (i % 3 == 0 ? a : b).Record(v);
    both.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), both.count());
  EXPECT_EQ(a.min(), both.min());
  EXPECT_EQ(a.max(), both.max());
  for (double p : {50.0, 90.0, 99.0, 99.9})
    EXPECT_EQ(a.ValueAtPercentile(p), both.ValueAtPercentile(p));
  std::vector<uint64_t> ca, cb;
  a.ForEachBucket([&](uint64_t lo, uint64_t, uint64_t n) { ca.push_back(lo ^ n); });
  both.ForEachBucket([&](uint64_t lo, uint64_t, uint64_t n) { cb.push_back(lo ^ n); });
  EXPECT_EQ(ca, cb);
}

TEST(HistogramTest, ValuesAboveTheRangeSaturate) {
  Histogram h;
  h.Record(5);
  h.Record(Histogram::kMaxValue * 4);
  EXPECT_EQ(h.saturated(), 1u);
  EXPECT_EQ(h.max(), Histogram::kMaxValue);
  EXPECT_EQ(h.ValueAtPercentile(100), Histogram::kMaxValue);
}

TEST(HistogramTest, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.ValueAtPercentile(99), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

}  // namespace
}  // namespace roost::loadgen
