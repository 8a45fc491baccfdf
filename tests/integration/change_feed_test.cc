// ChangeFeed.Subscribe against a real roostd: history then the live tail, in order,
// with positions; type filters; bad requests; and a subscriber that stops reading
// does not stop the writers.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "roost/v1/feed.grpc.pb.h"
#include "roost/v1/roost.grpc.pb.h"
#include "tests/common/test_dir.h"
#include "tests/integration/roostd_process.h"

namespace roost {
namespace {

namespace v1 = ::roost::v1;

class ChangeFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = roost::testing::FreshTestDir("change_feed_test");
    std::string output;
    ASSERT_TRUE(roostd_.Start(dir_, {"--log-sync=none"}, &output)) << output;
    channel_ = roostd_.channel();
    tweets_ = v1::Tweets::NewStub(channel_);
    graph_ = v1::Graph::NewStub(channel_);
    feed_ = v1::ChangeFeed::NewStub(channel_);
  }
  void TearDown() override {
    roostd_.Stop();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(10)) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    return context;
  }
  uint64_t Post(uint64_t author, const std::string& text) {
    v1::PostRequest req;
    req.set_author_id(author);
    req.set_text(text);
    v1::PostResponse resp;
    EXPECT_TRUE(tweets_->Post(Context().get(), req, &resp).ok());
    return resp.position();
  }
  uint64_t Follow(uint64_t a, uint64_t b) {
    v1::EdgeRequest req;
    req.set_graph(v1::FOLLOWS);
    req.set_source_id(a);
    req.set_destination_id(b);
    v1::WriteResponse resp;
    EXPECT_TRUE(graph_->Add(Context().get(), req, &resp).ok());
    return resp.position();
  }

  std::string dir_;
  testing::RoostdProcess roostd_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Tweets::Stub> tweets_;
  std::unique_ptr<v1::Graph::Stub> graph_;
  std::unique_ptr<v1::ChangeFeed::Stub> feed_;
};

TEST_F(ChangeFeedTest, StreamsHistoryThenTheLiveTailInOrder) {
  const uint64_t first = Follow(1, 2);
  Post(2, "before subscribing");
  v1::SubscribeRequest req;
  req.set_from_position(first);
  auto context = Context();
  auto stream = feed_->Subscribe(context.get(), req);
  v1::ChangeEvent event;
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.position(), first);
  EXPECT_TRUE(event.event().has_edge_changed());
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.position(), first + 1);
  EXPECT_EQ(event.event().tweet_posted().text(), "before subscribing");
  // The live tail: a write made now arrives next.
  const uint64_t live = Post(2, "after subscribing");
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.position(), live);
  EXPECT_EQ(event.event().tweet_posted().text(), "after subscribing");
  context->TryCancel();
  while (stream->Read(&event)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(ChangeFeedTest, FiltersByTypeAndStartsAtTheTailByDefault) {
  Post(1, "old");
  v1::SubscribeRequest req;  // from_position 0: only what comes next
  req.add_types("tweet_posted");
  auto context = Context();
  auto stream = feed_->Subscribe(context.get(), req);
  // The server sends initial metadata once the subscription is positioned: after
  // that, writes are streamed.
  stream->WaitForInitialMetadata();
  Follow(3, 4);
  const uint64_t posted = Post(3, "new");
  v1::ChangeEvent event;
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.position(), posted);  // the follow was filtered out, "old" is history
  EXPECT_EQ(event.event().tweet_posted().text(), "new");
  context->TryCancel();
  while (stream->Read(&event)) {
  }
  stream->Finish();
}

TEST_F(ChangeFeedTest, RejectsUnknownTypesAndPositionsBeyondTheEnd) {
  Post(1, "one");
  for (const auto& [position, type, code] :
       std::vector<std::tuple<uint64_t, std::string, grpc::StatusCode>>{
           {1, "tweet_exploded", grpc::StatusCode::INVALID_ARGUMENT},
           {100, "", grpc::StatusCode::OUT_OF_RANGE}}) {
    v1::SubscribeRequest req;
    req.set_from_position(position);
    if (!type.empty()) req.add_types(type);
    auto context = Context();
    auto stream = feed_->Subscribe(context.get(), req);
    v1::ChangeEvent event;
    EXPECT_FALSE(stream->Read(&event));
    EXPECT_EQ(stream->Finish().error_code(), code) << position << " " << type;
  }
}

TEST_F(ChangeFeedTest, ASubscriberThatStopsReadingDoesNotStopWriters) {
  v1::SubscribeRequest req;
  req.set_from_position(1);
  auto context = Context(absl::Seconds(60));
  auto stream = feed_->Subscribe(context.get(), req);
  stream->WaitForInitialMetadata();
  // About 700 KB of events, past gRPC's initial 64 KiB stream window (BDP probing may
  // grow it): the feed stalls on the unread stream, and every post must still be
  // answered.
  const std::string text(200, 'w');
  uint64_t last = 0;
  for (int i = 0; i < 3000; ++i) last = Post(1 + i % 50, text);
  EXPECT_GE(last, 3000u);
  // The subscriber then gets everything, in order.
  v1::ChangeEvent event;
  for (uint64_t expected = 1; expected <= last; ++expected) {
    ASSERT_TRUE(stream->Read(&event)) << "at " << expected;
    ASSERT_EQ(event.position(), expected);
  }
  context->TryCancel();
  while (stream->Read(&event)) {
  }
  stream->Finish();
}

TEST_F(ChangeFeedTest, AServerStoppingEndsOpenSubscriptionsAndExitsCleanly) {
  v1::SubscribeRequest req;
  auto context = Context(absl::Seconds(60));
  auto stream = feed_->Subscribe(context.get(), req);
  stream->WaitForInitialMetadata();
  std::string output;
  EXPECT_EQ(roostd_.Stop(&output), 0) << output;
  v1::ChangeEvent event;
  EXPECT_FALSE(stream->Read(&event));
  EXPECT_FALSE(stream->Finish().ok());
}

}  // namespace
}  // namespace roost
