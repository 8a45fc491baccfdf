#include "cluster/cluster_map.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/stable_hash.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "roost/v1/cluster.pb.h"

namespace roost::cluster {
namespace {

// Keeps the first error of a text-format parse, as "line:column: message".
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (error_.empty()) error_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

bool ValidName(absl::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '-' || c == '_';
  });
}

// host:port with a port in 1..65535.
bool ValidAddress(absl::string_view address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  return colon != absl::string_view::npos && colon > 0 &&
         absl::SimpleAtoi(address.substr(colon + 1), &port) && port >= 1 && port <= 65535;
}

absl::Status Invalid(absl::string_view source, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", what));
}

absl::Status CheckNodes(const roost::v1::ClusterConfig& config, absl::string_view source) {
  if (config.nodes().empty())
    return Invalid(source, "no nodes (nodes { id: 1 grpc_address: ... })");
  absl::flat_hash_set<uint32_t> ids;
  absl::flat_hash_set<std::string> addresses;
  for (const auto& node : config.nodes()) {
    if (node.id() < 1 || node.id() > 1023) {
      return Invalid(source, absl::StrCat("node id ", node.id(), " is not in 1..1023"));
    }
    if (!ids.insert(node.id()).second) {
      return Invalid(source, absl::StrCat("node id ", node.id(), " is listed twice"));
    }
    if (!ValidAddress(node.grpc_address())) {
      return Invalid(source, absl::StrCat("node ", node.id(), ": grpc_address \"",
                                          node.grpc_address(), "\" is not host:port"));
    }
    if (!addresses.insert(node.grpc_address()).second) {
      return Invalid(source,
                     absl::StrCat("grpc_address ", node.grpc_address(), " is given to two nodes"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTop(const roost::v1::ClusterConfig& config, absl::string_view source) {
  if (!ValidName(config.name())) {
    return Invalid(source, absl::StrCat("name \"", config.name(),
                                        "\" must be 1 to 64 letters, digits, '-' or '_'"));
  }
  if (config.nats_servers().empty()) {
    return Invalid(source, "no nats_servers (nats_servers: \"nats://host:port\")");
  }
  for (const std::string& server : config.nats_servers()) {
    absl::string_view address = server;
    if (const size_t scheme = address.find("://"); scheme != absl::string_view::npos) {
      address.remove_prefix(scheme + 3);
    }
    if (!ValidAddress(address)) {
      return Invalid(source, absl::StrCat("nats server \"", server, "\" is not nats://host:port"));
    }
  }
  if (config.partitions() < 1 || config.partitions() > kMaxPartitions) {
    return Invalid(source, absl::StrCat("partitions is ", config.partitions(), "; it must be 1..",
                                        kMaxPartitions));
  }
  if (config.replicas() != 0 && config.replicas() != 1 && config.replicas() != 3 &&
      config.replicas() != 5) {
    return Invalid(source, absl::StrCat("replicas is ", config.replicas(),
                                        "; it must be 1, 3 or 5 (a quorum of an odd number)"));
  }
  return absl::OkStatus();
}

}  // namespace

PartitionId UserPartition(UserId user, uint32_t partitions) {
  return static_cast<PartitionId>(StableHash(user ^ 0x6a09e667f3bcc909ULL) % partitions);
}

absl::StatusOr<ClusterMap> ClusterMap::Parse(absl::string_view text, absl::string_view source) {
  roost::v1::ClusterConfig config;
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", errors.error()));
  }
  return FromConfig(config, source);
}

absl::StatusOr<ClusterMap> ClusterMap::FromConfig(const roost::v1::ClusterConfig& config,
                                                  absl::string_view source) {
  if (absl::Status top = CheckTop(config, source); !top.ok()) return top;
  if (absl::Status nodes = CheckNodes(config, source); !nodes.ok()) return nodes;

  ClusterMap map;
  map.name_ = config.name();
  map.nats_servers_.assign(config.nats_servers().begin(), config.nats_servers().end());
  map.replicas_ = config.replicas() == 0 ? 3 : static_cast<int>(config.replicas());
  for (const auto& node : config.nodes()) map.nodes_.push_back({node.id(), node.grpc_address()});
  map.owners_.resize(config.partitions());
  for (PartitionId p = 0; p < config.partitions(); ++p) {
    map.owners_[p] = map.nodes_[p % map.nodes_.size()].id;
  }
  absl::flat_hash_set<uint32_t> listed;
  for (const auto& owner : config.owners()) {
    if (owner.partition() >= config.partitions()) {
      return Invalid(source, absl::StrCat("owners: partition ", owner.partition(), " is not in 0..",
                                          config.partitions() - 1));
    }
    if (map.node(owner.node()) == nullptr) {
      return Invalid(source, absl::StrCat("owners: partition ", owner.partition(), " goes to node ",
                                          owner.node(), ", which is not listed"));
    }
    if (!listed.insert(owner.partition()).second) {
      return Invalid(source,
                     absl::StrCat("owners: partition ", owner.partition(), " is listed twice"));
    }
    map.owners_[owner.partition()] = owner.node();
  }
  return map;
}

roost::v1::ClusterConfig ClusterMap::ToConfig() const {
  roost::v1::ClusterConfig config;
  config.set_name(name_);
  for (const std::string& server : nats_servers_) config.add_nats_servers(server);
  config.set_partitions(partitions());
  config.set_replicas(static_cast<uint32_t>(replicas_));
  for (const NodeInfo& info : nodes_) {
    roost::v1::ClusterConfig::Node* node = config.add_nodes();
    node->set_id(info.id);
    node->set_grpc_address(info.grpc_address);
  }
  for (PartitionId p = 0; p < partitions(); ++p) {
    roost::v1::ClusterConfig::Owner* owner = config.add_owners();
    owner->set_partition(p);
    owner->set_node(owners_[p]);
  }
  return config;
}

absl::StatusOr<ClusterMap> ClusterMap::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the cluster file ", path));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return Parse(text, path);
}

const NodeInfo* ClusterMap::node(NodeId id) const {
  for (const NodeInfo& node : nodes_) {
    if (node.id == id) return &node;
  }
  return nullptr;
}

std::vector<PartitionId> ClusterMap::PartitionsOf(NodeId node) const {
  std::vector<PartitionId> owned;
  for (PartitionId p = 0; p < owners_.size(); ++p) {
    if (owners_[p] == node) owned.push_back(p);
  }
  return owned;
}

PartitionId ClusterMap::PartitionOf(UserId user) const { return UserPartition(user, partitions()); }

std::string ClusterMap::StreamName(PartitionId partition) const {
  return absl::StrCat("ROOST_", name_, "_P", partition);
}

std::string ClusterMap::Subject(PartitionId partition) const {
  return absl::StrCat("roost.", name_, ".p", partition);
}

}  // namespace roost::cluster
