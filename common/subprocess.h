// Subprocess runs a program as a child process with its stdout and stderr on a pipe
// the parent reads: for the tests and the load generator, which start real servers
// (roostd, redis-server) on loopback ports and must stop exactly the processes they
// started.
//
// Not thread-safe. The destructor SIGKILLs a child still running and reaps it, and a
// child is SIGKILLed by the kernel if its parent dies first (PR_SET_PDEATHSIG), so a
// failing or crashing caller never leaves a server behind. Start children from a
// thread that lives as long as they should: the kernel's signal follows the thread
// that forked.
#ifndef ROOST_COMMON_SUBPROCESS_H_
#define ROOST_COMMON_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace roost {

class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts args[0] (a path; not searched in PATH) with the given arguments.
  // FAILED_PRECONDITION when one is already running; INTERNAL when the pipe or fork
  // fails. A program that cannot be executed exits with status 127.
  absl::Status Start(const std::vector<std::string>& args);

  // Reads the child's output into *output (appending) until `needle` appears in
  // what was read since the call began, the output ends (the child exited) or
  // `deadline` passes. True when the needle was seen.
  bool ReadUntil(absl::string_view needle, absl::Time deadline, std::string* output);

  // Sends `signal` (no effect when not running).
  void Signal(int signal);
  // Reads the rest of the output (appending to *output when given) until the child
  // exits or `deadline` passes; then reaps it, SIGKILLing it first if it is still
  // running. Returns its exit code, 128 + signal when killed by a signal, -1 when
  // nothing was running.
  int Wait(absl::Time deadline, std::string* output = nullptr);

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int output_fd_ = -1;
};

// What a program run to completion printed and returned.
struct ProcessOutcome {
  int code = -1;       // as Subprocess::Wait; -1 when it could not start
  std::string output;  // stdout and stderr; why it could not start, if it could not
};

// Runs args[0] with args[1..] until it exits or `deadline` passes (then it is killed).
ProcessOutcome RunProcess(const std::vector<std::string>& args, absl::Time deadline);

}  // namespace roost

#endif  // ROOST_COMMON_SUBPROCESS_H_
