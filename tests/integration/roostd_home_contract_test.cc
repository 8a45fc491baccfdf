// The home-timeline contract (DESIGN.md) on a real roostd, through gRPC only, as a new
// user meets it: a timeline whose cap has acted keeps the newest 800 tweets its user's
// home shows through deletes and mutes (nothing hidden or removed leaves it short),
// and a block keeps the blocked user out (no follow back, nothing of the blocker in its
// home). Each scenario is read live, from timelines kept in memory, then again after a
// SIGKILL and restart, and after `roostd --rebuild`.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roost/v1/roost.grpc.pb.h"
#include "tests/integration/roostd_client.h"

namespace roost::testing {
namespace {

using Ids = std::vector<uint64_t>;

constexpr size_t kCap = 800;  // roostd's default --timeline-max-entries
// X follows a prolific author P and a quiet author Q; B blocks F.
constexpr uint64_t kX = 1, kP = 2, kQ = 3, kB = 4, kF = 5;
// Neither the scenario's log nor its pages need fdatasync: SIGKILL loses nothing the
// kernel has.
const std::vector<std::string> kFlags = {"--log-sync=none"};

struct Home {
  bool rebuilt = false;  // of the first page
  Ids ids;               // every page, newest first
};

class RoostdHomeContractTest : public testing::RoostdTest {
 protected:
  // Every page of `user`'s home, 200 at a time, the first after `position`.
  Home ReadHome(uint64_t user, uint64_t position) {
    Home home;
    uint64_t max_id = 0;
    for (int page = 0; page < 10; ++page) {
      const v1::TimelinePage got = client_->MustHome(user, page == 0 ? position : 0, 200, max_id);
      if (page == 0) home.rebuilt = got.rebuilt();
      home.ids.insert(home.ids.end(), got.ids().begin(), got.ids().end());
      if (got.next_max_id() == 0) return home;
      max_id = got.next_max_id();
    }
    ADD_FAILURE() << "home of " << user << " has more pages than the cap allows";
    return home;
  }
  uint64_t Post(uint64_t author, uint64_t* position) {
    const auto [id, at] = client_->MustPost(author, "a tweet");
    *position = at;
    return id;
  }
  uint64_t Edge(bool add, v1::GraphKind graph, uint64_t source, uint64_t destination) {
    return client_->MustEdge(add, graph, source, destination);
  }
  // The newest `n` of `ids` (newest first).
  static Ids Newest(Ids ids, size_t n) {
    if (ids.size() > n) ids.resize(n);
    return ids;
  }

  // What every read must show once the scenarios have run: X has muted P, so it sees
  // Q's three tweets; F, blocked by B, sees nothing of B's and cannot follow B.
  void CheckAfterScenarios(uint64_t position, const std::string& when) {
    SCOPED_TRACE(when);
    const Home x = ReadHome(kX, position);
    EXPECT_TRUE(x.rebuilt);
    EXPECT_THAT(x.ids, ElementsAreArray(q_tweets_));
    const Home f = ReadHome(kF, position);
    EXPECT_THAT(f.ids, ElementsAreArray(f_tweets_));
    CheckBlockHolds(position);
  }
  void CheckBlockHolds(uint64_t position) {
    uint64_t refused_at = 0;
    const grpc::Status follow = client_->Edge(true, v1::FOLLOWS, kF, kB, &refused_at);
    EXPECT_EQ(follow.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(follow.error_message(), HasSubstr("user 4 blocks user 5"));
    EXPECT_EQ(client_->Stats().appended_position(), position) << "the refusal logged something";
    EXPECT_THAT(client_->Contains(v1::FOLLOWS, kF, {kB}, position), ElementsAreArray({false}));
    const Ids followers = client_->Select(v1::FOLLOWS, kB, v1::BACKWARD, position);
    EXPECT_EQ(std::count(followers.begin(), followers.end(), kF), 0);
    EXPECT_THAT(ReadHome(kF, position).ids, ElementsAreArray(f_tweets_));
  }

  Ids q_tweets_;  // newest first
  Ids f_tweets_;
};

TEST_F(RoostdHomeContractTest, DeletesMutesAndBlocksKeepTheContractLiveAfterRestartAndRebuild) {
  StartServer(kFlags);
  uint64_t position = 0;
  Edge(true, v1::FOLLOWS, kX, kP);
  position = Edge(true, v1::FOLLOWS, kX, kQ);
  ASSERT_TRUE(ReadHome(kX, position).rebuilt);  // in memory from now on

  // Q posts 3, then P posts 850: X's home holds P's newest 800.
  for (int i = 0; i < 3; ++i) q_tweets_.insert(q_tweets_.begin(), Post(kQ, &position));
  Ids p_tweets;
  for (int i = 0; i < 850; ++i) p_tweets.insert(p_tweets.begin(), Post(kP, &position));
  Home x = ReadHome(kX, position);
  EXPECT_FALSE(x.rebuilt);
  EXPECT_THAT(x.ids, ElementsAreArray(Newest(p_tweets, kCap)));

  // P deletes 20 of them: X's home still holds 800, the next older ones of P's.
  for (size_t i = 10; i < 30; ++i) {
    grpc::Status deleted = client_->Delete(kP, p_tweets[i], &position);
    ASSERT_TRUE(deleted.ok()) << deleted.error_message();
  }
  p_tweets.erase(p_tweets.begin() + 10, p_tweets.begin() + 30);
  x = ReadHome(kX, position);
  EXPECT_FALSE(x.rebuilt);
  EXPECT_THAT(x.ids, ElementsAreArray(Newest(p_tweets, kCap)));

  // X mutes P: Q's tweets, which X follows and has not hidden.
  position = Edge(true, v1::MUTES, kX, kP);
  EXPECT_THAT(ReadHome(kX, position).ids, ElementsAreArray(q_tweets_));
  // Unmuted, P's newest 800 are back; muted again for what follows.
  position = Edge(false, v1::MUTES, kX, kP);
  EXPECT_THAT(ReadHome(kX, position).ids, ElementsAreArray(Newest(p_tweets, kCap)));
  position = Edge(true, v1::MUTES, kX, kP);
  EXPECT_THAT(ReadHome(kX, position).ids, ElementsAreArray(q_tweets_));

  // F follows B and reads; B posts; B blocks F.
  position = Edge(true, v1::FOLLOWS, kF, kB);
  f_tweets_.insert(f_tweets_.begin(), Post(kF, &position));
  Post(kB, &position);
  EXPECT_EQ(ReadHome(kF, position).ids.size(), 2u);
  position = Edge(true, v1::BLOCKS, kB, kF);
  EXPECT_THAT(ReadHome(kF, position).ids, ElementsAreArray(f_tweets_));
  Post(kB, &position);  // after the block: not for F either
  CheckBlockHolds(position);

  // A SIGKILL, then a restart on the same data.
  server_.Kill();
  server_.Stop();
  client_.reset();
  StartServer(kFlags);
  CheckAfterScenarios(position, "after SIGKILL and restart");

  StopServer();
  std::vector<std::string> rebuild = kFlags;
  rebuild.push_back("--rebuild");
  StartServer(rebuild);
  CheckAfterScenarios(position, "after --rebuild");

  // The block lifted, F may follow B again and sees B's tweets.
  position = Edge(false, v1::BLOCKS, kB, kF);
  position = Edge(true, v1::FOLLOWS, kF, kB);
  EXPECT_EQ(ReadHome(kF, position).ids.size(), 3u);
}

TEST_F(RoostdHomeContractTest, AFollowOfABlockerIsRefusedWhileTheBlockIsInFlight) {
  StartServer(kFlags);
  // The block and the follow race: whichever the log holds first decides, and the
  // follow is never applied after the block.
  for (uint64_t round = 0; round < 50; ++round) {
    const uint64_t blocker = 100 + 2 * round, blocked = blocker + 1;
    v1::EdgeRequest block, follow;
    block.set_graph(v1::BLOCKS);
    block.set_source_id(blocker);
    block.set_destination_id(blocked);
    follow.set_graph(v1::FOLLOWS);
    follow.set_source_id(blocked);
    follow.set_destination_id(blocker);
    v1::WriteResponse blocked_at, followed_at;
    grpc::ClientContext block_ctx, follow_ctx;
    block_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    follow_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    std::mutex mu;
    std::condition_variable cv;
    int pending = 2;
    grpc::Status block_status, follow_status;
    auto done = [&](grpc::Status* out) {
      return [&, out](grpc::Status status) {
        std::lock_guard<std::mutex> lock(mu);
        *out = std::move(status);
        if (--pending == 0) cv.notify_one();
      };
    };
    client_->graph()->async()->Add(&block_ctx, &block, &blocked_at, done(&block_status));
    client_->graph()->async()->Add(&follow_ctx, &follow, &followed_at, done(&follow_status));
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return pending == 0; });
    }
    ASSERT_TRUE(block_status.ok()) << block_status.error_message();
    const uint64_t position = std::max(blocked_at.position(), followed_at.position());
    EXPECT_THAT(client_->Contains(v1::FOLLOWS, blocked, {blocker}, position),
                ElementsAreArray({false}))
        << "round " << round << ": follow " << (follow_status.ok() ? "acknowledged" : "refused");
    if (!follow_status.ok()) {
      EXPECT_EQ(follow_status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    } else {
      EXPECT_LT(followed_at.position(), blocked_at.position()) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace roost::testing
