// LogReader: positioning, waiting for appends, reading only durable records, and
// detecting corruption.
#include "log/log_reader.h"

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "log/log_format.h"
#include "log/segmented_log.h"
#include "tests/log/log_test_util.h"

namespace roost::log::testing {
namespace {

using ::testing::HasSubstr;
// A log in a fresh directory with Payload(1..n) appended; small segments so that
// reads cross segment boundaries.
class LogReaderTest : public ::testing::Test {
 protected:
  void OpenWithRecords(uint64_t n, SegmentedLogOptions options = SmallSegments()) {
    absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir_.path(), options);
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(log).value();
    for (uint64_t i = 1; i <= n; ++i) ASSERT_OK(log_->Append(Payload(i)).status());
  }

  static SegmentedLogOptions SmallSegments() {
    SegmentedLogOptions options;
    options.segment_bytes = 256;
    options.sync = SyncPolicy::kNone;  // these tests are about reading, not durability
    return options;
  }

  TestDir dir_;
  std::unique_ptr<Log> log_;
};

TEST_F(LogReaderTest, StartsAnywhereAndReadsToTheEnd) {
  OpenWithRecords(40);
  ASSERT_GT(SegmentFiles(dir_.path()).size(), 3u);
  for (LogOffset start = 1; start <= 41; ++start) {
    ASSERT_OK_AND_ASSIGN(const std::vector<LogRecord> records, ReadAll(*log_, start));
    ASSERT_EQ(records.size(), 41 - start) << "start " << start;
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(records[i].offset, start + i);
      EXPECT_EQ(records[i].payload, Payload(start + i));
    }
  }
}

TEST_F(LogReaderTest, ReadsInBatchesOfAtMostMaxRecords) {
  OpenWithRecords(10);
  ASSERT_OK_AND_ASSIGN(auto reader, log_->NewReader(3));
  EXPECT_EQ(reader->next_offset(), 3u);
  std::vector<LogRecord> records;
  ASSERT_OK(reader->ReadBatch(4, absl::InfinitePast(), &records));
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records.back().offset, 6u);
  EXPECT_EQ(reader->next_offset(), 7u);
  ASSERT_OK(reader->ReadBatch(100, absl::InfinitePast(), &records));
  EXPECT_EQ(records.size(), 8u);
  EXPECT_EQ(reader->next_offset(), 11u);
}

TEST_F(LogReaderTest, StartIsClampedBelowAndBoundedAbove) {
  OpenWithRecords(5);
  ASSERT_OK_AND_ASSIGN(auto reader, log_->NewReader(0));
  EXPECT_EQ(reader->next_offset(), 1u);
  EXPECT_TRUE(log_->NewReader(6).ok());  // the next record's offset
  EXPECT_EQ(log_->NewReader(7).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(LogReaderTest, ReadBatchTimesOutWithNothing) {
  OpenWithRecords(2);
  ASSERT_OK_AND_ASSIGN(auto reader, log_->NewReader(3));
  std::vector<LogRecord> records;
  ASSERT_OK(reader->ReadBatch(10, absl::Now() + absl::Milliseconds(20), &records));
  EXPECT_TRUE(records.empty());
  EXPECT_EQ(reader->next_offset(), 3u);
}

TEST_F(LogReaderTest, BlockedReaderIsWokenByAnAppend) {
  OpenWithRecords(7);  // the tail segment is part full
  ASSERT_OK_AND_ASSIGN(auto reader, log_->NewReader(8));
  std::vector<LogRecord> records;
  absl::Status status;
  std::thread consumer([&] {
    // Far enough in the future that only the append can end the wait in time.
    status = reader->ReadBatch(10, absl::Now() + absl::Minutes(5), &records);
  });
  EXPECT_TRUE(log_->Append(Payload(8)).ok());  // no ASSERT: the consumer must be joined
  consumer.join();
  ASSERT_OK(status);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].offset, 8u);
  EXPECT_EQ(records[0].payload, Payload(8));
}

TEST_F(LogReaderTest, TailingReaderFollowsIntoNewSegments) {
  OpenWithRecords(0);
  ASSERT_OK_AND_ASSIGN(auto reader, log_->NewReader(1));
  std::vector<LogRecord> records;
  absl::Status status;
  std::thread consumer([&] {
    while (status.ok() && records.size() < 60) {
      status = reader->ReadBatch(7, absl::Now() + absl::Minutes(5), &records);
    }
  });
  for (uint64_t i = 1; i <= 60; ++i) EXPECT_TRUE(log_->Append(Payload(i)).ok());
  consumer.join();
  ASSERT_OK(status);
  ASSERT_EQ(records.size(), 60u);
  for (uint64_t i = 1; i <= 60; ++i) EXPECT_EQ(records[i - 1].payload, Payload(i));
  EXPECT_GT(SegmentFiles(dir_.path()).size(), 5u);
}

TEST_F(LogReaderTest, CloseWakesABlockedReader) {
  OpenWithRecords(1);
  ASSERT_OK_AND_ASSIGN(auto reader, log_->NewReader(2));
  absl::Status status;
  std::thread consumer([&] {
    std::vector<LogRecord> records;
    status = reader->ReadBatch(10, absl::Now() + absl::Minutes(5), &records);
  });
  log_->Close();
  consumer.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

TEST_F(LogReaderTest, SeesOnlyDurableRecords) {
  FaultEnv env;
  SegmentedLogOptions options;
  options.env = &env;
  OpenWithRecords(1, options);
  ASSERT_OK_AND_ASSIGN(auto reader, log_->NewReader(1));
  env.HoldSyncs();
  absl::StatusOr<LogOffset> second = absl::UnknownError("not run");
  log_->AppendAsync(Payload(2), [&second](absl::StatusOr<LogOffset> r) { second = r; });
  env.AwaitHeldSync();  // record 2 is in the file, not yet synced

  std::vector<LogRecord> records;
  ASSERT_OK(reader->ReadBatch(10, absl::InfinitePast(), &records));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].offset, 1u);

  env.ReleaseSyncs();
  ASSERT_OK(reader->ReadBatch(10, absl::Now() + absl::Minutes(5), &records));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].payload, Payload(2));
  log_->Close();  // joins the writer, so `second` is safe to read
  ASSERT_OK(second.status());
  EXPECT_EQ(*second, 2u);
}

TEST_F(LogReaderTest, CorruptRecordInASealedSegmentIsDataLoss) {
  OpenWithRecords(20);
  log_.reset();
  const std::string first = dir_.File(SegmentFiles(dir_.path()).front());
  std::string bytes = ReadFileBytes(first);
  // The second frame's payload: Open scans only the tail, so this goes unnoticed
  // until a reader reaches it.
  const size_t second_frame = kSegmentHeaderSize + FrameSize(Payload(1).size());
  bytes[second_frame + kFrameHeaderSize] ^= 0x20;
  WriteFileBytes(first, bytes);

  ASSERT_OK_AND_ASSIGN(log_, OpenSegmentedLog(dir_.path(), SmallSegments()));
  ASSERT_OK_AND_ASSIGN(auto reader, log_->NewReader(1));
  std::vector<LogRecord> records;
  const absl::Status status = reader->ReadBatch(10, absl::InfinitePast(), &records);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr(first));
  EXPECT_THAT(status.message(), HasSubstr("offset 2"));
  ASSERT_EQ(records.size(), 1u);  // the record before the damage was delivered
  EXPECT_EQ(reader->next_offset(), 2u);
}

}  // namespace
}  // namespace roost::log::testing
