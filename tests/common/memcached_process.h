// A real memcached as a child process on 127.0.0.1, for the tests of the tweet cache:
// started on a port the kernel picks (or on a given one, to restart a killed server
// where its clients expect it), and killed, stopped and continued by its PID only.
#ifndef ROOST_TESTS_COMMON_MEMCACHED_PROCESS_H_
#define ROOST_TESTS_COMMON_MEMCACHED_PROCESS_H_

#include <string>

#include "absl/status/status.h"
#include "common/subprocess.h"

namespace roost::testing {

class MemcachedProcess {
 public:
  MemcachedProcess() = default;
  ~MemcachedProcess() = default;  // kills it, stopped or not (SIGKILL)
  MemcachedProcess(const MemcachedProcess&) = delete;
  MemcachedProcess& operator=(const MemcachedProcess&) = delete;

  // Starts memcached on `port` (0: a free port) and returns once it accepts
  // connections (within 10 s). FAILED_PRECONDITION when /usr/bin/memcached is missing
  // (scripts/install-deps.sh installs it).
  absl::Status Start(int port = 0);
  // SIGKILL, and reaps it: everything it held is gone. Start(port()) brings it back.
  void Kill();
  // SIGSTOP: it keeps its connections and its data but answers nothing (like a
  // partitioned server). Resume() is SIGCONT.
  void Pause();
  void Resume();

  int port() const { return port_; }
  // "127.0.0.1:PORT"
  std::string address() const;

 private:
  Subprocess process_;
  int port_ = 0;
};

}  // namespace roost::testing

#endif  // ROOST_TESTS_COMMON_MEMCACHED_PROCESS_H_
