// Faults of the disk under the engine (through the log's Env): failed fdatasync, torn
// writes, a full disk, failed segment creation and read errors. Writes in a fault get
// UNAVAILABLE or RESOURCE_EXHAUSTED, reads keep working, the service resumes once the
// fault clears, and after a restart every acknowledged write is there exactly once and
// no refused one is.
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/roost.h"
#include "tests/log/log_test_util.h"
#include "tests/services/engine_fixture.h"

namespace roost {
namespace {

constexpr UserId kReader = 1, kAuthor = 2;

class RoostFaultTest : public services::testing::EngineFixture<> {
 protected:
  RoostFaultTest() : EngineFixture("roost_fault_test") {}
  void SetUp() override {
    options_.log_env = &env_;
    options_.log_segment_bytes = 1024;  // segments roll often: creation faults matter
    Open();
    ASSERT_TRUE(Wait([&](auto done) {
                  roost_->SetEdge(graph::kFollows, kReader, kAuthor, graph::EdgeState::kNormal,
                                  std::move(done));
                }).ok());
  }
  // Posts a numbered tweet; records it as acknowledged or refused.
  absl::Status Post() {
    const std::string text = absl::StrCat("tweet ", ++posts_);
    const absl::StatusOr<services::PostResult> result = Wait<services::PostResult>([&](auto done) {
      roost_->Post(services::PostArgs{kAuthor, text}, std::move(done));
    });
    if (result.ok()) {
      acked_.insert(text);
      last_position_ = result->position;
    } else {
      refused_.insert(text);
    }
    return result.status();
  }
  // The author's tweets as the reader's home timeline shows them, after `position`.
  absl::StatusOr<std::vector<std::string>> Home(LogOffset position) {
    absl::Notification applied;
    absl::Status waited;
    roost_->WhenApplied(position, absl::Now() + absl::Seconds(30), [&](absl::Status s) {
      waited = s;
      applied.Notify();
    });
    applied.WaitForNotification();
    if (!waited.ok()) return waited;
    services::TimelineQuery query;
    query.user = kReader;
    query.limit = 200;
    query.hydrate = true;
    absl::StatusOr<services::TimelineResult> page = roost_->HomeTimeline(query);
    if (!page.ok()) return page.status();
    std::vector<std::string> texts;
    for (const tweetstore::Tweet& tweet : page->tweets) texts.push_back(tweet.text);
    return texts;
  }
  // Every acknowledged tweet is in the home timeline once, no refused one is.
  void ExpectExactlyTheAcknowledged(LogOffset position, const std::string& when) {
    absl::StatusOr<std::vector<std::string>> texts = Home(position);
    ASSERT_TRUE(texts.ok()) << when << ": " << texts.status();
    std::multiset<std::string> seen(texts->begin(), texts->end());
    EXPECT_EQ(seen.size(), acked_.size()) << when;
    for (const std::string& text : acked_) EXPECT_EQ(seen.count(text), 1u) << when << ": " << text;
    for (const std::string& text : refused_)
      EXPECT_EQ(seen.count(text), 0u) << when << ": " << text;
  }

  log::testing::FaultEnv env_;
  int posts_ = 0;
  std::set<std::string> acked_, refused_;
  LogOffset last_position_ = 0;
};

TEST_F(RoostFaultTest, WritesFailClearlyInAFaultReadsGoOnAndServiceResumes) {
  int faults = 0;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(Post().ok());

    // A failed fdatasync: the write is refused, not acknowledged.
    env_.fail_syncs = 1;
    ++faults;
    EXPECT_TRUE(absl::IsUnavailable(Post()));
    // A torn write (half the frame reaches the file).
    env_.append_error = absl::StatusCode::kUnavailable;
    env_.fail_appends = 1;
    ++faults;
    EXPECT_TRUE(absl::IsUnavailable(Post()));
    // A full disk.
    env_.append_error = absl::StatusCode::kResourceExhausted;
    env_.fail_appends = 1;
    ++faults;
    EXPECT_TRUE(absl::IsResourceExhausted(Post()));
    // Reads are served meanwhile.
    ExpectExactlyTheAcknowledged(last_position_, absl::StrCat("round ", round, ", in faults"));
    // The faults are spent: writes are acknowledged again.
    ASSERT_TRUE(Post().ok());
    // A segment that cannot be created (every few rounds the log rolls).
    if (round % 3 == 2) {
      env_.fail_creates = 1;
      ++faults;
      for (int i = 0; i < 100 && env_.fail_creates.load() > 0; ++i) (void)Post();
      EXPECT_EQ(env_.fail_creates.load(), 0) << "the log rolled a segment";
    }
  }
  ExpectExactlyTheAcknowledged(last_position_, "after the faults");
  EXPECT_EQ(roost_->status(), absl::OkStatus());

  // Restarted over the real file system: the log holds exactly what was acknowledged.
  roost_.reset();
  options_.log_env = nullptr;
  Open();
  ExpectExactlyTheAcknowledged(roost_->appended_position(), "after a restart");
  std::printf("%d faults injected, %zu writes acknowledged, %zu refused, 0 lost, 0 doubled\n",
              faults, acked_.size(), refused_.size());
}

TEST_F(RoostFaultTest, ReadErrorsPauseApplyingAndItResumesWhenTheyClear) {
  ASSERT_TRUE(Post().ok());
  ExpectExactlyTheAcknowledged(last_position_, "before");
  const int64_t errors_before = roost_->Counters()["pipeline.log_read_errors"];

  env_.reads_broken = true;  // the pipeline's reader fails on every read
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Post().ok());  // writes need no reads
  // Applying waits; a read with min_position times out rather than failing or lying.
  absl::Notification waited;
  absl::Status wait;
  roost_->WhenApplied(last_position_, absl::Now() + absl::Milliseconds(300), [&](absl::Status s) {
    wait = s;
    waited.Notify();
  });
  waited.WaitForNotification();
  EXPECT_TRUE(absl::IsDeadlineExceeded(wait)) << wait;
  EXPECT_GT(roost_->Counters()["pipeline.log_read_errors"], errors_before);
  EXPECT_EQ(roost_->status(), absl::OkStatus()) << "a read error must not stop the pipeline";
  // What was applied before is still read.
  services::TimelineQuery query;
  query.user = kReader;
  absl::StatusOr<services::TimelineResult> page = roost_->HomeTimeline(query);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->ids.size(), 1u);

  env_.reads_broken = false;
  ExpectExactlyTheAcknowledged(last_position_, "after the read errors cleared");
}

}  // namespace
}  // namespace roost
