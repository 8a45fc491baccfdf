// Real nats-server processes with JetStream on 127.0.0.1, for the benchmarks and the
// tests of the cluster's log: one server, or a cluster of three whose streams
// replicate by Raft. Each keeps its
// data and its log file in its own directory, so a server killed (by its PID only) and
// started again comes back with what it stored, on the same ports.
#ifndef ROOST_LOADGEN_NATS_CLUSTER_H_
#define ROOST_LOADGEN_NATS_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/subprocess.h"

namespace roost::loadgen {

class NatsServer {
 public:
  struct Config {
    std::string name;  // unique in its cluster
    std::string dir;   // its JetStream store, ports file and log
    int client_port = 0;
    int cluster_port = 0;          // 0 with no routes: a single server
    std::vector<int> route_ports;  // every member's cluster port, this one's included
    std::string cluster_name = "roost-test";
  };

  NatsServer() = default;
  ~NatsServer() = default;  // SIGKILLs it if running
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;

  // Starts it and returns once it listens (within 10 s). FAILED_PRECONDITION when
  // nats-server is not installed (scripts/install-deps.sh installs it); UNAVAILABLE,
  // with the end of its log, when it exits instead.
  absl::Status Start(Config config);
  // SIGKILL, and reaps it. Start(config()) brings it back with its data.
  void Kill();
  // SIGTERM (a clean shutdown), and reaps it.
  void Stop();

  bool running() const { return process_.running(); }
  int pid() const { return process_.pid(); }
  const Config& config() const { return config_; }
  std::string url() const;  // nats://127.0.0.1:PORT

 private:
  Subprocess process_;
  Config config_;
};

// Three (or `size`) servers routed to each other, on ports the kernel had free.
class NatsCluster {
 public:
  // Starts every server under `dir` (made if missing). With size 1 it is a single
  // server without routes.
  absl::Status Start(const std::string& dir, int size = 3);

  NatsServer& server(int i) { return *servers_[i]; }
  int size() const { return static_cast<int>(servers_.size()); }
  // Every server's client URL.
  std::vector<std::string> urls() const;

 private:
  std::vector<std::unique_ptr<NatsServer>> servers_;
};

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_NATS_CLUSTER_H_
