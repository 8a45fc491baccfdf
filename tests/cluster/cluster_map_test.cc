// The cluster file: a good one gives the map (owners p mod N unless listed), and each
// kind of mistake is refused with one line naming the file and what is wrong.
#include "cluster/cluster_map.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace roost::cluster {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kGood[] = R"pb(
  # three nodes
  name: "social"
  nats_servers: "nats://127.0.0.1:4222"
  nats_servers: "127.0.0.1:4223"
  partitions: 8
  nodes { id: 1 grpc_address: "127.0.0.1:7001" }
  nodes { id: 2 grpc_address: "127.0.0.1:7002" }
  nodes { id: 3 grpc_address: "127.0.0.1:7003" }
)pb";

TEST(ClusterMapTest, AGoodFileGivesOwnersByPartitionModuloNodes) {
  absl::StatusOr<ClusterMap> map = ClusterMap::Parse(kGood, "c.textproto");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ(map->name(), "social");
  EXPECT_EQ(map->partitions(), 8u);
  EXPECT_EQ(map->replicas(), 3);
  EXPECT_THAT(map->nats_servers(), ElementsAre("nats://127.0.0.1:4222", "127.0.0.1:4223"));
  EXPECT_THAT(map->PartitionsOf(1), ElementsAre(0u, 3u, 6u));
  EXPECT_THAT(map->PartitionsOf(3), ElementsAre(2u, 5u));
  EXPECT_EQ(map->node(2)->grpc_address, "127.0.0.1:7002");
  EXPECT_EQ(map->node(9), nullptr);
  EXPECT_EQ(map->StreamName(5), "ROOST_social_P5");
}

TEST(ClusterMapTest, ListedOwnersOverrideTheDefault) {
  absl::StatusOr<ClusterMap> map = ClusterMap::Parse(
      std::string(kGood) + "owners { partition: 0 node: 3 } owners { partition: 7 node: 3 }", "c");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_THAT(map->PartitionsOf(3), ElementsAre(0u, 2u, 5u, 7u));
  EXPECT_THAT(map->PartitionsOf(1), ElementsAre(3u, 6u));
}

TEST(ClusterMapTest, AsAConfigItIsTheSameMap) {
  absl::StatusOr<ClusterMap> map =
      ClusterMap::Parse(std::string(kGood) + "replicas: 1 owners { partition: 4 node: 3 }", "c");
  ASSERT_TRUE(map.ok()) << map.status();
  absl::StatusOr<ClusterMap> back = ClusterMap::FromConfig(map->ToConfig(), "served");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->name(), "social");
  EXPECT_EQ(back->replicas(), 1);
  EXPECT_EQ(back->nats_servers(), map->nats_servers());
  ASSERT_EQ(back->partitions(), 8u);
  for (PartitionId p = 0; p < 8; ++p) EXPECT_EQ(back->owner(p), map->owner(p)) << p;
  EXPECT_EQ(back->node(3)->grpc_address, "127.0.0.1:7003");
  roost::v1::ClusterConfig empty;
  EXPECT_THAT(ClusterMap::FromConfig(empty, "served").status().message(), HasSubstr("served: "));
}

TEST(ClusterMapTest, UsersSpreadOverEveryPartitionAndStayThere) {
  absl::StatusOr<ClusterMap> map = ClusterMap::Parse(kGood, "c");
  ASSERT_TRUE(map.ok());
  absl::flat_hash_map<PartitionId, int> counts;
  for (UserId user = 1; user <= 8000; ++user) ++counts[map->PartitionOf(user)];
  ASSERT_EQ(counts.size(), 8u);
  for (const auto& [partition, count] : counts) {
    EXPECT_GT(count, 800) << "partition " << partition;
    EXPECT_LT(count, 1200) << "partition " << partition;
  }
  EXPECT_EQ(map->PartitionOf(42), UserPartition(42, 8));
}

struct BadFile {
  std::string text;
  std::string error;
};

TEST(ClusterMapTest, EachMistakeIsOneLineNamingTheFile) {
  // Pieces joined with a space between them.
  const std::string nodes = R"pb(nodes { id: 1 grpc_address: "h:1" })pb";
  const std::string top = R"pb(name: "c" nats_servers: "nats://h:4222" partitions: 4)pb";
  auto join = [](const std::string& a, const std::string& b) { return a + " " + b; };
  const std::vector<BadFile> bad = {
      {"name: ", "f:1:7: "},
      {"colour: 3", "no field named \"colour\""},
      {join(R"pb(name: "a b" nats_servers: "h:1" partitions: 1)pb", nodes), "name \"a b\""},
      {join(R"pb(name: "c" partitions: 1)pb", nodes), "no nats_servers"},
      {join(R"pb(name: "c" nats_servers: "nats://h" partitions: 1)pb", nodes), "nats://h"},
      {join(R"pb(name: "c" nats_servers: "h:1" partitions: 0)pb", nodes), "partitions is 0"},
      {join(R"pb(name: "c" nats_servers: "h:1" partitions: 2000)pb", nodes), "1..1024"},
      {join(join(top, "replicas: 2"), nodes), "replicas is 2"},
      {top, "no nodes"},
      {join(top, R"pb(nodes { id: 0 grpc_address: "h:1" })pb"), "node id 0"},
      {join(join(top, nodes), nodes), "node id 1 is listed twice"},
      {join(top, R"pb(nodes { id: 1 grpc_address: "h" })pb"), "not host:port"},
      {join(join(top, nodes), R"pb(nodes { id: 2 grpc_address: "h:1" })pb"), "given to two nodes"},
      {join(join(top, nodes), "owners { partition: 4 node: 1 }"), "partition 4 is not in 0..3"},
      {join(join(top, nodes), "owners { partition: 1 node: 5 }"), "node 5, which is not listed"},
      {join(join(top, nodes), "owners { partition: 1 node: 1 } owners { partition: 1 node: 1 }"),
       "partition 1 is listed twice"},
  };
  for (const BadFile& file : bad) {
    absl::StatusOr<ClusterMap> map = ClusterMap::Parse(file.text, "f");
    ASSERT_FALSE(map.ok()) << file.text;
    EXPECT_EQ(map.status().code(), absl::StatusCode::kInvalidArgument) << file.text;
    EXPECT_THAT(map.status().message(), HasSubstr(file.error)) << file.text;
    EXPECT_EQ(map.status().message().find('\n'), absl::string_view::npos);
    EXPECT_EQ(map.status().message().substr(0, 2), "f:") << map.status();
  }
  EXPECT_EQ(ClusterMap::Load("/nonexistent/cluster.textproto").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace roost::cluster
