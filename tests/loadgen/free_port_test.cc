#include "loadgen/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "gtest/gtest.h"

namespace roost::loadgen {
namespace {

// Whether a listening socket can be bound to `port` on loopback now.
bool CanListenOn(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok =
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 && listen(fd, 1) == 0;
  close(fd);
  return ok;
}

// Outgoing connections take their local ports from the ephemeral range; a server's
// port picked there could be taken before the server binds it. A starter picks all
// its servers' ports first, so one port must not be returned twice.
TEST(FreeLoopbackPortTest, PortsAreBindableAndBelowTheEphemeralRange) {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 0;
  int high = 0;
  ASSERT_TRUE(in >> low >> high);
  if (low <= 11000) {
    GTEST_SKIP() << "the ephemeral range starts at " << low
                 << ": too few ports below it, so the kernel's pick is used";
  }
  std::set<int> ports;
  for (int i = 0; i < 50; ++i) {
    const int port = FreeLoopbackPort();
    EXPECT_GE(port, 10000);
    EXPECT_LT(port, low);
    EXPECT_TRUE(CanListenOn(port)) << port;
    EXPECT_TRUE(ports.insert(port).second) << port << " was returned twice";
  }
}

}  // namespace
}  // namespace roost::loadgen
