// ClusterMap: who is in a Roost cluster and what each node owns, read from the cluster
// file (roost/v1/cluster.proto documents its format). Users are spread over P
// partitions by a stable hash of their id; each partition is one JetStream stream and
// has one owner node, listed in the file or nodes[p mod N] by default.
//
// Immutable once loaded, so thread-safe.
#ifndef ROOST_CLUSTER_CLUSTER_MAP_H_
#define ROOST_CLUSTER_CLUSTER_MAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/types.h"
#include "roost/v1/cluster.pb.h"

namespace roost::cluster {

using PartitionId = uint32_t;
using NodeId = uint32_t;

// Snowflake ids carry the author's partition in their 10 node bits.
inline constexpr uint32_t kMaxPartitions = 1024;

struct NodeInfo {
  NodeId id = 0;
  std::string grpc_address;  // host:port
};

class ClusterMap {
 public:
  // Parses and checks a cluster file's text; `source` names it in errors, which are
  // INVALID_ARGUMENT and one line: "<source>:<line>:<column>: ..." for a syntax error,
  // "<source>: ..." for a wrong value.
  static absl::StatusOr<ClusterMap> Parse(absl::string_view text, absl::string_view source);
  // Reads and parses the file at `path` (NOT_FOUND when it cannot be read).
  static absl::StatusOr<ClusterMap> Load(const std::string& path);
  // Checks a parsed cluster file, as Parse does (errors "<source>: ...").
  static absl::StatusOr<ClusterMap> FromConfig(const roost::v1::ClusterConfig& config,
                                               absl::string_view source);
  // The map as a cluster file, every partition's owner listed: FromConfig(ToConfig())
  // is this map.
  roost::v1::ClusterConfig ToConfig() const;

  const std::string& name() const { return name_; }
  const std::vector<std::string>& nats_servers() const { return nats_servers_; }
  uint32_t partitions() const { return static_cast<uint32_t>(owners_.size()); }
  int replicas() const { return replicas_; }
  const std::vector<NodeInfo>& nodes() const { return nodes_; }

  // The node of that id, nullptr if none.
  const NodeInfo* node(NodeId id) const;
  NodeId owner(PartitionId partition) const { return owners_[partition]; }
  // The partitions `node` owns, ascending.
  std::vector<PartitionId> PartitionsOf(NodeId node) const;

  // The partition everything about `user` lives on.
  PartitionId PartitionOf(UserId user) const;
  // The JetStream stream (and subject) of a partition.
  std::string StreamName(PartitionId partition) const;
  std::string Subject(PartitionId partition) const;

 private:
  ClusterMap() = default;

  std::string name_;
  std::vector<std::string> nats_servers_;
  int replicas_ = 3;
  std::vector<NodeInfo> nodes_;
  std::vector<NodeId> owners_;  // by partition
};

// The partition of `user` among `partitions` (>= 1). A hash of its own, not the one
// the topology and the timeline shards use within a partition: with the same hash, a
// partition's users would all fall on the same few instances.
PartitionId UserPartition(UserId user, uint32_t partitions);

}  // namespace roost::cluster

#endif  // ROOST_CLUSTER_CLUSTER_MAP_H_
