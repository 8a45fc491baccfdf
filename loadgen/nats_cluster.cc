#include "loadgen/nats_cluster.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "loadgen/free_port.h"

namespace roost::loadgen {
namespace {

constexpr char kNatsServer[] = "/usr/sbin/nats-server";

std::string Tail(const std::string& path, size_t bytes) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

bool HasPortsFile(const std::string& dir, pid_t pid) {
  return std::filesystem::exists(absl::StrCat(dir, "/nats-server_", pid, ".ports"));
}

}  // namespace

absl::Status NatsServer::Start(Config config) {
  if (access(kNatsServer, X_OK) != 0) {
    return absl::FailedPreconditionError(
        "nats-server is not installed (scripts/install-deps.sh installs it)");
  }
  config_ = std::move(config);
  std::filesystem::create_directories(config_.dir);
  if (config_.client_port == 0) config_.client_port = FreeLoopbackPort();
  const std::string log_file = config_.dir + "/nats-server.log";
  std::vector<std::string> args = {kNatsServer,
                                   "-a",
                                   "127.0.0.1",
                                   "-p",
                                   std::to_string(config_.client_port),
                                   "-n",
                                   config_.name,
                                   "-js",
                                   "-sd",
                                   config_.dir,
                                   "-l",
                                   log_file,
                                   "--ports_file_dir",
                                   config_.dir};
  if (config_.cluster_port != 0) {
    std::vector<std::string> routes;
    for (int port : config_.route_ports) routes.push_back(absl::StrCat("nats://127.0.0.1:", port));
    args.insert(args.end(), {"--cluster_name", config_.cluster_name, "--cluster",
                             absl::StrCat("nats://127.0.0.1:", config_.cluster_port), "--routes",
                             absl::StrJoin(routes, ",")});
  }
  if (absl::Status started = process_.Start(args); !started.ok()) return started;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    // It writes the ports file once its listeners are up.
    if (HasPortsFile(config_.dir, process_.pid())) return absl::OkStatus();
    if (kill(process_.pid(), 0) != 0) break;
    absl::SleepFor(absl::Milliseconds(5));  // polling the condition, with a deadline
  }
  process_.Wait(absl::Now() + absl::Seconds(5));
  return absl::UnavailableError(
      absl::StrCat("nats-server ", config_.name, " did not start: ", Tail(log_file, 2000)));
}

void NatsServer::Kill() {
  process_.Signal(SIGKILL);
  process_.Wait(absl::Now() + absl::Seconds(10));
}

void NatsServer::Stop() {
  process_.Signal(SIGTERM);
  process_.Wait(absl::Now() + absl::Seconds(10));
}

std::string NatsServer::url() const {
  return absl::StrCat("nats://127.0.0.1:", config_.client_port);
}

absl::Status NatsCluster::Start(const std::string& dir, int size) {
  std::vector<int> cluster_ports;
  if (size > 1) {
    for (int i = 0; i < size; ++i) cluster_ports.push_back(FreeLoopbackPort());
  }
  for (int i = 0; i < size; ++i) {
    NatsServer::Config config;
    config.name = absl::StrCat("n", i + 1);
    config.dir = absl::StrCat(dir, "/", config.name);
    if (size > 1) {
      config.cluster_port = cluster_ports[i];
      config.route_ports = cluster_ports;
    }
    auto server = std::make_unique<NatsServer>();
    if (absl::Status started = server->Start(std::move(config)); !started.ok()) return started;
    servers_.push_back(std::move(server));
  }
  return absl::OkStatus();
}

std::vector<std::string> NatsCluster::urls() const {
  std::vector<std::string> urls;
  for (const auto& server : servers_) urls.push_back(server->url());
  return urls;
}

}  // namespace roost::loadgen
