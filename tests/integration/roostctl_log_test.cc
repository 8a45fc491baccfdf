// `roostctl log info|dump|verify` on a real log directory written by the log itself:
// the figures and events it prints, and what it says about torn and corrupt logs.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "log/log_format.h"
#include "log/segmented_log.h"
#include "roost/v1/events.pb.h"
#include "services/roost.h"
#include "tests/integration/roostctl_runner.h"
#include "tests/log/log_test_util.h"

namespace roost {
namespace {

using ::testing::HasSubstr;

using Outcome = ProcessOutcome;
using testing::Roostctl;

// A data directory whose log holds `posts` TweetPosted events (ids 1000 + i) and one
// EdgeChanged; returns the log directory.
std::string WriteLog(const std::string& data_dir, int posts) {
  const std::string dir = data_dir + "/log";
  log::SegmentedLogOptions options;
  options.sync = log::SyncPolicy::kNone;
  auto log = log::OpenSegmentedLog(dir, options);
  EXPECT_TRUE(log.ok()) << log.status();
  for (int i = 1; i <= posts; ++i) {
    v1::events::Event event;
    event.set_event_id(1000 + i);
    event.mutable_tweet_posted()->set_tweet_id(1000 + i);
    event.mutable_tweet_posted()->set_author_id(7);
    event.mutable_tweet_posted()->set_text(std::string(400, 'x'));
    (*log)->AppendAsync(event.SerializeAsString(), [](auto) {});
  }
  v1::events::Event edge;
  edge.set_event_id(99999);
  edge.mutable_edge_changed()->set_source_id(1);
  edge.mutable_edge_changed()->set_destination_id(2);
  EXPECT_TRUE((*log)->Append(edge.SerializeAsString()).ok());
  return dir;
}

class RoostctlLogTest : public ::testing::Test {
 protected:
  log::testing::TestDir data_;
};

TEST(RoostctlHelpTest, HelpIsRoostctlsOwn) {
  const Outcome help = Roostctl({"--help"});
  EXPECT_EQ(help.code, 0) << help.output;
  EXPECT_THAT(help.output, HasSubstr("Usage: roostctl"));
  EXPECT_THAT(help.output, HasSubstr("follow A B | unfollow A B"));
  EXPECT_THAT(help.output, HasSubstr("  --target (default 127.0.0.1:7070)\n"));
  // Not Abseil's listing of every library's flags by source file.
  EXPECT_EQ(help.output.find(".cc"), std::string::npos) << help.output;
  EXPECT_EQ(help.output.find("--flagfile"), std::string::npos) << help.output;
}

TEST_F(RoostctlLogTest, InfoDumpAndVerifyAHealthyLog) {
  WriteLog(data_.path(), 20);
  const std::string flag = "--data-dir=" + data_.path();

  const Outcome info = Roostctl({"log", "info", flag});
  ASSERT_EQ(info.code, 0) << info.output;
  EXPECT_THAT(info.output, HasSubstr("00000000000000000001.log"));
  EXPECT_THAT(info.output, HasSubstr("21 records, offsets 1..21"));

  const Outcome dump = Roostctl({"log", "dump", flag, "--from=20", "--to=21"});
  ASSERT_EQ(dump.code, 0) << dump.output;
  EXPECT_THAT(dump.output, HasSubstr("{\"offset\":20,\"event\":{\"event_id\":\"1020\""));
  EXPECT_THAT(dump.output, HasSubstr("\"offset\":21"));
  EXPECT_THAT(dump.output, HasSubstr("\"edge_changed\""));
  EXPECT_THAT(dump.output, ::testing::Not(HasSubstr("\"offset\":19")));

  const Outcome edges = Roostctl({"log", "dump", flag, "--type=edge_changed"});
  ASSERT_EQ(edges.code, 0) << edges.output;
  EXPECT_EQ(std::count(edges.output.begin(), edges.output.end(), '\n'), 1);

  const Outcome verify = Roostctl({"log", "verify", flag});
  ASSERT_EQ(verify.code, 0) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr("ok: 21 records, offsets 1..21"));
}

TEST_F(RoostctlLogTest, VerifyReportsATornTailAndNamesCorruption) {
  const std::string dir = WriteLog(data_.path(), 12000);  // ~5 MB, over one write batch
  const std::string tail = dir + "/00000000000000000001.log";
  const std::string flag = "--data-dir=" + data_.path();

  log::testing::AppendFileBytes(tail, "\x13\x37 torn");
  const Outcome torn = Roostctl({"log", "verify", flag});
  ASSERT_EQ(torn.code, 0) << torn.output;
  EXPECT_THAT(torn.output, HasSubstr("torn last write"));

  // A flipped byte in offset 10, with thousands of intact records after it.
  std::string bytes = log::testing::ReadFileBytes(tail);
  const size_t frame = (bytes.size() - log::kSegmentHeaderSize) / 12001;  // about one
  bytes[log::kSegmentHeaderSize + 9 * frame + frame / 2] ^= 0x20;
  log::testing::WriteFileBytes(tail, bytes);
  const Outcome corrupt = Roostctl({"log", "verify", flag});
  EXPECT_EQ(corrupt.code, 1) << corrupt.output;
  EXPECT_THAT(corrupt.output, HasSubstr("corrupt record at offset 10 "));
  EXPECT_THAT(corrupt.output, HasSubstr(tail));
}

// A data dir written by the engine: 200 posts in ~2 KB segments, all committed.
void WriteDataDir(const std::string& dir, std::unique_ptr<services::Roost>* keep_open = nullptr) {
  services::RoostOptions options;
  options.data_dir = dir;
  options.log_sync = log::SyncPolicy::kNone;
  options.log_segment_bytes = 2000;
  absl::StatusOr<std::unique_ptr<services::Roost>> roost = services::Roost::Open(options);
  ASSERT_TRUE(roost.ok()) << roost.status();
  for (int i = 0; i < 200; ++i) {
    absl::Notification done;
    (*roost)->Post(services::PostArgs{1, "a post of some length", 0, 0, ""},
                   [&](absl::StatusOr<services::PostResult>) { done.Notify(); });
    done.WaitForNotification();
  }
  if (keep_open != nullptr) *keep_open = std::move(*roost);
}

TEST_F(RoostctlLogTest, TruncateDeletesOldSegmentsOnlyBelowWhatTheStoresCommitted) {
  {
    std::unique_ptr<services::Roost> running;
    WriteDataDir(data_.path(), &running);
    const Outcome busy =
        Roostctl({"log", "truncate", "--data-dir=" + data_.path(), "--before=100"});
    EXPECT_EQ(busy.code, 1) << busy.output;
    EXPECT_THAT(busy.output, HasSubstr("stop it first"));
  }  // shut down: the stores have committed everything
  const std::string flag = "--data-dir=" + data_.path();
  const Outcome beyond = Roostctl({"log", "truncate", flag, "--before=100000"});
  EXPECT_EQ(beyond.code, 1) << beyond.output;
  EXPECT_THAT(beyond.output, HasSubstr("committed only up to 200"));

  const Outcome cut = Roostctl({"log", "truncate", flag, "--before=150"});
  ASSERT_EQ(cut.code, 0) << cut.output;
  EXPECT_THAT(cut.output, HasSubstr("the log now starts at offset"));
  const Outcome verify = Roostctl({"log", "verify", flag});
  ASSERT_EQ(verify.code, 0) << verify.output;
  EXPECT_THAT(verify.output, ::testing::Not(HasSubstr("offsets 1..")));
  EXPECT_THAT(verify.output, HasSubstr("..200"));
  // The engine opens on it, and a rebuild is refused: the log no longer starts at 1.
  services::RoostOptions options;
  options.data_dir = data_.path();
  EXPECT_TRUE(services::Roost::Open(options).ok());
  options.rebuild = true;
  EXPECT_EQ(services::Roost::Open(options).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RoostctlLogTest, UsageErrors) {
  EXPECT_EQ(Roostctl({"log", "info"}).code, 2);  // no --data-dir
  const Outcome unknown = Roostctl({"log", "shred", "--data-dir=" + data_.path()});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.output, HasSubstr("unknown log command 'shred'"));
}

}  // namespace
}  // namespace roost
