// Crash test: a child process appends to a real log on disk from several threads and
// is SIGKILLed at a random moment, again and again on the same directory. After every
// kill the log is reopened and checked against what the child acknowledged: every
// acknowledged record is at its offset with its payload, and no record is there
// twice. (A killed process loses nothing in the page cache; lost syncs and torn writes
// are covered by log_fault_test through FaultEnv.)
#include <signal.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "gtest/gtest.h"
#include "tests/log/log_test_util.h"

namespace roost::log {
namespace {

constexpr int kCycles = 50;

TEST(LogCrashTest, EveryAcknowledgedAppendSurvivesSigkillAndNoneIsDoubled) {
  testing::TestDir dir;
  std::mt19937 rng(::testing::UnitTest::GetInstance()->random_seed());
  // Everything ever acknowledged, by offset.
  absl::flat_hash_map<LogOffset, std::string> acknowledged;
  uint64_t kills_before_ready = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    Subprocess child;
    ASSERT_TRUE(
        child.Start({LOG_CRASH_CHILD_PATH, dir.path(), absl::StrCat("c", cycle), "8"}).ok());
    std::string output;
    // Kill at a random moment: one time in ten while the child starts or recovers,
    // else after a random number of acknowledgements (0 to 2,000 records, across many
    // group commits).
    const bool early = std::bernoulli_distribution(0.1)(rng);
    const int acks = std::uniform_int_distribution<int>(0, 2000)(rng);
    if (!early) {
      ASSERT_TRUE(child.ReadUntil("ready\n", absl::Now() + absl::Seconds(30), &output)) << output;
      for (int seen = 0; seen < acks;) {
        const size_t before = output.size();
        if (!child.ReadUntil("\n", absl::Now() + absl::Seconds(30), &output)) break;
        seen += static_cast<int>(std::count(output.begin() + before, output.end(), '\n'));
      }
    } else {
      ++kills_before_ready;
    }
    child.Signal(SIGKILL);
    const int code = child.Wait(absl::Now() + absl::Seconds(30), &output);
    ASSERT_EQ(code, 128 + SIGKILL) << output;

    // Whole lines only: a line is written with one write(2), but the kill may come
    // between the log's acknowledgement and it (then the record is in the log, not
    // acknowledged, and that is fine).
    for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
      if (line == "ready") continue;
      std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
      LogOffset offset;
      ASSERT_EQ(parts.size(), 2u) << line;
      ASSERT_TRUE(absl::SimpleAtoi(parts[0], &offset)) << line;
      acknowledged[offset] = std::string(parts[1]);
    }

    absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir.path(), SegmentedLogOptions{});
    ASSERT_TRUE(log.ok()) << "cycle " << cycle << ": " << log.status();
    absl::StatusOr<std::vector<LogRecord>> records = testing::ReadAll(**log);
    ASSERT_TRUE(records.ok()) << "cycle " << cycle << ": " << records.status();
    absl::flat_hash_map<LogOffset, absl::string_view> by_offset;
    absl::flat_hash_set<absl::string_view> payloads;
    for (const LogRecord& record : *records) {
      by_offset[record.offset] = record.payload;
      ASSERT_TRUE(payloads.insert(record.payload).second)
          << "cycle " << cycle << ": " << record.payload << " is in the log twice";
    }
    for (const auto& [offset, payload] : acknowledged) {
      auto it = by_offset.find(offset);
      ASSERT_NE(it, by_offset.end()) << "cycle " << cycle << ": acknowledged offset " << offset
                                     << " (" << payload << ") is lost";
      ASSERT_EQ(it->second, payload) << "cycle " << cycle << ": offset " << offset;
    }
  }
  std::printf("%d kills (%llu during recovery), %zu acknowledged appends, all present\n", kCycles,
              static_cast<unsigned long long>(kills_before_ready), acknowledged.size());
  EXPECT_GT(acknowledged.size(), static_cast<size_t>(kCycles) * 100);
}

}  // namespace
}  // namespace roost::log
