// Groupings: which instances receive a tuple.
#include "topology/grouping.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/topology/test_components.h"
#include "topology/topology.h"

namespace roost::topology::test {
namespace {

using ::testing::Each;
using ::testing::SizeIs;

constexpr int kParallelism = 3;
constexpr LogOffset kTuples = 300;

TEST(StableHashTest, IsSplitMix64) {
  // splitmix64's first output from state 0; a change here moves every key to another
  // instance, and with it the state partitioned by instance.
  EXPECT_EQ(StableHash(0), 0xe220a8397b1dcdafULL);
  EXPECT_NE(StableHash(1), StableHash(2));
}

TEST(StableHashTest, FieldsInstanceIsInRange) {
  for (uint64_t key = 0; key < 1000; ++key) {
    int instance = FieldsInstance(key, 7);
    EXPECT_GE(instance, 0);
    EXPECT_LT(instance, 7);
  }
}

// Runs spout -> bolt("sink", kParallelism) subscribed with `subscribe`, feeds offsets
// 1..kTuples and returns the values each sink instance received.
template <typename Subscribe>
std::vector<std::vector<int64_t>> Deliver(Subscribe subscribe) {
  auto feed = std::make_shared<Feed>(/*per_batch=*/7);
  auto recorder = std::make_shared<Recorder>();
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed));
  BoltDeclarer sink = builder.AddBolt("sink", RecordingBolts(recorder), kParallelism);
  subscribe(sink);
  TopologyOptions options;
  options.worker_threads = 2;
  options.batch_size = 16;
  std::unique_ptr<Topology> topology = StartTopology(std::move(builder), options);
  if (topology == nullptr) return {};
  feed->PushRange(1, kTuples);
  EXPECT_TRUE(topology->WaitForCommitted(kTuples, Soon()));
  topology->Stop();
  return recorder->ByTask(kParallelism);
}

TEST(GroupingTest, ShuffleSpreadsOverEveryInstance) {
  auto by_task = Deliver([](BoltDeclarer& sink) { sink.Shuffle("source"); });
  ASSERT_THAT(by_task, SizeIs(kParallelism));
  size_t total = 0;
  for (const auto& values : by_task) {
    EXPECT_GE(values.size(), kTuples / (2 * kParallelism));
    total += values.size();
  }
  EXPECT_EQ(total, kTuples);
}

TEST(GroupingTest, FieldsSendsEqualKeysToOneInstance) {
  constexpr int kKeys = 10;
  // The key is the value modulo kKeys: 30 tuples per key.
  auto by_task = Deliver([](BoltDeclarer& sink) {
    sink.Fields("source", 0, [](const Tuple& t) {
      return static_cast<uint64_t>(std::any_cast<int64_t>(t.value) % kKeys);
    });
  });
  ASSERT_THAT(by_task, SizeIs(kParallelism));
  std::vector<std::set<int>> owners(kKeys);
  size_t total = 0;
  int used = 0;
  for (int task = 0; task < kParallelism; ++task) {
    for (int64_t value : by_task[task]) owners[value % kKeys].insert(task);
    total += by_task[task].size();
    used += by_task[task].empty() ? 0 : 1;
  }
  EXPECT_EQ(total, kTuples);
  EXPECT_THAT(owners, Each(SizeIs(1)));
  for (int key = 0; key < kKeys; ++key) {
    EXPECT_EQ(*owners[key].begin(), FieldsInstance(key, kParallelism)) << "key " << key;
  }
  EXPECT_GE(used, 2) << "ten keys should not all hash to one of three instances";
}

TEST(GroupingTest, AllCopiesToEveryInstance) {
  auto by_task = Deliver([](BoltDeclarer& sink) { sink.All("source"); });
  ASSERT_THAT(by_task, SizeIs(kParallelism));
  std::vector<int64_t> expected(kTuples);
  for (LogOffset i = 0; i < kTuples; ++i) expected[i] = static_cast<int64_t>(i + 1);
  for (const auto& values : by_task) EXPECT_EQ(values, expected);  // and in order
}

TEST(GroupingTest, GlobalSendsEverythingToInstanceZero) {
  auto by_task = Deliver([](BoltDeclarer& sink) { sink.Global("source"); });
  ASSERT_THAT(by_task, SizeIs(kParallelism));
  EXPECT_THAT(by_task[0], SizeIs(kTuples));
  EXPECT_TRUE(std::is_sorted(by_task[0].begin(), by_task[0].end()));
  EXPECT_THAT(by_task[1], SizeIs(0));
  EXPECT_THAT(by_task[2], SizeIs(0));
}

}  // namespace
}  // namespace roost::topology::test
