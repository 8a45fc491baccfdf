#include "loadgen/roost_cluster.h"

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "loadgen/free_port.h"

namespace roost::loadgen {
namespace {

std::string Tail(const std::string& path, size_t bytes) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() <= bytes ? all : all.substr(all.size() - bytes);
}

std::string Quoted(const std::string& s) { return absl::StrCat("'", s, "'"); }

}  // namespace

RoostCluster::~RoostCluster() {
  for (int i = 0; i < nodes(); ++i) StopNode(i);
  for (int i = 0; i < nats_.size(); ++i) nats_.server(i).Stop();
}

absl::Status RoostCluster::Start(RoostClusterOptions options) {
  options_ = std::move(options);
  std::filesystem::create_directories(options_.dir);
  if (absl::Status started = nats_.Start(options_.dir + "/nats", 3); !started.ok()) return started;
  nodes_ = std::vector<Node>(options_.nodes);
  std::vector<std::string> servers;
  for (const std::string& url : nats_.urls()) servers.push_back(absl::StrCat("\"", url, "\""));
  std::ofstream file(cluster_file_ = options_.dir + "/cluster.txtpb");
  file << "name: \"test\"\nnats_servers: [" << absl::StrJoin(servers, ", ") << "]\n"
       << "partitions: " << options_.partitions << "\nreplicas: " << options_.replicas << "\n";
  for (int i = 0; i < options_.nodes; ++i) {
    nodes_[i].address = absl::StrCat("127.0.0.1:", FreeLoopbackPort());
    file << "nodes { id: " << i + 1 << " grpc_address: \"" << nodes_[i].address << "\" }\n";
  }
  file.close();
  if (!file) return absl::InternalError("cannot write " + cluster_file_);
  for (int i = 0; i < options_.nodes; ++i) {
    if (absl::Status started = StartNode(i); !started.ok()) return started;
  }
  return absl::OkStatus();
}

std::vector<std::string> RoostCluster::addresses() const {
  std::vector<std::string> all;
  for (const Node& node : nodes_) all.push_back(node.address);
  return all;
}

std::string RoostCluster::data_dir(int i) const {
  return absl::StrCat(options_.dir, "/node", i + 1);
}

std::string RoostCluster::output_file(int i) const {
  return absl::StrCat(options_.dir, "/node", i + 1, ".log");
}

absl::Status RoostCluster::StartNode(int i) {
  const std::string port_file = absl::StrCat(options_.dir, "/node", i + 1, ".port");
  std::filesystem::remove(port_file);
  // Through a shell only to send the output to a file (appended: a restarted node's
  // follows the earlier run's); exec leaves roostd with the shell's PID.
  std::string command = absl::StrCat(
      "exec ", Quoted(options_.roostd), " --cluster=", Quoted(cluster_file_), " --node-id=", i + 1,
      " --data-dir=", Quoted(data_dir(i)), " --port-file=", Quoted(port_file));
  for (const std::string& flag : options_.roostd_flags)
    absl::StrAppend(&command, " ", Quoted(flag));
  absl::StrAppend(&command, " >>", Quoted(output_file(i)), " 2>&1");
  Subprocess& process = nodes_[i].process;
  if (absl::Status started = process.Start({"/bin/sh", "-c", command}); !started.ok()) {
    return started;
  }
  // roostd writes its port file once it serves, or exits.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (absl::Now() < deadline) {
    if (std::filesystem::exists(port_file)) return absl::OkStatus();
    // Exited (left waitable for Wait below)?
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(process.pid()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid != 0) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));  // polling the condition, with a deadline
  }
  process.Wait(absl::Now() + absl::Seconds(10));
  return absl::UnavailableError(
      absl::StrCat("roostd node ", i + 1, " did not start: ", Tail(output_file(i), 2000)));
}

void RoostCluster::KillNode(int i) {
  nodes_[i].process.Signal(SIGKILL);
  nodes_[i].process.Wait(absl::Now() + absl::Seconds(10));
}

int RoostCluster::StopNode(int i) {
  nodes_[i].process.Signal(SIGTERM);
  return nodes_[i].process.Wait(absl::Now() + absl::Seconds(60));
}

}  // namespace roost::loadgen
