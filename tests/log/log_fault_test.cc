// The writer under injected failures: a failed sync or write fails its whole batch,
// nothing is acknowledged until the log is healthy again, and nothing acknowledged is
// lost across a reopen.
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "log/segmented_log.h"
#include "tests/log/log_test_util.h"

namespace roost::log::testing {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
class LogFaultTest : public FaultEnvLogTest {
 protected:
  void Open(SyncPolicy sync = SyncPolicy::kAlways, uint64_t segment_bytes = 1 << 20,
            absl::Duration sync_interval = absl::Milliseconds(10)) {
    SegmentedLogOptions options;
    options.sync = sync;
    options.sync_interval = sync_interval;
    options.segment_bytes = segment_bytes;
    OpenLog(options);
  }

  // Appends `payload`; records it as acknowledged when the append succeeds.
  absl::StatusOr<LogOffset> Append(const std::string& payload) {
    absl::StatusOr<LogOffset> offset = log_->Append(payload);
    if (offset.ok()) acknowledged_.push_back(payload);
    return offset;
  }

  // Reopens the log without faults and checks it holds exactly the acknowledged
  // records, in order, with no repair needed.
  void ExpectAcknowledgedSurviveReopen() {
    log_.reset();
    ::testing::internal::CaptureStderr();
    absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir_.path(), SegmentedLogOptions{});
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");  // nothing was torn
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_OK_AND_ASSIGN(const std::vector<LogRecord> records, ReadAll(**log));
    std::vector<std::string> payloads;
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(records[i].offset, i + 1);
      payloads.push_back(records[i].payload);
    }
    EXPECT_THAT(payloads, ElementsAreArray(acknowledged_));
  }

  std::vector<std::string> acknowledged_;
};

TEST_F(LogFaultTest, FailedSyncFailsTheBatchAndTheNextAppendSucceeds) {
  Open();
  ASSERT_OK_AND_ASSIGN(LogOffset offset, Append("a"));
  EXPECT_EQ(offset, 1u);
  env_.fail_syncs = 1;
  const absl::Status failed = Append("b").status();
  EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
  EXPECT_THAT(failed.message(), HasSubstr("injected fdatasync failure"));
  EXPECT_EQ(log_->durable_offset(), 1u);
  // "b" was never acknowledged and is gone, so its offset is used again.
  ASSERT_OK_AND_ASSIGN(offset, Append("c"));
  EXPECT_EQ(offset, 2u);
  ExpectAcknowledgedSurviveReopen();
}

TEST_F(LogFaultTest, NothingIsAcknowledgedUntilASyncSucceeds) {
  Open();
  ASSERT_OK(Append("a").status());
  env_.fail_syncs = 3;  // the batch's sync, then two retries before later batches
  EXPECT_EQ(Append("b").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Append("c").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Append("d").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(env_.fail_syncs.load(), 0);
  ASSERT_OK_AND_ASSIGN(const LogOffset offset, Append("e"));
  EXPECT_EQ(offset, 2u);
  ExpectAcknowledgedSurviveReopen();
}

TEST_F(LogFaultTest, TornWriteIsRolledBackBeforeTheNextBatch) {
  Open();
  ASSERT_OK(Append("first record").status());
  env_.fail_appends = 1;  // half of the frame reaches the file
  EXPECT_EQ(Append("torn record").status().code(), absl::StatusCode::kUnavailable);
  ASSERT_OK_AND_ASSIGN(const LogOffset offset, Append("third record"));
  EXPECT_EQ(offset, 2u);
  ExpectAcknowledgedSurviveReopen();
}

TEST_F(LogFaultTest, FullDiskIsResourceExhausted) {
  Open();
  ASSERT_OK(Append("a").status());
  env_.append_error = absl::StatusCode::kResourceExhausted;
  env_.fail_appends = 1;
  EXPECT_EQ(Append("b").status().code(), absl::StatusCode::kResourceExhausted);
  ASSERT_OK(Append("c").status());
  ExpectAcknowledgedSurviveReopen();
}

TEST_F(LogFaultTest, WholeBatchFailsTogether) {
  Open();
  env_.HoldSyncs();
  std::vector<absl::StatusOr<LogOffset>> results(20, absl::UnknownError("not run"));
  log_->AppendAsync("x", [&results](absl::StatusOr<LogOffset> r) { results[0] = r; });
  env_.AwaitHeldSync();
  for (int i = 1; i < 20; ++i) {
    log_->AppendAsync("y", [&results, i](absl::StatusOr<LogOffset> r) { results[i] = r; });
  }
  env_.fail_syncs = 2;  // fails the first batch's sync and the retry before the second
  env_.ReleaseSyncs();
  log_->Close();
  for (const auto& result : results) {
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  }
  ExpectAcknowledgedSurviveReopen();
}

TEST_F(LogFaultTest, FailedIntervalSyncFailsTheBatchThatNeededIt) {
  // With a long interval the only sync is the one that seals a full segment before
  // the next batch starts a new one.
  Open(SyncPolicy::kInterval, /*segment_bytes=*/64, absl::Hours(1));
  ASSERT_OK(Append("acknowledged on write, before any sync").status());
  EXPECT_EQ(env_.syncs.load(), 1);  // the segment's header, at creation
  env_.fail_syncs = 2;              // the sealing sync, then its retry before the next batch
  EXPECT_EQ(Append("b").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Append("c").status().code(), absl::StatusCode::kUnavailable);
  ASSERT_OK_AND_ASSIGN(const LogOffset offset, Append("d"));
  EXPECT_EQ(offset, 2u);
  EXPECT_EQ(SegmentFiles(dir_.path()).size(), 2u);
  ExpectAcknowledgedSurviveReopen();
}

TEST_F(LogFaultTest, FailedSegmentCreationFailsTheBatchAndIsRetried) {
  Open(SyncPolicy::kAlways, /*segment_bytes=*/64);
  ASSERT_OK(Append("fills the first segment past its size").status());
  env_.fail_creates = 1;
  EXPECT_EQ(Append("b").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SegmentFiles(dir_.path()).size(), 1u);
  ASSERT_OK(Append("c").status());
  EXPECT_EQ(SegmentFiles(dir_.path()).size(), 2u);
  ExpectAcknowledgedSurviveReopen();
}

}  // namespace
}  // namespace roost::log::testing
