#include "loadgen/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace roost::loadgen {
namespace {

// Ports below this are left to the system's own services.
constexpr int kLowestPort = 10000;
// Fewer ports than this below the ephemeral range: pick from the range instead.
constexpr int kMinPorts = 1000;

// The first port of the kernel's ephemeral range (Linux's default when unreadable).
int EphemeralLow() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  int high = 0;
  if (in >> low >> high && low > 0) return low;
  return 32768;
}

// Binds `port` (0: the kernel picks) on loopback and releases it: the port bound, or 0.
int BindAndRelease(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t length = sizeof(addr);
  int bound = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    bound = ntohs(addr.sin_port);
  }
  close(fd);
  return bound;
}

}  // namespace

int FreeLoopbackPort() {
  static absl::Mutex mu;
  static std::mt19937 random ABSL_GUARDED_BY(mu){std::random_device{}()};
  // A starter picks all its servers' ports before it starts any: none twice.
  static absl::flat_hash_set<int> given ABSL_GUARDED_BY(mu);
  static const int high = EphemeralLow() - 1;
  if (high - kLowestPort + 1 >= kMinPorts) {
    std::uniform_int_distribution<int> pick(kLowestPort, high);
    absl::MutexLock lock(&mu);
    for (int attempt = 0; attempt < 64; ++attempt) {
      const int port = pick(random);
      if (!given.contains(port) && BindAndRelease(port) == port) {
        given.insert(port);
        return port;
      }
    }
  }
  std::fprintf(stderr,
               "free_port: no free port below the ephemeral range; using one the kernel "
               "picks, which an outgoing connection could take first\n");
  return BindAndRelease(0);
}

}  // namespace roost::loadgen
