// TypedStream: what a producer emits through a declaration its consumers read back
// through it, keys are computed from the value, and a tuple read as a type it does not
// carry stops the process with both types named rather than yielding garbage.
#include "topology/typed_stream.h"

#include <any>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "topology/component.h"

namespace roost::topology {
namespace {

struct Order {
  uint64_t user = 0;
  std::string item;
};

constexpr TypedStream<Order> kOrders{3};
constexpr TypedStream<int64_t> kCounts{4};

class RecordingEmitter : public Emitter {
 public:
  void Emit(StreamId stream, std::any value) override {
    tuples.push_back(Tuple{0, stream, std::move(value)});
  }
  std::vector<Tuple> tuples;
};

class RecordingCollector : public SpoutCollector {
 public:
  void Emit(LogOffset offset, StreamId stream, std::any value) override {
    tuples.push_back(Tuple{offset, stream, std::move(value)});
  }
  std::vector<Tuple> tuples;
};

TEST(TypedStreamTest, ConsumersReadWhatProducersEmitOnTheDeclaredStream) {
  RecordingEmitter out;
  kOrders.Emit(out, Order{7, "tea"});
  ASSERT_EQ(out.tuples.size(), 1u);
  EXPECT_EQ(out.tuples[0].stream, 3);
  EXPECT_EQ(kOrders.Get(out.tuples[0]).user, 7u);
  EXPECT_EQ(kOrders.Get(out.tuples[0]).item, "tea");

  RecordingCollector spout_out;
  kCounts.Emit(spout_out, 42, int64_t{-5});
  ASSERT_EQ(spout_out.tuples.size(), 1u);
  EXPECT_EQ(spout_out.tuples[0].offset, 42u);
  EXPECT_EQ(spout_out.tuples[0].stream, 4);
  EXPECT_EQ(kCounts.Get(spout_out.tuples[0]), -5);
}

TEST(TypedStreamTest, KeyFunctionsKeyByTheValue) {
  const KeyFunction key = kOrders.Key([](const Order& order) { return order.user * 10; });
  EXPECT_EQ(key(Tuple{1, 3, Order{4, "jam"}}), 40u);
  EXPECT_EQ(key(Tuple{2, 3, Order{9, "jam"}}), 90u);
}

TEST(TypedStreamDeathTest, ReadingAnotherTypeAbortsNamingTheStream) {
  const Tuple tuple{1, 4, int64_t{5}};
  EXPECT_DEATH(kOrders.Get(tuple), "a tuple of stream 4 carries .+, read as .*Order");
}

}  // namespace
}  // namespace roost::topology
