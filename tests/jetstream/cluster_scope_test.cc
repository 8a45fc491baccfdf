// ClusterScope over real JetStream streams: derived events land once on their target
// partition's stream, however often they are published again (a replay), and Flush
// waits until they are stored; with a partition's stream leader killed mid-stream, the
// failed publishes are retried until every one is stored, still once each.
#include "services/cluster_scope.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cluster/cluster_map.h"
#include "gtest/gtest.h"
#include "jetstream/jetstream_log.h"
#include "log/log_reader.h"
#include "tests/common/test_dir.h"
#include "tests/jetstream/jetstream_test_env.h"

namespace roost::jetstream::testing {
namespace {

[[maybe_unused]] const NatsEnvironment& nats = NatsEnvironment::Get();

cluster::ClusterMap ThreePartitions() {
  absl::StatusOr<cluster::ClusterMap> map = cluster::ClusterMap::Parse(
      R"pb(
        name: "scope"
        nats_servers: "nats://127.0.0.1:1"
        partitions: 3
        nodes { id: 1 grpc_address: "127.0.0.1:2" }
      )pb",
      "test");
  EXPECT_TRUE(map.ok()) << map.status();
  return *std::move(map);
}

// Every record of `log`, by payload, with how many times each was stored.
absl::flat_hash_map<std::string, int> Stored(log::Log& log) {
  absl::flat_hash_map<std::string, int> stored;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::StatusOr<std::unique_ptr<log::LogReader>> reader = NewReaderWithin(log, 1, deadline);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return stored;
  std::vector<log::LogRecord> records;
  while (records.size() < log.durable_offset() && absl::Now() < deadline) {
    EXPECT_TRUE((*reader)->ReadBatch(1000, deadline, &records).ok());
  }
  for (const log::LogRecord& record : records) ++stored[record.payload];
  return stored;
}

class ClusterScopeTest : public ::testing::Test {
 protected:
  // Partition p's stream, on `connection`.
  void OpenStreams(Connection& connection, int replicas) {
    for (int p = 0; p < 3; ++p) {
      auto log = OpenFreshLog(connection, replicas, absl::StrCat("scope-p", p));
      ASSERT_TRUE(log.ok()) << log.status();
      logs_.push_back(*std::move(log));
      raw_.push_back(logs_.back().get());
    }
  }

  cluster::ClusterMap map_ = ThreePartitions();
  std::vector<std::unique_ptr<JetStreamLog>> logs_;
  std::vector<JetStreamLog*> raw_;
};

TEST_F(ClusterScopeTest, ADerivationPublishedAgainIsStoredOnce) {
  OpenStreams(NatsEnvironment::Get().single_connection(), 1);
  services::ClusterScope scope(&map_, 0, raw_);
  EXPECT_EQ(scope.partitions(), 3u);
  EXPECT_EQ(scope.PartitionOf(42), map_.PartitionOf(42));
  for (int round = 0; round < 2; ++round) {  // the second is a replay
    for (int i = 0; i < 200; ++i) {
      const uint32_t target = 1 + static_cast<uint32_t>(i % 2);
      scope.Publish(target, ingest::DerivationId(0, 10 + i, "h"), absl::StrCat("event ", i));
    }
    ASSERT_TRUE(scope.Flush(absl::Now() + absl::Seconds(30)).ok());
    EXPECT_EQ(scope.outstanding(), 0);
    EXPECT_EQ(scope.retries(), 0);
  }
  const auto one = Stored(*logs_[1]), two = Stored(*logs_[2]);
  EXPECT_EQ(one.size(), 100u);
  EXPECT_EQ(two.size(), 100u);
  for (const auto& [payload, times] : one) EXPECT_EQ(times, 1) << payload;
  for (const auto& [payload, times] : two) EXPECT_EQ(times, 1) << payload;
  EXPECT_EQ(logs_[0]->durable_offset(), 0u);
}

TEST_F(ClusterScopeTest, PublishesFailedByALeaderLossAreRetriedUntilStoredOnce) {
  loadgen::NatsCluster cluster;
  ASSERT_TRUE(cluster.Start(roost::testing::FreshTestDir("scope_failover"), 3).ok());
  std::unique_ptr<Connection> connection = ConnectOrDie(cluster.urls());
  ASSERT_NE(connection, nullptr);
  OpenStreams(*connection, 3);
  constexpr int kEvents = 2000;
  {
    services::ClusterScope scope(&map_, 0, raw_, absl::Milliseconds(50));
    for (int i = 0; i < kEvents; ++i) {
      if (i == kEvents / 4) {
        absl::StatusOr<StreamState> state = logs_[1]->State();
        ASSERT_TRUE(state.ok()) << state.status();
        for (int s = 0; s < cluster.size(); ++s) {
          if (cluster.server(s).config().name == state->leader) cluster.server(s).Kill();
        }
      }
      scope.Publish(1, ingest::DerivationId(0, i + 1, "h"), absl::StrCat("event ", i));
    }
    const absl::Status flushed = scope.Flush(absl::Now() + absl::Seconds(60));
    ASSERT_TRUE(flushed.ok()) << flushed;
    EXPECT_GT(scope.retries(), 0) << "the leader's loss failed no publish";
  }
  const auto stored = Stored(*logs_[1]);
  EXPECT_EQ(stored.size(), size_t{kEvents});
  for (const auto& [payload, times] : stored) EXPECT_EQ(times, 1) << payload;
  logs_.clear();
}

}  // namespace
}  // namespace roost::jetstream::testing
