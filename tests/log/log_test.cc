// Log: appends, reopen, recovery of torn tails, segment rolling, locking, Close, and
// the sync policies.
#include "log/segmented_log.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "log/log_format.h"
#include "log/log_inspect.h"
#include "tests/log/log_test_util.h"

namespace roost::log::testing {
namespace {

using ::testing::HasSubstr;
// Appends Payload(i) for i in [from, to] and checks each gets offset i.
void AppendRange(Log& log, uint64_t from, uint64_t to) {
  for (uint64_t i = from; i <= to; ++i) {
    ASSERT_OK_AND_ASSIGN(const LogOffset offset, log.Append(Payload(i)));
    ASSERT_EQ(offset, i);
  }
}

// Checks that the log holds exactly Payload(1..n) at offsets 1..n.
void ExpectRecords(Log& log, uint64_t n) {
  ASSERT_EQ(log.durable_offset(), n);
  ASSERT_OK_AND_ASSIGN(const std::vector<LogRecord> records, ReadAll(log));
  ASSERT_EQ(records.size(), n);
  for (uint64_t i = 1; i <= n; ++i) {
    EXPECT_EQ(records[i - 1].offset, i);
    EXPECT_EQ(records[i - 1].payload, Payload(i));
  }
}

TEST(SyncPolicyTest, Parses) {
  EXPECT_EQ(ParseSyncPolicy("always").value(), SyncPolicy::kAlways);
  EXPECT_EQ(ParseSyncPolicy("interval").value(), SyncPolicy::kInterval);
  EXPECT_EQ(ParseSyncPolicy("none").value(), SyncPolicy::kNone);
  EXPECT_EQ(ParseSyncPolicy("sometimes").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LogTest, FreshLogIsEmpty) {
  TestDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
  EXPECT_EQ(log->durable_offset(), 0u);
  EXPECT_EQ(log->first_offset(), 1u);
  EXPECT_EQ(SegmentFiles(dir.path()), std::vector<std::string>{"00000000000000000001.log"});
  ASSERT_OK_AND_ASSIGN(auto reader, log->NewReader(1));
  std::vector<LogRecord> records;
  ASSERT_OK(reader->ReadBatch(10, absl::Now(), &records));
  EXPECT_TRUE(records.empty());
}

TEST(LogTest, ReopenSeesEveryRecordAtItsOffset) {
  TestDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
    AppendRange(*log, 1, 20);
  }
  ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
  ExpectRecords(*log, 20);
  AppendRange(*log, 21, 25);
  ExpectRecords(*log, 25);
}

TEST(LogTest, EmptyAndLargeRecordsRoundTrip) {
  TestDir dir;
  const std::string large(3 << 20, 'L');  // bigger than a reader's buffer
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
    ASSERT_OK(log->Append("").status());
    ASSERT_OK(log->Append(large).status());
    ASSERT_OK(log->Append("after").status());
  }
  ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
  ASSERT_OK_AND_ASSIGN(const std::vector<LogRecord> records, ReadAll(*log));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].payload, "");
  EXPECT_EQ(records[1].payload, large);
  EXPECT_EQ(records[2].payload, "after");
}

TEST(LogTest, OversizedRecordIsRejected) {
  TestDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
  EXPECT_EQ(log->Append(std::string(kMaxPayloadBytes + 1, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log->durable_offset(), 0u);
}

// Reopens a log whose tail got `garbage` appended and checks that exactly the garbage
// is dropped, reported, and that appends continue at the right offset.
void ExpectTailRepaired(const std::string& garbage) {
  TestDir dir;
  std::string tail;
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
    AppendRange(*log, 1, 3);
  }
  tail = dir.File(SegmentFiles(dir.path()).back());
  const std::string clean = ReadFileBytes(tail);
  AppendFileBytes(tail, garbage);

  ::testing::internal::CaptureStderr();
  absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir.path(), SegmentedLogOptions{});
  const std::string report = ::testing::internal::GetCapturedStderr();
  ASSERT_OK(log.status());
  EXPECT_THAT(report, HasSubstr(absl::StrCat("truncated ", garbage.size(), " bytes at offset 4")));
  EXPECT_THAT(report, HasSubstr(tail));
  EXPECT_EQ(ReadFileBytes(tail), clean);
  ExpectRecords(**log, 3);
  AppendRange(**log, 4, 5);
  ExpectRecords(**log, 5);
}

TEST(LogRecoveryTest, PartialLastFrameIsTruncated) {
  std::string frame;
  AppendFrame(&frame, 4, "a record cut short by a crash");
  ExpectTailRepaired(frame.substr(0, frame.size() - 5));
}

TEST(LogRecoveryTest, PartialFrameHeaderIsTruncated) {
  std::string frame;
  AppendFrame(&frame, 4, "x");
  ExpectTailRepaired(frame.substr(0, 7));
}

TEST(LogRecoveryTest, LastFrameWithBadCrcIsTruncated) {
  std::string frame;
  AppendFrame(&frame, 4, "a record whose bytes rotted");
  frame.back() ^= 1;
  ExpectTailRepaired(frame);
}

// Zeros past the last record are what the writer's reserved space looks like after a
// crash (env.h): trimmed, and not reported as a torn write.
TEST(LogRecoveryTest, TrailingZerosAreTrimmedSilently) {
  TestDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
    AppendRange(*log, 1, 3);
  }
  const std::string tail = dir.File(SegmentFiles(dir.path()).back());
  const std::string clean = ReadFileBytes(tail);
  AppendFileBytes(tail, std::string(4096, '\0'));

  ::testing::internal::CaptureStderr();
  absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir.path(), SegmentedLogOptions{});
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  ASSERT_OK(log.status());
  EXPECT_EQ(ReadFileBytes(tail), clean);
  ExpectRecords(**log, 3);
  AppendRange(**log, 4, 5);
  ExpectRecords(**log, 5);
}

TEST(LogRecoveryTest, GarbageBeforeTrailingZerosIsATornWrite) {
  ExpectTailRepaired(std::string("\x01\x02\x03") + std::string(4096, '\0'));
}

// The writer reserves zero-filled space ahead of its appends, so that a sync need not
// commit a size change; what it appended is never mistaken for it, nor read past.
TEST(LogTest, ReservedSpaceIsTrimmedOnCloseAndRollAndNeverRead) {
  TestDir dir;
  SegmentedLogOptions options;
  options.segment_bytes = 300;
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), options));
    AppendRange(*log, 1, 60);
    // The live tail holds reserved zeros past its records; sealed segments do not.
    const std::vector<std::string> files = SegmentFiles(dir.path());
    ASSERT_GT(files.size(), 2u);
    const std::string tail = ReadFileBytes(dir.File(files.back()));
    EXPECT_GT(tail.size(), options.segment_bytes);
    for (size_t i = 0; i + 1 < files.size(); ++i) {
      const std::string sealed = ReadFileBytes(dir.File(files[i]));
      EXPECT_LT(sealed.size(), options.segment_bytes + 200) << files[i];
      EXPECT_NE(sealed.back(), '\0') << files[i];
    }
    ExpectRecords(*log, 60);
  }
  // Closed: the tail is trimmed too, and reopens with no report.
  const std::string tail = dir.File(SegmentFiles(dir.path()).back());
  EXPECT_LT(ReadFileBytes(tail).size(), options.segment_bytes + 200);
  ::testing::internal::CaptureStderr();
  ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), options));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  ExpectRecords(*log, 60);
}

TEST(LogRecoveryTest, DamageFollowedByIntactRecordsInTheLastBatchIsATornWrite) {
  // Out-of-order writeback of an unsynced batch can leave a good record after a bad
  // one; both were unacknowledged, so the whole suffix goes.
  std::string frames;
  AppendFrame(&frames, 4, "torn");
  frames[kFrameHeaderSize] ^= 1;
  AppendFrame(&frames, 5, "written early");
  ExpectTailRepaired(frames);
}

// A log of `n` 500-byte records (more than kMaxBatchBytes), with one byte of record
// `bad` flipped; returns the tail segment's path.
std::string CorruptLog(const TestDir& dir, uint64_t n, uint64_t bad) {
  SegmentedLogOptions fast;
  fast.sync = SyncPolicy::kNone;
  {
    absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir.path(), fast);
    EXPECT_TRUE(log.ok()) << log.status();
    for (uint64_t i = 1; i <= n; ++i) (*log)->AppendAsync(std::string(500, 'r'), [](auto) {});
  }
  const std::string tail = dir.File(SegmentFiles(dir.path()).back());
  std::string bytes = ReadFileBytes(tail);
  bytes[kSegmentHeaderSize + (bad - 1) * FrameSize(500) + kFrameHeaderSize + 7] ^= 0x40;
  WriteFileBytes(tail, bytes);
  return tail;
}

TEST(LogRecoveryTest, CorruptionBeforeIntactRecordsFailsOpenAndChangesNothing) {
  TestDir dir;
  const std::string tail = CorruptLog(dir, 12000, 10);
  const std::string before = ReadFileBytes(tail);
  absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir.path(), SegmentedLogOptions{});
  ASSERT_EQ(log.status().code(), absl::StatusCode::kDataLoss) << log.status();
  EXPECT_THAT(log.status().message(), HasSubstr(tail));
  EXPECT_THAT(log.status().message(), HasSubstr("corrupt record at offset 10 "));
  EXPECT_THAT(log.status().message(), HasSubstr("intact records up to offset 12000"));
  EXPECT_THAT(log.status().message(), HasSubstr("--log-recover=truncate"));
  EXPECT_EQ(ReadFileBytes(tail), before);
}

TEST(LogRecoveryTest, RecoverTruncateCutsBeforeTheCorruptRecordAndSaysSo) {
  TestDir dir;
  const std::string tail = CorruptLog(dir, 12000, 10);
  SegmentedLogOptions options;
  options.recover = RecoverMode::kTruncate;
  ::testing::internal::CaptureStderr();
  absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir.path(), options);
  const std::string report = ::testing::internal::GetCapturedStderr();
  ASSERT_OK(log.status());
  EXPECT_THAT(report, HasSubstr("at offset 10 "));
  EXPECT_THAT(report, HasSubstr("--log-recover=truncate"));
  EXPECT_EQ((*log)->durable_offset(), 9u);
  ASSERT_OK_AND_ASSIGN(const LogOffset next, (*log)->Append("after"));
  EXPECT_EQ(next, 10u);
}

TEST(LogEpochTest, EveryOpenWritesSegmentsOfItsOwnEpoch) {
  TestDir dir;
  for (int open = 1; open <= 4; ++open) {
    ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
    if (open == 1) AppendRange(*log, 1, 3);
    if (open == 2) AppendRange(*log, 4, 5);
  }
  ASSERT_OK_AND_ASSIGN(const std::vector<SegmentSummary> segments,
                       ListSegments(Env::Default(), dir.path()));
  // Open 2 sealed segment 1 and began segment 4; open 3 sealed 4 and began 6; open
  // 4 found 6 empty and took it over.
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_EQ(segments[0].base, 1u);
  EXPECT_EQ(segments[0].epoch, 1u);
  EXPECT_EQ(segments[1].base, 4u);
  EXPECT_EQ(segments[1].epoch, 2u);
  EXPECT_EQ(segments[2].base, 6u);
  EXPECT_EQ(segments[2].epoch, 4u);
  ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
  ExpectRecords(*log, 5);
}

TEST(LogEpochTest, ASegmentOfAStaleWriterIsRejected) {
  TestDir dir;
  for (int open = 1; open <= 3; ++open) {
    ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
    AppendRange(*log, 2 * open - 1, 2 * open);
  }
  // Segments 1, 3 and 5 of epochs 1, 2, 3; make the middle one a stale writer's.
  const std::string stale = dir.File(SegmentFileName(3));
  std::string bytes = ReadFileBytes(stale);
  SegmentHeader header;
  header.epoch = 0;
  bytes.replace(0, kSegmentHeaderSize, EncodeSegmentHeader(header));
  WriteFileBytes(stale, bytes);

  absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir.path(), SegmentedLogOptions{});
  ASSERT_EQ(log.status().code(), absl::StatusCode::kDataLoss) << log.status();
  EXPECT_THAT(log.status().message(), HasSubstr(stale));
  EXPECT_THAT(log.status().message(), HasSubstr("stale writer"));
  absl::StatusOr<ScanResult> scan =
      ScanLog(Env::Default(), dir.path(), 1, 0, [](LogOffset, absl::string_view) { return true; });
  EXPECT_EQ(scan.status().code(), absl::StatusCode::kDataLoss) << scan.status();
}

// A log of 100 records of about 100 bytes in segments of about 1 KB.
std::unique_ptr<Log> SmallSegments(const TestDir& dir) {
  SegmentedLogOptions options;
  options.segment_bytes = 1000;
  absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir.path(), options);
  EXPECT_TRUE(log.ok()) << log.status();
  for (int i = 1; i <= 100; ++i) EXPECT_TRUE((*log)->Append(std::string(100, 'r')).ok());
  return std::move(*log);
}

TEST(LogTest, RollsASegmentByAgeAtTheNextAppend) {
  TestDir dir;
  SegmentedLogOptions options;
  options.segment_max_age = absl::Milliseconds(1);
  ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), options));
  AppendRange(*log, 1, 1);
  const absl::Time written = absl::Now();
  // The age is measured by the real clock; wait it out rather than guess it passed.
  while (absl::Now() - written < absl::Milliseconds(2)) {
  }
  AppendRange(*log, 2, 2);
  EXPECT_EQ(SegmentFiles(dir.path()).size(), 2u);
  ExpectRecords(*log, 2);
  // By size only (the default), the same appends share one segment.
  TestDir other;
  ASSERT_OK_AND_ASSIGN(auto plain, OpenSegmentedLog(other.path(), SegmentedLogOptions{}));
  AppendRange(*plain, 1, 2);
  EXPECT_EQ(SegmentFiles(other.path()).size(), 1u);
}

TEST(LogRetentionTest, BytesLimitDeletesOldSegmentsButNeverUncommittedOnes) {
  TestDir dir;
  std::unique_ptr<Log> log = SmallSegments(dir);
  const size_t segments = SegmentFiles(dir.path()).size();
  ASSERT_GT(segments, 10u);
  // Everything could go by size, but offsets from 40 on are not committed yet.
  RetentionPolicy policy;
  policy.max_bytes = 1;
  ASSERT_OK_AND_ASSIGN(const LogOffset first, log->ApplyRetention(policy, 40));
  EXPECT_GT(first, 1u);
  EXPECT_LE(first, 40u);
  EXPECT_LT(SegmentFiles(dir.path()).size(), segments);
  ASSERT_OK_AND_ASSIGN(std::vector<LogRecord> records, ReadAll(*log, 1));  // clamped
  EXPECT_EQ(records.front().offset, first);
  EXPECT_EQ(records.back().offset, 100u);
  // With everything committed, a 3 KB limit keeps about three segments.
  policy.max_bytes = 3000;
  ASSERT_OK_AND_ASSIGN(const LogOffset later, log->ApplyRetention(policy, 101));
  EXPECT_GT(later, first);
  uint64_t bytes = 0;
  for (const std::string& name : SegmentFiles(dir.path())) {
    const std::string data = ReadFileBytes(dir.File(name));
    // Not the live tail's reserved zeros: retention counts records, not reservations.
    bytes += data.find_last_not_of('\0') + 1;
  }
  EXPECT_LE(bytes, 3000u);
  EXPECT_EQ(log->first_offset(), later);
  // What is left reopens as it was.
  log.reset();
  ASSERT_OK_AND_ASSIGN(auto reopened, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
  EXPECT_EQ(reopened->first_offset(), later);
  EXPECT_EQ(reopened->durable_offset(), 100u);
}

TEST(LogRetentionTest, AgeLimitDeletesSegmentsLastWrittenLongAgo) {
  TestDir dir;
  std::unique_ptr<Log> log = SmallSegments(dir);
  const std::vector<std::string> names = SegmentFiles(dir.path());
  // The older half was last written two hours ago.
  for (size_t i = 0; i < names.size() / 2; ++i) {
    std::filesystem::last_write_time(
        dir.File(names[i]), std::filesystem::file_time_type::clock::now() - std::chrono::hours(2));
  }
  RetentionPolicy policy;
  policy.max_age = absl::Hours(1);
  ASSERT_OK_AND_ASSIGN(const LogOffset first, log->ApplyRetention(policy, 101));
  EXPECT_EQ(SegmentFiles(dir.path()).size(), names.size() - names.size() / 2);
  EXPECT_EQ(SegmentFiles(dir.path()).front(), names[names.size() / 2]);
  EXPECT_GT(first, 1u);
}

TEST(LogRetentionTest, AReaderInsideADeletedSegmentFinishesIt) {
  TestDir dir;
  std::unique_ptr<Log> log = SmallSegments(dir);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<LogReader> reader, log->NewReader(1));
  std::vector<LogRecord> batch;
  ASSERT_OK(reader->ReadBatch(1, absl::Now(), &batch));  // positioned in segment 1
  ASSERT_OK_AND_ASSIGN(const LogOffset first, log->TruncateBefore(50));
  ASSERT_GT(first, 2u);
  // It reads on through its open file to the end of that segment; the next segment
  // is gone, which it reports rather than skipping records.
  absl::Status status;
  while (status.ok() && batch.back().offset + 1 < first) {
    status = reader->ReadBatch(1000, absl::Now(), &batch);
  }
  EXPECT_FALSE(status.ok());
  EXPECT_GE(batch.back().offset, 2u);
}

TEST(RecoverModeTest, Parses) {
  EXPECT_EQ(ParseRecoverMode("fail").value(), RecoverMode::kFail);
  EXPECT_EQ(ParseRecoverMode("truncate").value(), RecoverMode::kTruncate);
  EXPECT_EQ(ParseRecoverMode("skip").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LogRecoveryTest, TrailingGarbageIsTruncated) {
  ExpectTailRepaired("\x13\x37 this is not a frame at all, but it is long enough");
}

TEST(LogRecoveryTest, UnfinishedSegmentIsReinitialized) {
  TestDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
    AppendRange(*log, 1, 3);
  }
  // A crash while creating the next segment left it shorter than its header.
  WriteFileBytes(dir.File(SegmentFileName(4)), "ROOST");
  ::testing::internal::CaptureStderr();
  absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir.path(), SegmentedLogOptions{});
  EXPECT_THAT(::testing::internal::GetCapturedStderr(), HasSubstr("truncated 5 bytes"));
  ASSERT_OK(log.status());
  ExpectRecords(**log, 3);
  AppendRange(**log, 4, 6);
  ExpectRecords(**log, 6);
  EXPECT_EQ(SegmentFiles(dir.path()).size(), 2u);
}

TEST(LogRecoveryTest, ForeignTailSegmentFailsOpen) {
  TestDir dir;
  { ASSERT_OK(OpenSegmentedLog(dir.path(), SegmentedLogOptions{}).status()); }
  WriteFileBytes(dir.File(SegmentFileName(1)), "NOTALOG! and some more bytes here");
  EXPECT_EQ(OpenSegmentedLog(dir.path(), SegmentedLogOptions{}).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(LogTest, RollsSegmentsAndReadsAcrossThem) {
  TestDir dir;
  SegmentedLogOptions options;
  options.segment_bytes = 200;  // about five records per segment
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), options));
    AppendRange(*log, 1, 30);
    ExpectRecords(*log, 30);
  }
  const std::vector<std::string> files = SegmentFiles(dir.path());
  ASSERT_GT(files.size(), 4u);
  // Each segment is named by its first record, and the names chain without gaps.
  for (const std::string& name : files) {
    LogOffset base;
    ASSERT_TRUE(ParseSegmentFileName(name, &base));
    const std::string bytes = ReadFileBytes(dir.File(name));
    Frame frame;
    ASSERT_EQ(DecodeFrame(absl::string_view(bytes).substr(kSegmentHeaderSize), base, &frame),
              FrameResult::kOk)
        << name;
  }
  ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), options));
  ExpectRecords(*log, 30);
  AppendRange(*log, 31, 40);
  ExpectRecords(*log, 40);
}

TEST(LogTest, SecondOpenOfTheSameDirectoryFails) {
  TestDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
  const absl::Status second = OpenSegmentedLog(dir.path(), SegmentedLogOptions{}).status();
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition) << second;
  log.reset();
  EXPECT_TRUE(OpenSegmentedLog(dir.path(), SegmentedLogOptions{}).ok());
}

TEST(LogTest, CloseRejectsLaterAppendsAndKeepsEarlierOnes) {
  TestDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
  AppendRange(*log, 1, 2);
  log->Close();
  log->Close();  // idempotent
  bool called = false;
  log->AppendAsync("late", [&called](absl::StatusOr<LogOffset> result) {
    called = true;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  });
  EXPECT_TRUE(called);
  EXPECT_EQ(log->Append("late").status().code(), absl::StatusCode::kUnavailable);
  log.reset();
  ASSERT_OK_AND_ASSIGN(log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
  ExpectRecords(*log, 2);
}

using LogCloseTest = FaultEnvLogTest;

TEST_F(LogCloseTest, CloseCompletesQueuedAppends) {
  OpenLog();
  env_.HoldSyncs();
  std::vector<absl::StatusOr<LogOffset>> results(10, absl::UnknownError("not run"));
  for (int i = 0; i < 10; ++i) {
    log_->AppendAsync(Payload(i + 1),
                      [&results, i](absl::StatusOr<LogOffset> result) { results[i] = result; });
  }
  env_.AwaitHeldSync();
  std::thread closer([this] { log_->Close(); });
  env_.ReleaseSyncs();
  closer.join();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status();
    EXPECT_EQ(*results[i], static_cast<LogOffset>(i + 1));
  }
}

TEST(LogTest, ConcurrentAppendersGetDenseUniqueOffsets) {
  TestDir dir;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  ASSERT_OK_AND_ASSIGN(auto log, OpenSegmentedLog(dir.path(), SegmentedLogOptions{}));
  std::vector<std::vector<std::pair<LogOffset, std::string>>> written(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, &written, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string payload = absl::StrCat("t", t, "-", i);
        absl::StatusOr<LogOffset> offset = log->Append(payload);
        ASSERT_TRUE(offset.ok()) << offset.status();
        written[t].emplace_back(*offset, std::move(payload));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::vector<std::string> by_offset(kThreads * kPerThread + 1);
  for (const auto& appends : written) {
    LogOffset previous = 0;
    for (const auto& [offset, payload] : appends) {
      ASSERT_GE(offset, 1u);
      ASSERT_LE(offset, by_offset.size() - 1);
      ASSERT_TRUE(by_offset[offset].empty()) << "offset " << offset << " given twice";
      EXPECT_GT(offset, previous);  // one thread's appends keep their order
      previous = offset;
      by_offset[offset] = payload;
    }
  }
  EXPECT_EQ(log->durable_offset(), static_cast<LogOffset>(kThreads * kPerThread));
  ASSERT_OK_AND_ASSIGN(const std::vector<LogRecord> records, ReadAll(*log));
  ASSERT_EQ(records.size(), by_offset.size() - 1);
  for (const LogRecord& record : records) EXPECT_EQ(record.payload, by_offset[record.offset]);
}

using LogSyncPolicyTest = FaultEnvLogTest;

TEST_F(LogSyncPolicyTest, AlwaysCommitsAQueuedBatchWithOneSync) {
  OpenLog();
  const int syncs_at_open = env_.syncs.load();
  env_.HoldSyncs();
  absl::StatusOr<LogOffset> first = absl::UnknownError("not run");
  log_->AppendAsync("first", [&first](absl::StatusOr<LogOffset> r) { first = r; });
  env_.AwaitHeldSync();  // "first" is written, not yet durable
  EXPECT_EQ(log_->durable_offset(), 0u);
  std::atomic<int> acknowledged{0};
  for (int i = 0; i < 50; ++i) {
    log_->AppendAsync("queued", [&acknowledged](absl::StatusOr<LogOffset> r) {
      if (r.ok()) ++acknowledged;
    });
  }
  env_.ReleaseSyncs();
  EXPECT_EQ(log_->WaitForDurable(51, absl::InfiniteFuture()), 51u);
  log_->Close();
  ASSERT_OK(first.status());
  EXPECT_EQ(acknowledged.load(), 50);
  EXPECT_EQ(env_.syncs.load() - syncs_at_open, 2);  // one per batch
}

TEST_F(LogSyncPolicyTest, AQueueLargerThanABatchIsCommittedInBoundedBatches) {
  OpenLog();
  const int syncs_at_open = env_.syncs.load();
  env_.HoldSyncs();
  log_->AppendAsync("first", [](absl::StatusOr<LogOffset>) {});
  env_.AwaitHeldSync();
  // Ten 1 MiB records: three fit in kMaxBatchBytes, so batches of 3, 3, 3 and 1.
  for (int i = 0; i < 10; ++i) {
    log_->AppendAsync(std::string(1 << 20, 'm'), [](absl::StatusOr<LogOffset>) {});
  }
  env_.ReleaseSyncs();
  EXPECT_EQ(log_->WaitForDurable(11, absl::InfiniteFuture()), 11u);
  EXPECT_EQ(env_.syncs.load() - syncs_at_open, 5);
}

TEST_F(LogSyncPolicyTest, IntervalAcknowledgesBeforeSyncingAndSyncsOnClose) {
  SegmentedLogOptions options;
  options.sync = SyncPolicy::kInterval;
  options.sync_interval = absl::Hours(1);
  OpenLog(options);
  const int syncs_at_open = env_.syncs.load();
  AppendRange(*log_, 1, 10);
  EXPECT_EQ(env_.syncs.load(), syncs_at_open);
  log_->Close();
  EXPECT_EQ(env_.syncs.load(), syncs_at_open + 1);
}

TEST_F(LogSyncPolicyTest, NoneNeverSyncs) {
  SegmentedLogOptions options;
  options.sync = SyncPolicy::kNone;
  options.segment_bytes = 100;
  OpenLog(options);
  AppendRange(*log_, 1, 10);
  log_->Close();
  EXPECT_EQ(env_.syncs.load(), 0);
  EXPECT_GT(SegmentFiles(dir_.path()).size(), 1u);
}

TEST(LogTest, RejectsBadOptions) {
  TestDir dir;
  SegmentedLogOptions options;
  options.segment_bytes = 0;
  EXPECT_EQ(OpenSegmentedLog(dir.path(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace roost::log::testing
