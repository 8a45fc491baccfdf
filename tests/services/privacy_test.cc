// Privacy rules of home timelines as tests: once a block is applied, none of the
// blocked user's tweets reaches the blocker's home timeline: not tweets fanned out
// while the block raced them, not after a restart rebuilds timelines from the stores,
// not after the log is replayed into fresh stores; with tweets pushed into timelines
// and with the author's tweets pulled at read time (hybrid fanout).
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/roost.h"
#include "tests/services/engine_fixture.h"

namespace roost {
namespace {

constexpr UserId kBlocker = 1, kBlocked = 2, kFriend = 3;

class PrivacyTest : public services::testing::EngineFixture<::testing::TestWithParam<bool>> {
 protected:
  PrivacyTest() : EngineFixture("privacy_test") {}
  void SetUp() override {
    options_.log_sync = log::SyncPolicy::kNone;
    // Hybrid: the blocked user has more followers than this, so their tweets are not
    // pushed but merged in when a follower reads.
    options_.pipeline.fanout_read_threshold = GetParam() ? 3 : 0;
    Open();
  }
  LogOffset Edge(graph::GraphId g, UserId source, UserId destination) {
    const absl::StatusOr<LogOffset> position = Wait([&](auto done) {
      roost_->SetEdge(g, source, destination, graph::EdgeState::kNormal, std::move(done));
    });
    EXPECT_TRUE(position.ok()) << position.status();
    return position.ok() ? *position : 0;
  }
  // The authors in the blocker's home timeline (two pages' worth), after `position`.
  std::vector<UserId> HomeAuthors(LogOffset position) {
    absl::Notification applied;
    roost_->WhenApplied(position, absl::Now() + absl::Seconds(30), [&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      applied.Notify();
    });
    applied.WaitForNotification();
    std::vector<UserId> authors;
    services::TimelineQuery query;
    query.user = kBlocker;
    query.limit = 200;
    query.hydrate = true;
    for (int page = 0; page < 2; ++page) {
      absl::StatusOr<services::TimelineResult> result = roost_->HomeTimeline(query);
      EXPECT_TRUE(result.ok()) << result.status();
      if (!result.ok()) break;
      for (const tweetstore::Tweet& tweet : result->tweets) authors.push_back(tweet.author);
      if (result->next_max_id == 0) break;
      query.max_id = result->next_max_id;
    }
    return authors;
  }
  static int Count(const std::vector<UserId>& authors, UserId author) {
    return static_cast<int>(std::count(authors.begin(), authors.end(), author));
  }
};

TEST_P(PrivacyTest, ABlockedUsersTweetsNeverReachTheBlockersHomeTimeline) {
  Edge(graph::kFollows, kBlocker, kBlocked);
  Edge(graph::kFollows, kBlocker, kFriend);
  for (UserId fan = 10; fan < 20; ++fan) Edge(graph::kFollows, fan, kBlocked);

  // The blocked user and a friend post without pause while the block is written.
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};
  std::atomic<LogOffset> last{0};
  std::thread posters([&] {
    // Bounded in count and time; in practice ended by `stop` once the reads are done
    // (a slow build, say under TSan, must not run out of posts before the block).
    const absl::Time give_up = absl::Now() + absl::Minutes(3);
    for (int i = 0; i < 2'000'000 && !stop.load() && absl::Now() < give_up; ++i) {
      absl::Notification done;
      roost_->Post(services::PostArgs{i % 4 == 0 ? kFriend : kBlocked, absl::StrCat("tweet ", i)},
                   [&](absl::StatusOr<services::PostResult> r) {
                     if (r.ok()) {
                       acked.fetch_add(1);
                       last.store(std::max(last.load(), r->position));
                     }
                     done.Notify();
                   });
      done.WaitForNotification();
      if (i % 500 == 499) {
        // Posting (the log, unsynced) outruns applying on a slow build: keep the
        // backlog short, so reads wait for the block, not for a million posts.
        absl::Notification applied;
        roost_->WhenApplied(last.load(), absl::Now() + absl::Seconds(60),
                            [&](absl::Status) { applied.Notify(); });
        applied.WaitForNotification();
      }
    }
  });
  for (const absl::Time give_up = absl::Now() + absl::Seconds(60); acked.load() < 300;) {
    if (absl::Now() > give_up) {
      stop.store(true);
      posters.join();
      FAIL() << "posts are not being acknowledged";
    }
    std::this_thread::yield();
  }
  // Before the block the blocked user's tweets are there (the test could not fail
  // otherwise).
  EXPECT_GT(Count(HomeAuthors(last.load()), kBlocked), 0);
  const LogOffset blocked = Edge(graph::kBlocks, kBlocker, kBlocked);
  const int acked_at_block = acked.load();
  // Reads at or after the block, while the blocked user keeps posting.
  for (int reads = 0; reads < 50; ++reads) {
    // At the block's position: later posts may or may not be applied yet, and none may
    // show either way.
    const std::vector<UserId> authors = HomeAuthors(blocked);
    if (Count(authors, kBlocked) != 0) {
      stop.store(true);
      posters.join();
      FAIL() << "read " << reads << " after the block shows the blocked user";
    }
  }
  stop.store(true);
  posters.join();
  EXPECT_GT(acked.load(), acked_at_block) << "the posts went on during the reads";
  const std::vector<UserId> end = HomeAuthors(last.load());
  EXPECT_EQ(Count(end, kBlocked), 0);
  EXPECT_GT(Count(end, kFriend), 0) << "the friend's tweets are still there";

  // Timelines rebuilt from the stores after a restart, and the log replayed into
  // fresh stores: the same.
  roost_.reset();
  Open();
  EXPECT_EQ(Count(HomeAuthors(roost_->appended_position()), kBlocked), 0) << "after a restart";
  roost_.reset();
  options_.rebuild = true;
  Open();
  EXPECT_EQ(Count(HomeAuthors(roost_->appended_position()), kBlocked), 0) << "after --rebuild";
  EXPECT_GT(Count(HomeAuthors(roost_->appended_position()), kFriend), 0);
}

INSTANTIATE_TEST_SUITE_P(Fanout, PrivacyTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Hybrid" : "Pushed";
                         });

}  // namespace
}  // namespace roost
