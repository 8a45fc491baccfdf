#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/coding.h"
#include "common/crc32c.h"
#include "common/flag_names.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "common/utf8.h"
#include "gtest/gtest.h"

namespace roost {
namespace {

// --- Snowflake ids

TEST(SnowflakeTest, IdsCarryTheirTimeAndNode) {
  ManualClock clock(kRoostEpochMs + 123456);
  SnowflakeGenerator ids(/*node_id=*/7, &clock);
  const uint64_t id = ids.Next();
  EXPECT_EQ(SnowflakeTimeMs(id), kRoostEpochMs + 123456);
  EXPECT_EQ((id >> kSnowflakeSequenceBits) & kMaxSnowflakeNode, 7u);
}

TEST(SnowflakeTest, StrictlyIncreasingWithinOneMillisecondAndAcrossOverflow) {
  ManualClock clock(kRoostEpochMs + 1000);
  SnowflakeGenerator ids(1, &clock);
  uint64_t last = 0;
  // More than the 4096 sequence values of one millisecond.
  for (int i = 0; i < 10000; ++i) {
    const uint64_t id = ids.Next();
    ASSERT_GT(id, last);
    last = id;
  }
  // The overflow borrowed later milliseconds rather than repeating.
  EXPECT_GT(SnowflakeTimeMs(last), kRoostEpochMs + 1000);
}

TEST(SnowflakeTest, ClockSteppingBackNeverRepeats) {
  ManualClock clock(kRoostEpochMs + 5000);
  SnowflakeGenerator ids(1, &clock);
  const uint64_t before = ids.Next();
  clock.Set(kRoostEpochMs + 10);
  EXPECT_GT(ids.Next(), before);
}

TEST(SnowflakeTest, ObserveMovesPastKnownIds) {
  ManualClock clock(kRoostEpochMs + 10);
  SnowflakeGenerator ids(2, &clock);
  const uint64_t future = SnowflakeMinIdAt(kRoostEpochMs + 99999) + 5;
  ids.Observe(future);
  EXPECT_GT(ids.Next(), future);
}

TEST(SnowflakeTest, ConcurrentCallersGetUniqueIds) {
  SnowflakeGenerator ids(3, Clock::Real());
  std::vector<std::vector<uint64_t>> made(4);
  std::vector<std::thread> threads;
  for (auto& out : made) {
    threads.emplace_back([&ids, &out] {
      for (int i = 0; i < 20000; ++i) out.push_back(ids.Next());
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> all;
  for (const auto& out : made) all.insert(out.begin(), out.end());
  EXPECT_EQ(all.size(), 80000u);
}

TEST(SnowflakeTest, CreateRejectsNodeIdAboveTenBits) {
  EXPECT_FALSE(SnowflakeGenerator::Create(1024, Clock::Real()).ok());
  auto ok = SnowflakeGenerator::Create(1023, Clock::Real());
  ASSERT_TRUE(ok.ok());
  delete *ok;
}

// --- Coding

TEST(CodingTest, BigEndianSortsLikeNumbers) {
  std::string a, b;
  PutBigEndian64(&a, 255);
  PutBigEndian64(&b, 256);
  EXPECT_LT(a, b);
  EXPECT_EQ(DecodeBigEndian64(a.data()), 255u);
  std::string c;
  PutBigEndian32(&c, 0xdeadbeef);
  EXPECT_EQ(DecodeBigEndian32(c.data()), 0xdeadbeefu);
}

TEST(CodingTest, FixedAndVarintRoundTrip) {
  std::string buf;
  PutFixed32(&buf, 0x01020304);
  PutFixed64(&buf, 0x0102030405060708ull);
  EXPECT_EQ(DecodeFixed32(buf.data()), 0x01020304u);
  EXPECT_EQ(DecodeFixed64(buf.data() + 4), 0x0102030405060708ull);

  const std::vector<uint64_t> values = {0, 1, 127, 128, 300, 1ull << 35, ~0ull};
  std::string v;
  for (uint64_t x : values) PutVarint64(&v, x);
  PutLengthPrefixed(&v, "hello");
  absl::string_view in = v;
  for (uint64_t x : values) {
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, x);
  }
  absl::string_view s;
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, "hello");
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, TruncatedInputIsRejected) {
  std::string v;
  PutVarint64(&v, 1ull << 40);
  absl::string_view in(v.data(), v.size() - 1);
  uint64_t got;
  EXPECT_FALSE(GetVarint64(&in, &got));
  std::string p;
  PutLengthPrefixed(&p, "abcdef");
  absl::string_view short_in(p.data(), p.size() - 1), value;
  EXPECT_FALSE(GetLengthPrefixed(&short_in, &value));
}

// --- UTF-8

TEST(Utf8Test, CountsCodePointsNotBytes) {
  EXPECT_EQ(Utf8CodePoints(""), 0u);
  EXPECT_EQ(Utf8CodePoints("abc"), 3u);
  EXPECT_EQ(Utf8CodePoints("h\xC3\xA9llo"), 5u);      // é
  EXPECT_EQ(Utf8CodePoints("\xE2\x82\xAC"), 1u);      // €
  EXPECT_EQ(Utf8CodePoints("\xF0\x9F\x90\xA6"), 1u);  // 🐦
}

TEST(Utf8Test, RejectsInvalidSequences) {
  EXPECT_FALSE(Utf8CodePoints("\xFF").has_value());
  EXPECT_FALSE(Utf8CodePoints("\xC3").has_value());              // truncated
  EXPECT_FALSE(Utf8CodePoints("\xC0\xAF").has_value());          // overlong '/'
  EXPECT_FALSE(Utf8CodePoints("\xED\xA0\x80").has_value());      // surrogate U+D800
  EXPECT_FALSE(Utf8CodePoints("\xF4\x90\x80\x80").has_value());  // above U+10FFFF
  EXPECT_FALSE(Utf8CodePoints("a\x80"
                              "b")
                   .has_value());  // lone continuation
}

// --- CRC32C

TEST(Crc32cTest, KnownVectors) {
  // RFC 3720 test vectors.
  EXPECT_EQ(crc32c::Value("123456789", 9), 0xE3069283u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c::Value(zeros.data(), zeros.size()), 0x8A9136AAu);
  const std::string ones(32, '\xff');
  EXPECT_EQ(crc32c::Value(ones.data(), ones.size()), 0x62A8AB43u);
}

TEST(Crc32cTest, ExtendEqualsWholeAndMaskRoundTrips) {
  const std::string data = "hello, roost: a durable log of tweets";
  const uint32_t whole = crc32c::Value(data.data(), data.size());
  const uint32_t split =
      crc32c::Extend(crc32c::Value(data.data(), 10), data.data() + 10, data.size() - 10);
  EXPECT_EQ(whole, split);
  EXPECT_NE(crc32c::Mask(whole), whole);
  EXPECT_EQ(crc32c::Unmask(crc32c::Mask(whole)), whole);
}

// --- Metrics

TEST(MetricsTest, CountersAndGaugesAppearInSnapshot) {
  MetricsRegistry registry;
  registry.GetCounter("a.count")->Add(3);
  registry.GetCounter("a.count")->Add();
  int64_t gauge = 7;
  registry.SetGauge("b.gauge", [&gauge] { return gauge; });
  gauge = 9;
  auto snapshot = registry.Snapshot();
  EXPECT_EQ(snapshot["a.count"], 4);
  EXPECT_EQ(snapshot["b.gauge"], 9);
  registry.RemoveGauge("b.gauge");
  EXPECT_EQ(registry.Snapshot().count("b.gauge"), 0u);
}

TEST(MetricsTest, HistogramBucketsArePowersOfTwoAndPercentilesNeverUnderstate) {
  MetricsRegistry registry;
  LatencyHistogram* h = registry.GetHistogram("op.latency");
  EXPECT_EQ(registry.GetHistogram("op.latency"), h);
  h->Record(1);         // bucket 0: <= 1 ns
  h->Record(1000, 98);  // (512, 1024]
  h->Record(1025);      // (1024, 2048]
  const LatencyHistogram::Snapshot s = h->Read();
  EXPECT_EQ(s.count, 100);
  EXPECT_EQ(s.sum_nanos, 1 + 98 * 1000 + 1025);
  EXPECT_EQ(s.buckets[0], 1);
  EXPECT_EQ(s.buckets[10], 98);
  EXPECT_EQ(s.buckets[11], 1);
  EXPECT_EQ(s.Percentile(1), 1);
  EXPECT_EQ(s.Percentile(50), 1024);
  EXPECT_EQ(s.Percentile(100), 2048);
  // Values beyond the last bound land in the unbounded bucket.
  h->Record(int64_t{1} << 40);
  EXPECT_EQ(h->Read().buckets[LatencyHistogram::kBuckets - 1], 1);
  EXPECT_EQ(h->Read().Percentile(100), std::numeric_limits<int64_t>::max());

  auto snapshot = registry.Snapshot();
  EXPECT_EQ(snapshot["op.latency.count"], 101);
  EXPECT_EQ(snapshot["op.latency.p50_ns"], 1024);
  EXPECT_EQ(snapshot["op.latency.p99_ns"], 2048);
  auto collected = registry.Collect();
  EXPECT_EQ(collected["op.latency"].kind, MetricSample::Kind::kHistogram);
  EXPECT_EQ(collected["op.latency"].histogram.count, 101);
}

}  // namespace
}  // namespace roost

namespace roost {
namespace {

TEST(FlagNamesTest, DashesInNamesBecomeUnderscoresButValuesStay) {
  std::string a0 = "roostd", a1 = "--data-dir=/tmp/a-b", a2 = "--log-sync", a3 = "always",
              a4 = "-x", a5 = "--", a6 = "--not-a-flag";
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), a4.data(), a5.data(), a6.data()};
  std::vector<std::string> storage;
  std::vector<char*> out = WithUnderscoredFlagNames(7, argv, &storage);
  ASSERT_EQ(out.size(), 7u);
  EXPECT_STREQ(out[1], "--data_dir=/tmp/a-b");
  EXPECT_STREQ(out[2], "--log_sync");
  EXPECT_STREQ(out[3], "always");
  EXPECT_STREQ(out[4], "-x");
  EXPECT_STREQ(out[6], "--not-a-flag");          // after "--": positional
  EXPECT_STREQ(argv[1], "--data-dir=/tmp/a-b");  // the original is untouched
}

}  // namespace
}  // namespace roost

#include "common/thread_name.h"
#include "common/thread_pool.h"

namespace roost {
namespace {

TEST(ThreadPoolTest, RunsEverythingScheduledBeforeItIsDestroyed) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2, "test-pool");
    for (int i = 0; i < 1000; ++i) pool.Schedule([&ran] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 1000);
}

TEST(ThreadPoolTest, ItsThreadsCarryThePoolsName) {
  std::string name;
  {
    ThreadPool pool(1, "roost-test");
    pool.Schedule([&name] { name = ThisThreadName(); });
  }
  EXPECT_EQ(name, "roost-test");
}

TEST(ThreadNameTest, ALongNameIsCutToWhatLinuxKeeps) {
  std::string name;
  std::thread([&name] {
    NameThisThread("roost-0123456789-abc");
    name = ThisThreadName();
  }).join();
  EXPECT_EQ(name, "roost-012345678");
}

TEST(ThreadPoolTest, OneThreadRunsInScheduleOrder) {
  std::vector<int> order;
  {
    ThreadPool pool(1, "test-pool");
    for (int i = 0; i < 100; ++i) pool.Schedule([&order, i] { order.push_back(i); });
  }
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

}  // namespace
}  // namespace roost
