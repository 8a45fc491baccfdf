#include "tests/common/memcached_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace roost::testing {
namespace {

constexpr char kMemcached[] = "/usr/bin/memcached";

bool AcceptsConnections(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return connected;
}

// The port memcached wrote to MEMCACHED_PORT_FILENAME ("TCP INET: 12345"), 0 if not yet.
int PortInFile(const std::string& path) {
  std::ifstream in(path);
  std::string tcp, inet;
  int port = 0;
  in >> tcp >> inet >> port;
  return tcp == "TCP" ? port : 0;
}

}  // namespace

absl::Status MemcachedProcess::Start(int port) {
  if (access(kMemcached, X_OK) != 0) {
    return absl::FailedPreconditionError(
        "memcached is not installed (scripts/install-deps.sh installs it)");
  }
  // memcached writes the port it bound, when asked to pick one (-p -1), to the file
  // named by this variable: no race with another process for a port chosen here.
  const std::string port_file = absl::StrCat(::testing::TempDir(), "memcached_port_", getpid(), "_",
                                             reinterpret_cast<uintptr_t>(this));
  std::filesystem::remove(port_file);
  std::vector<std::string> args = {"/usr/bin/env",
                                   "MEMCACHED_PORT_FILENAME=" + port_file,
                                   kMemcached,
                                   "-l",
                                   "127.0.0.1",
                                   "-p",
                                   port == 0 ? "-1" : std::to_string(port),
                                   "-U",
                                   "0",
                                   "-t",
                                   "1",
                                   "-m",
                                   "64"};
  // As root it insists on a user to run as; staying root keeps the kernel's
  // parent-death signal, which a change of user would clear.
  if (geteuid() == 0) args.insert(args.end(), {"-u", "root"});
  if (absl::Status started = process_.Start(args); !started.ok()) return started;

  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    const int bound = port == 0 ? PortInFile(port_file) : port;
    if (bound > 0 && AcceptsConnections(bound)) {
      port_ = bound;
      std::filesystem::remove(port_file);
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(5));  // polling the condition, with a deadline
  }
  std::string output;
  process_.Wait(absl::Now() + absl::Seconds(5), &output);
  std::filesystem::remove(port_file);
  return absl::UnavailableError(absl::StrCat("memcached did not start: ", output));
}

void MemcachedProcess::Kill() {
  process_.Signal(SIGKILL);
  process_.Wait(absl::Now() + absl::Seconds(10));
}

void MemcachedProcess::Pause() {
  process_.Signal(SIGSTOP);
  // kill() returns before every thread has stopped: a worker thread already running
  // could still answer one more request. Wait until the kernel shows them all stopped.
  const std::string tasks = absl::StrCat("/proc/", process_.pid(), "/task");
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (bool all_stopped = false; !all_stopped && absl::Now() < deadline;) {
    all_stopped = true;
    std::error_code error;
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
      std::ifstream stat(task.path() / "stat");
      std::string line;
      std::getline(stat, line);
      // "pid (comm) S ...": the state follows the last ')'.
      const size_t paren = line.rfind(')');
      if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'T') {
        all_stopped = false;
      }
    }
    if (!all_stopped) std::this_thread::yield();
  }
}
void MemcachedProcess::Resume() { process_.Signal(SIGCONT); }

std::string MemcachedProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

}  // namespace roost::testing
