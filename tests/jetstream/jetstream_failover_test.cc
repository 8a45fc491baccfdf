// The stream's leader SIGKILLed while appends flow: appends fail for the election's
// length (UNAVAILABLE), and a writer retrying each record with its dedup id, as the
// cluster's writers do, ends with every record stored exactly once at the offset it
// was acknowledged with. The killed server, started again, catches up.
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "jetstream/jetstream_log.h"
#include "loadgen/nats_cluster.h"
#include "log/log_reader.h"
#include "tests/common/test_dir.h"
#include "tests/jetstream/jetstream_test_env.h"

namespace roost::jetstream::testing {
namespace {

int ServerNamed(loadgen::NatsCluster& cluster, const std::string& name) {
  for (int i = 0; i < cluster.size(); ++i) {
    if (cluster.server(i).config().name == name) return i;
  }
  return -1;
}

TEST(JetStreamFailoverTest, KillingTheStreamLeaderLosesNoAcknowledgedRecord) {
  constexpr int kRecords = 1500, kKillAt = 300;
  loadgen::NatsCluster cluster;
  ASSERT_TRUE(cluster.Start(roost::testing::FreshTestDir("failover"), 3).ok());
  std::unique_ptr<Connection> connection = ConnectOrDie(cluster.urls());
  ASSERT_NE(connection, nullptr);
  auto log = OpenFreshLog(*connection, 3, "failover");
  ASSERT_TRUE(log.ok()) << log.status();

  std::vector<LogOffset> acked(kRecords, 0);
  int failures = 0, killed = -1;
  const absl::Time deadline = absl::Now() + absl::Seconds(90);
  for (int i = 0; i < kRecords && absl::Now() < deadline; ++i) {
    if (i == kKillAt) {
      absl::StatusOr<StreamState> state = (*log)->State();
      ASSERT_TRUE(state.ok()) << state.status();
      killed = ServerNamed(cluster, state->leader);
      ASSERT_GE(killed, 0) << "leader " << state->leader;
      cluster.server(killed).Kill();
    }
    absl::StatusOr<LogOffset> offset =
        AppendWithId(**log, absl::StrCat("r", i), absl::StrCat("w", i));
    while (!offset.ok() && absl::Now() < deadline) {
      ASSERT_TRUE(absl::IsUnavailable(offset.status())) << offset.status();
      ++failures;
      offset = AppendWithId(**log, absl::StrCat("r", i), absl::StrCat("w", i));
    }
    ASSERT_TRUE(offset.ok()) << "record " << i << ": " << offset.status();
    acked[i] = *offset;
  }
  ASSERT_GE(killed, 0);

  absl::StatusOr<std::unique_ptr<log::LogReader>> reader = NewReaderWithin(**log, 1, deadline);
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<log::LogRecord> records;
  while (records.size() < kRecords && absl::Now() < deadline) {
    ASSERT_TRUE((*reader)->ReadBatch(1000, deadline, &records).ok());
  }
  ASSERT_EQ(records.size(), size_t{kRecords}) << failures << " appends failed";
  absl::flat_hash_map<std::string, LogOffset> stored;
  for (const log::LogRecord& record : records) {
    EXPECT_TRUE(stored.emplace(record.payload, record.offset).second) << record.payload << " twice";
  }
  for (int i = 0; i < kRecords; ++i) {
    EXPECT_EQ(stored[absl::StrCat("r", i)], acked[i]) << "record " << i;
  }

  // Back with its data, it catches up with the new leader.
  ASSERT_TRUE(cluster.server(killed).Start(cluster.server(killed).config()).ok());
  const std::string name = cluster.server(killed).config().name;
  bool current = false;
  while (!current && absl::Now() < deadline) {
    absl::StatusOr<StreamState> state = (*log)->State();
    if (state.ok()) {
      for (const StreamReplica& replica : state->replicas) {
        if (replica.server == name && replica.current && replica.lag == 0) current = true;
      }
    }
    if (!current) absl::SleepFor(absl::Milliseconds(100));  // polling, with a deadline
  }
  EXPECT_TRUE(current) << name << " did not catch up";
  log->reset();
}

}  // namespace
}  // namespace roost::jetstream::testing
