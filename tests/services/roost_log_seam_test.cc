// Roost above the Log interface: the engine runs, restarts and rebuilds on a log that
// is not the segmented one (an in-memory Log here; a replicated one in a cluster),
// through RoostOptions::open_log.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/roost.h"
#include "tests/log/memory_log.h"
#include "tests/services/engine_fixture.h"

namespace roost {
namespace {

using log::testing::MemoryLog;

class RoostLogSeamTest : public services::testing::EngineFixture<> {
 protected:
  RoostLogSeamTest() : EngineFixture("roost_log_seam") {
    options_.open_log = [records = records_]() -> absl::StatusOr<std::unique_ptr<log::Log>> {
      return std::make_unique<MemoryLog>(records);
    };
  }

  TweetId Post(UserId author) {
    absl::StatusOr<services::PostResult> posted = Wait<services::PostResult>([&](auto done) {
      roost_->Post(services::PostArgs{author, "over the seam"}, std::move(done));
    });
    EXPECT_TRUE(posted.ok()) << posted.status();
    return posted.ok() ? posted->tweet_id : 0;
  }
  void Follow(UserId follower, UserId followee) {
    EXPECT_TRUE(Wait([&](auto done) {
                  roost_->SetEdge(graph::kFollows, follower, followee, graph::EdgeState::kNormal,
                                  std::move(done));
                }).ok());
  }
  std::vector<TweetId> Home(UserId user) {
    absl::Notification applied;
    roost_->WhenApplied(roost_->appended_position(), absl::Now() + absl::Seconds(30),
                        [&](absl::Status s) {
                          EXPECT_TRUE(s.ok()) << s;
                          applied.Notify();
                        });
    applied.WaitForNotification();
    services::TimelineQuery query;
    query.user = user;
    query.limit = 50;
    absl::StatusOr<services::TimelineResult> page = roost_->HomeTimeline(query);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->ids : std::vector<TweetId>{};
  }
  size_t Records() {
    absl::MutexLock lock(&records_->mu);
    return records_->payloads.size();
  }

  std::shared_ptr<MemoryLog::Records> records_ = std::make_shared<MemoryLog::Records>();
};

TEST_F(RoostLogSeamTest, WritesGoToTheGivenLogAndSurviveARestartAndARebuild) {
  Open();
  const TweetId first = Post(7);
  Follow(1, 7);
  const TweetId second = Post(7);
  EXPECT_EQ(Records(), 3u);
  EXPECT_EQ(roost_->appended_position(), 3u);
  EXPECT_EQ(Home(1), (std::vector<TweetId>{second, first}));

  roost_.reset();  // a restart: the stores resume from what they committed
  Open();
  const TweetId third = Post(7);
  EXPECT_EQ(Home(1), (std::vector<TweetId>{third, second, first}));

  roost_.reset();
  options_.rebuild = true;  // the stores dropped and replayed from the given log alone
  Open();
  EXPECT_EQ(Records(), 4u);
  EXPECT_EQ(Home(1), (std::vector<TweetId>{third, second, first}));
  EXPECT_FALSE(std::filesystem::exists(options_.data_dir + "/log"));
}

}  // namespace
}  // namespace roost
