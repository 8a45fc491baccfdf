// TopologyBuilder validation: Create rejects malformed graphs and options with an
// INVALID_ARGUMENT that names the problem.
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/topology/test_components.h"
#include "topology/topology.h"

namespace roost::topology::test {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class BuilderTest : public ::testing::Test {
 protected:
  // The status Create returns for `builder` and `options`.
  absl::Status CreateStatus(TopologyBuilder builder, TopologyOptions options = {}) {
    auto topology = Topology::Create(std::move(builder), std::move(options));
    return topology.status();
  }

  // Expects Create to fail with INVALID_ARGUMENT and a message matching `message`.
  void ExpectInvalid(TopologyBuilder builder, ::testing::Matcher<std::string> message,
                     TopologyOptions options = {}) {
    absl::Status status = CreateStatus(std::move(builder), std::move(options));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), message);
  }

  std::shared_ptr<Feed> feed_ = std::make_shared<Feed>();
  std::shared_ptr<Recorder> recorder_ = std::make_shared<Recorder>();
};

TEST_F(BuilderTest, AcceptsAValidGraph) {
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed_));
  builder.AddBolt("a", RecordingBolts(recorder_), 2).Shuffle("source");
  builder.AddBolt("b", RecordingBolts(recorder_)).Global("a").All("source", 1);
  EXPECT_TRUE(CreateStatus(std::move(builder)).ok());
}

TEST_F(BuilderTest, RejectsACycle) {
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed_));
  builder.AddBolt("a", RecordingBolts(recorder_)).Shuffle("source").Shuffle("b");
  builder.AddBolt("b", RecordingBolts(recorder_)).Shuffle("a");
  ExpectInvalid(std::move(builder), AllOf(HasSubstr("cycle"), HasSubstr("a -> b -> a")));
}

TEST_F(BuilderTest, RejectsABoltSubscribedToItself) {
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed_));
  builder.AddBolt("loop", RecordingBolts(recorder_)).Shuffle("source").Shuffle("loop", 1);
  ExpectInvalid(std::move(builder), HasSubstr("loop -> loop"));
}

TEST_F(BuilderTest, RejectsAnUnknownSource) {
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed_));
  builder.AddBolt("a", RecordingBolts(recorder_)).Shuffle("nowhere");
  ExpectInvalid(std::move(builder),
                AllOf(HasSubstr("'a'"), HasSubstr("unknown"), HasSubstr("'nowhere'")));
}

TEST_F(BuilderTest, RejectsADuplicateName) {
  TopologyBuilder builder;
  builder.AddSpout("twice", FeedSpouts(feed_));
  builder.AddBolt("twice", RecordingBolts(recorder_)).Shuffle("twice");
  ExpectInvalid(std::move(builder), AllOf(HasSubstr("'twice'"), HasSubstr("used twice")));
}

TEST_F(BuilderTest, RejectsParallelismBelowOne) {
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed_));
  builder.AddBolt("idle", RecordingBolts(recorder_), 0).Shuffle("source");
  ExpectInvalid(std::move(builder), AllOf(HasSubstr("'idle'"), HasSubstr("parallelism 0")));
}

TEST_F(BuilderTest, RejectsAFieldsGroupingWithoutKey) {
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed_));
  builder.AddBolt("a", RecordingBolts(recorder_)).Fields("source", 0, nullptr);
  ExpectInvalid(std::move(builder), HasSubstr("without a key"));
}

TEST_F(BuilderTest, RejectsATopologyWithoutSpouts) {
  TopologyBuilder builder;
  builder.AddBolt("a", RecordingBolts(recorder_));
  ExpectInvalid(std::move(builder), HasSubstr("no spout"));
}

TEST_F(BuilderTest, RejectsInvertedWatermarks) {
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed_));
  TopologyOptions options;
  options.queue_low_watermark = 100;
  options.queue_high_watermark = 10;
  ExpectInvalid(std::move(builder), HasSubstr("watermarks"), options);
}

TEST_F(BuilderTest, RejectsAFactoryThatReturnsNull) {
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(feed_));
  builder.AddBolt("empty", [] { return std::unique_ptr<Bolt>(); }).Shuffle("source");
  ExpectInvalid(std::move(builder), AllOf(HasSubstr("'empty'"), HasSubstr("null")));
}

}  // namespace
}  // namespace roost::topology::test
