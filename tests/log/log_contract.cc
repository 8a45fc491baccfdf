#include "tests/log/log_contract.h"

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "log/log_format.h"
#include "log/log_reader.h"
#include "tests/common/test_dir.h"

namespace roost::log::testing {
namespace {

std::string Record(int i) { return absl::StrCat("r", i); }

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

}  // namespace

void LogContractTest::SetUp() {
  dir_ = roost::testing::FreshTestDir("log_contract");
  std::filesystem::create_directories(dir_);
  log_ = GetParam().open(dir_);
  ASSERT_NE(log_, nullptr);
}

void LogContractTest::AppendRecords(int first, int n) {
  for (int i = first; i < first + n; ++i) {
    absl::StatusOr<LogOffset> offset = log_->Append(Record(i));
    ASSERT_TRUE(offset.ok()) << offset.status();
    ASSERT_EQ(*offset, static_cast<LogOffset>(i));
  }
}

TEST_P(LogContractTest, AFreshLogIsEmptyAndStartsAtOne) {
  EXPECT_EQ(log().durable_offset(), 0u);
  EXPECT_EQ(log().first_offset(), 1u);
  absl::StatusOr<std::unique_ptr<LogReader>> reader = log().NewReader(1);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<LogRecord> records;
  EXPECT_TRUE((*reader)->ReadBatch(10, absl::Now(), &records).ok());
  EXPECT_TRUE(records.empty());
  EXPECT_EQ(log().NewReader(2).status().code(), absl::StatusCode::kOutOfRange);
}

TEST_P(LogContractTest, ConcurrentAppendsGetDenseOffsetsAndReadersSeeThemInOrder) {
  constexpr int kThreads = 4, kEach = 250;
  std::vector<std::thread> writers;
  std::vector<std::vector<LogOffset>> offsets(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        absl::Notification done;
        log().AppendAsync(Record(t * kEach + i), [&](absl::StatusOr<LogOffset> offset) {
          EXPECT_TRUE(offset.ok()) << offset.status();
          offsets[t].push_back(offset.value_or(0));
          done.Notify();
        });
        done.WaitForNotification();
      }
    });
  }
  for (std::thread& w : writers) w.join();
  absl::flat_hash_set<LogOffset> seen;
  for (const auto& list : offsets) seen.insert(list.begin(), list.end());
  EXPECT_EQ(seen.size(), size_t{kThreads * kEach});
  EXPECT_EQ(log().durable_offset(), LogOffset{kThreads * kEach});

  auto reader = log().NewReader(1);
  ASSERT_TRUE(reader.ok());
  std::vector<LogRecord> records;
  while (records.size() < kThreads * kEach) {
    ASSERT_TRUE((*reader)->ReadBatch(100, Soon(), &records).ok());
  }
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i].offset, i + 1);
  EXPECT_EQ((*reader)->next_offset(), LogOffset{kThreads * kEach + 1});
}

TEST_P(LogContractTest, AReaderFromAPositionStartsThereAndWaitsForTheNextRecord) {
  AppendRecords(1, 5);
  auto reader = log().NewReader(4);
  ASSERT_TRUE(reader.ok());
  std::vector<LogRecord> records;
  ASSERT_TRUE((*reader)->ReadBatch(10, Soon(), &records).ok());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].offset, 4u);
  EXPECT_EQ(records[0].payload, Record(4));

  std::vector<LogRecord> next;
  std::thread waiter([&] { EXPECT_TRUE((*reader)->ReadBatch(10, Soon(), &next).ok()); });
  AppendRecords(6, 1);
  waiter.join();
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].offset, 6u);
  EXPECT_EQ(next[0].payload, Record(6));
  EXPECT_EQ(log().WaitForDurable(6, Soon()), 6u);
  EXPECT_EQ(log().WaitForDurable(7, absl::Now() + absl::Milliseconds(5)), 6u);
}

TEST_P(LogContractTest, RetentionNeverDeletesWhatAStoreHasNotCommitted) {
  AppendRecords(1, 300);
  RetentionPolicy everything;
  everything.max_bytes = 1;
  absl::StatusOr<LogOffset> first = log().ApplyRetention(everything, /*protect_from=*/120);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_LE(*first, 120u);
  EXPECT_EQ(log().first_offset(), *first);
  auto reader = log().NewReader(1);  // below first_offset: starts there
  ASSERT_TRUE(reader.ok());
  std::vector<LogRecord> records;
  while (records.size() < 300 - *first + 1) {
    ASSERT_TRUE((*reader)->ReadBatch(1000, Soon(), &records).ok());
  }
  EXPECT_EQ(records.front().offset, *first);
  EXPECT_EQ(records.back().payload, Record(300));

  ASSERT_TRUE(log().TruncateBefore(250).ok());
  EXPECT_LE(log().first_offset(), 250u);
  EXPECT_EQ(log().durable_offset(), 300u);
  AppendRecords(301, 1);
}

TEST_P(LogContractTest, CloseRefusesLaterAppendsAndEndsReaders) {
  AppendRecords(1, 2);
  auto reader = log().NewReader(1);
  ASSERT_TRUE(reader.ok());
  log().Close();
  absl::Notification refused;
  log().AppendAsync("late", [&](absl::StatusOr<LogOffset> offset) {
    EXPECT_EQ(offset.status().code(), absl::StatusCode::kUnavailable);
    refused.Notify();
  });
  EXPECT_TRUE(refused.HasBeenNotified());  // at once, on this thread
  std::vector<LogRecord> records;
  ASSERT_TRUE((*reader)->ReadBatch(10, Soon(), &records).ok());
  EXPECT_EQ(records.size(), 2u);
  EXPECT_EQ((*reader)->ReadBatch(10, Soon(), &records).code(), absl::StatusCode::kUnavailable);
}

TEST_P(LogContractTest, AnOversizedRecordIsRefusedAndChangesNothing) {
  AppendRecords(1, 1);
  absl::StatusOr<LogOffset> big = log().Append(std::string(kMaxPayloadBytes + 1, 'x'));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log().durable_offset(), 1u);
  AppendRecords(2, 1);
}

}  // namespace roost::log::testing
