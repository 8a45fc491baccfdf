// A local Roost cluster of real processes on 127.0.0.1, for the cluster's tests and
// benchmarks: three nats-server (JetStream, one Raft cluster) and N roostd nodes,
// started from a generated cluster file, each node's data and output under one
// directory. Nodes can be killed (by their PID only), stopped, wiped and started again
// on the same address, as an operator would.
//
// Not thread-safe; start it from a thread that lives as long as the processes should
// (common/subprocess.h).
#ifndef ROOST_LOADGEN_ROOST_CLUSTER_H_
#define ROOST_LOADGEN_ROOST_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/subprocess.h"
#include "loadgen/nats_cluster.h"

namespace roost::loadgen {

struct RoostClusterOptions {
  std::string roostd;  // the roostd binary
  std::string dir;     // everything the cluster keeps; created
  int nodes = 3;
  int partitions = 8;
  int replicas = 3;
  std::vector<std::string> roostd_flags;  // more flags for every node
};

class RoostCluster {
 public:
  RoostCluster() = default;
  ~RoostCluster();  // SIGTERMs the nodes, then the NATS servers
  RoostCluster(const RoostCluster&) = delete;
  RoostCluster& operator=(const RoostCluster&) = delete;

  // Starts the NATS servers and every node, and waits (60 s at most) until all serve.
  // UNAVAILABLE with the end of the failing process's output.
  absl::Status Start(RoostClusterOptions options);

  int nodes() const { return static_cast<int>(nodes_.size()); }
  // Node i (0-based) has id i + 1.
  const std::string& address(int i) const { return nodes_[i].address; }
  std::vector<std::string> addresses() const;
  pid_t pid(int i) const { return nodes_[i].process.pid(); }
  bool running(int i) const { return nodes_[i].process.running(); }
  // The node's data dir, and the file its output goes to.
  std::string data_dir(int i) const;
  std::string output_file(int i) const;
  const std::string& cluster_file() const { return cluster_file_; }
  NatsCluster& nats() { return nats_; }

  // Starts node i again (after Kill or Stop) and waits until it serves.
  absl::Status StartNode(int i);
  // SIGKILL, reaped.
  void KillNode(int i);
  // SIGTERM; its exit code (-1 when it was not running).
  int StopNode(int i);

 private:
  struct Node {
    std::string address;
    Subprocess process;
  };

  RoostClusterOptions options_;
  NatsCluster nats_;
  std::string cluster_file_;
  std::vector<Node> nodes_;
};

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_ROOST_CLUSTER_H_
