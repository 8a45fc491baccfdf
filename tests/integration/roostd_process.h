// Runs a real roostd as a child process on an ephemeral loopback port, for tests that
// talk to it only through gRPC.
#ifndef ROOST_TESTS_INTEGRATION_ROOSTD_PROCESS_H_
#define ROOST_TESTS_INTEGRATION_ROOSTD_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "common/subprocess.h"

namespace roost::testing {

class RoostdProcess {
 public:
  // Starts roostd on `data_dir` and waits (up to 60 s) until it prints that it serves.
  // On failure, returns false with what roostd printed in *output.
  bool Start(const std::string& data_dir, const std::vector<std::string>& extra_flags,
             std::string* output);
  // SIGTERM, then waits (up to 60 s) for exit; returns the exit status (-1 if not running) and
  // appends what roostd printed since Start to *output when given.
  int Stop(std::string* output = nullptr);
  // SIGKILL: a crash at whatever point roostd has reached. Stop() then reaps it.
  // Safe to call from another thread while the owner only waits on gRPC calls.
  void Kill();

  // Reads what roostd prints (appending to *output) until `deadline` or its exit: for
  // a thread that keeps a chatty roostd's pipe from filling. Not concurrently with
  // Start, Stop or another ReadOutput.
  void ReadOutput(absl::Time deadline, std::string* output);

  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  std::shared_ptr<grpc::Channel> channel() const;

 private:
  Subprocess process_;
  int port_ = 0;
};

// Runs roostd to completion (for runs expected to fail fast) and returns its exit
// status and combined output; -1 if it was still running after 30 s (then killed).
int RunRoostdToExit(const std::vector<std::string>& flags, std::string* output);

}  // namespace roost::testing

#endif  // ROOST_TESTS_INTEGRATION_ROOSTD_PROCESS_H_
