// `roostctl graph verify` on a real data directory written by the engine: clean after
// real writes, and the drift it reports once a count is damaged behind the store's back.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "graph/count_merge_operator.h"
#include "graph/graph_keys.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "services/roost.h"
#include "tests/common/test_dir.h"
#include "tests/integration/roostctl_runner.h"

namespace roost {
namespace {

using ::testing::HasSubstr;

using Outcome = ProcessOutcome;
using testing::Roostctl;

class RoostctlGraphTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = roost::testing::FreshTestDir("roostctl_graph_test"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Follows, a block (which removes follows both ways) and an archive, through the
  // engine, so the store holds every state.
  std::unique_ptr<services::Roost> Populate() {
    services::RoostOptions options;
    options.data_dir = dir_;
    options.log_sync = log::SyncPolicy::kNone;
    absl::StatusOr<std::unique_ptr<services::Roost>> roost = services::Roost::Open(options);
    EXPECT_TRUE(roost.ok()) << roost.status();
    if (!roost.ok()) return nullptr;
    LogOffset last = 0;
    auto wait = [&](absl::StatusOr<LogOffset> r, absl::Notification* done) {
      EXPECT_TRUE(r.ok()) << r.status();
      if (r.ok()) last = std::max(last, *r);
      done->Notify();
    };
    auto edge = [&](graph::GraphId g, UserId a, UserId b, graph::EdgeState state) {
      absl::Notification done;
      (*roost)->SetEdge(g, a, b, state, [&](absl::StatusOr<LogOffset> r) { wait(r, &done); });
      done.WaitForNotification();
    };
    for (UserId a = 1; a <= 20; ++a) {
      for (UserId b = 1; b <= 5; ++b) {
        if (a != b) edge(graph::kFollows, a, b, graph::EdgeState::kNormal);
      }
    }
    edge(graph::kBlocks, 2, 1, graph::EdgeState::kNormal);
    absl::Notification archived;
    (*roost)->MassChange(graph::kFollows, 7, graph::StateBit(graph::EdgeState::kNormal),
                         graph::EdgeState::kArchived,
                         [&](absl::StatusOr<LogOffset> r) { wait(r, &archived); });
    archived.WaitForNotification();
    absl::Notification applied;
    (*roost)->WhenApplied(last, absl::Now() + absl::Seconds(30), [&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      applied.Notify();
    });
    applied.WaitForNotification();
    return *std::move(roost);
  }

  std::string dir_;
};

TEST_F(RoostctlGraphTest, AStoreWrittenByTheEngineVerifiesClean) {
  Populate()->Shutdown();
  const Outcome out = Roostctl({"graph", "verify", "--data-dir=" + dir_});
  EXPECT_EQ(out.code, 0) << out.output;
  EXPECT_THAT(out.output, HasSubstr("counts: 0 drifted"));
  EXPECT_THAT(out.output, HasSubstr("indexes: 0 problems"));
}

TEST_F(RoostctlGraphTest, ADamagedCountIsReportedAndNothingIsChanged) {
  Populate()->Shutdown();
  {
    // One follower too many for user 3, written as the store's own merge would be.
    rocksdb::Options options;
    options.merge_operator = graph::NewCountMergeOperator();
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir_ + "/graph", &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    const std::string key = graph::keys::CountKey(graph::kFollows, graph::Direction::kBackward, 3,
                                                  graph::EdgeState::kNormal);
    std::string value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), key, &value).ok());
    int64_t count = 0;
    ASSERT_TRUE(graph::keys::DecodeCount(value, &count));
    EXPECT_EQ(count, 18);  // users 1..20 but 3 itself, less user 7's archived follow
    ASSERT_TRUE(db->Merge(rocksdb::WriteOptions(), key, graph::keys::EncodeCount(1)).ok());
  }
  const Outcome out = Roostctl({"graph", "verify", "--data-dir=" + dir_});
  EXPECT_EQ(out.code, 1) << out.output;
  EXPECT_THAT(out.output, HasSubstr("counts: 1 drifted"));
  EXPECT_THAT(out.output, HasSubstr("inconsistent"));
  // Read-only: a second run finds the same.
  EXPECT_THAT(Roostctl({"graph", "verify", "--data-dir=" + dir_}).output,
              HasSubstr("counts: 1 drifted"));
}

TEST_F(RoostctlGraphTest, RefusesADataDirInUse) {
  std::unique_ptr<services::Roost> running = Populate();
  const Outcome out = Roostctl({"graph", "verify", "--data-dir=" + dir_});
  EXPECT_EQ(out.code, 1) << out.output;
  EXPECT_THAT(out.output, HasSubstr("in use by a roostd"));
}

TEST_F(RoostctlGraphTest, UsageErrors) {
  EXPECT_EQ(Roostctl({"graph", "verify"}).code, 2);
  EXPECT_EQ(Roostctl({"graph", "frobnicate", "--data-dir=" + dir_}).code, 2);
  const Outcome missing = Roostctl({"graph", "verify", "--data-dir=" + dir_ + "/nope"});
  EXPECT_EQ(missing.code, 1) << missing.output;
}

}  // namespace
}  // namespace roost
