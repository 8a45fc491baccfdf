// The engine in process (as the embedded load generator uses it): request-id
// deduplication across its window and a restart, and draining.
#include "services/roost.h"

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/ids.h"
#include "gtest/gtest.h"
#include "roost/v1/events.pb.h"
#include "tests/services/engine_fixture.h"

namespace roost {
namespace {

class RoostTest : public services::testing::EngineFixture<> {
 protected:
  RoostTest() : EngineFixture("roost_test") {}
  void SetUp() override {
    options_.log_sync = log::SyncPolicy::kNone;
    options_.clock = &clock_;
    Open();
  }

  // Posts and waits for the answer.
  absl::StatusOr<services::PostResult> Post(UserId author, const std::string& request_id) {
    return Wait<services::PostResult>([&](auto done) {
      roost_->Post(services::PostArgs{author, "hello", 0, 0, request_id}, std::move(done));
    });
  }

  ManualClock clock_{kRoostEpochMs + 1000000000};
};

// Concurrent writers of every kind: the log holds their events in id order, which is
// what lets last-write-wins by id and replay in log order agree.
TEST_F(RoostTest, TheLogHoldsEventsInIdOrderUnderConcurrentWriters) {
  constexpr int kThreads = 4, kPerThread = 300;
  std::atomic<int> failed{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      absl::BlockingCounter acked(kPerThread);
      for (int i = 0; i < kPerThread; ++i) {
        auto count = [&](absl::Status s) {
          if (!s.ok()) failed.fetch_add(1);
          acked.DecrementCount();
        };
        const UserId user = 10 + t;
        switch (i % 3) {
          case 0:
            roost_->Post(
                services::PostArgs{user, "hello"},
                [count](absl::StatusOr<services::PostResult> r) mutable { count(r.status()); });
            break;
          case 1:
            roost_->SetEdge(graph::kFollows, user, 100 + i, graph::EdgeState::kNormal,
                            [count](absl::StatusOr<LogOffset> r) mutable { count(r.status()); });
            break;
          default:
            roost_->MassChange(graph::kFollows, user, graph::kNormalOnly,
                               graph::EdgeState::kArchived,
                               [count](absl::StatusOr<LogOffset> r) mutable { count(r.status()); });
        }
      }
      acked.Wait();
    });
  }
  for (std::thread& w : writers) w.join();
  ASSERT_EQ(failed.load(), 0);

  absl::StatusOr<std::unique_ptr<log::LogReader>> reader = roost_->NewChangeReader(1);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<log::LogRecord> records;
  ASSERT_TRUE((*reader)->ReadBatch(kThreads * kPerThread, absl::Now(), &records).ok());
  ASSERT_EQ(records.size(), size_t{kThreads * kPerThread});
  uint64_t previous = 0;
  for (const log::LogRecord& record : records) {
    v1::events::Event event;
    ASSERT_TRUE(event.ParseFromString(record.payload));
    EXPECT_GT(event.event_id(), previous) << "at log offset " << record.offset;
    previous = event.event_id();
  }
  reader->reset();
}

TEST_F(RoostTest, RequestIdAnswersRetriesWithinItsWindowOnly) {
  absl::StatusOr<services::PostResult> first = Post(1, "r");
  ASSERT_TRUE(first.ok()) << first.status();
  clock_.Advance(absl::ToInt64Milliseconds(absl::Hours(23)));
  absl::StatusOr<services::PostResult> retry = Post(1, "r");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->tweet_id, first->tweet_id);
  EXPECT_EQ(retry->position, first->position);
  // Another author's request id is another request.
  absl::StatusOr<services::PostResult> other = Post(2, "r");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->tweet_id, first->tweet_id);

  // Past the window the id is free again, in memory and, after a restart, in the store.
  clock_.Advance(absl::ToInt64Milliseconds(absl::Hours(2)));
  absl::StatusOr<services::PostResult> reused = Post(1, "r");
  ASSERT_TRUE(reused.ok());
  EXPECT_NE(reused->tweet_id, first->tweet_id);
  roost_.reset();
  Open();
  absl::StatusOr<services::PostResult> reused_retry = Post(1, "r");
  ASSERT_TRUE(reused_retry.ok());
  EXPECT_EQ(reused_retry->tweet_id, reused->tweet_id) << "the later post owns the id now";
}

TEST_F(RoostTest, DrainRefusesNewWritesWithUnavailable) {
  ASSERT_TRUE(Post(1, "").ok());
  EXPECT_TRUE(roost_->Drain(absl::Now() + absl::Seconds(30)));
  absl::StatusOr<services::PostResult> refused = Post(1, "");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  const LogOffset end = roost_->appended_position();
  EXPECT_EQ(end, 1u);
}

// A read handed to ReadWhenApplied never runs on the caller's thread, whether its
// position is already applied or must be waited for, nor does a wait's error.
TEST_F(RoostTest, ReadWhenAppliedNeverRunsTheReadOnTheCallersThread) {
  ASSERT_TRUE(Post(7, "").ok());
  const LogOffset appended = roost_->appended_position();
  for (const LogOffset position : {LogOffset{0}, appended, appended + 1}) {
    absl::Notification ran;
    std::thread::id reader;
    absl::Status ready;
    roost_->ReadWhenApplied(position, absl::Now() + absl::Seconds(30), [&](absl::Status s) {
      reader = std::this_thread::get_id();
      ready = s;
      ran.Notify();
    });
    ran.WaitForNotification();
    EXPECT_NE(reader, std::this_thread::get_id()) << "position " << position;
    EXPECT_EQ(ready.code(),
              position > appended ? absl::StatusCode::kOutOfRange : absl::StatusCode::kOk);
  }
}

}  // namespace
}  // namespace roost
