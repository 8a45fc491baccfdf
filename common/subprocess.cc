#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace roost {

Subprocess::~Subprocess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (output_fd_ >= 0) close(output_fd_);
}

absl::Status Subprocess::Start(const std::vector<std::string>& args) {
  if (pid_ > 0) return absl::FailedPreconditionError("a child process is already running");
  if (args.empty()) return absl::InvalidArgumentError("no program to run");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  // Built before fork: the child may only call async-signal-safe functions.
  const pid_t parent = getpid();
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // If the parent dies without stopping us (a crash, SIGKILL), so do we: a test or
    // a load generator must never leave a server behind. (Strictly, the signal comes
    // when the thread that forked exits; callers start children from long-lived ones.)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl
    dup2(fds[1], STDOUT_FILENO);          // dup2 clears O_CLOEXEC on the copies
    dup2(fds[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  if (output_fd_ >= 0) close(output_fd_);
  output_fd_ = fds[0];
  pid_ = pid;
  return absl::OkStatus();
}

bool Subprocess::ReadUntil(absl::string_view needle, absl::Time deadline, std::string* output) {
  if (output_fd_ < 0) return false;
  const size_t start = output->size();
  char buf[4096];
  while (output->find(needle.data(), start, needle.size()) == std::string::npos) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) return false;
    pollfd p{output_fd_, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left_ms, 1 << 30)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = read(output_fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // EOF: the child closed its output (exited)
    output->append(buf, static_cast<size_t>(n));
  }
  return true;
}

void Subprocess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

int Subprocess::Wait(absl::Time deadline, std::string* output) {
  if (pid_ <= 0) return -1;
  std::string rest;
  ReadUntil(absl::string_view("\x01\x02never", 7), deadline, &rest);  // to EOF or deadline
  if (output != nullptr) output->append(rest);
  close(output_fd_);
  output_fd_ = -1;
  // The output ends when the child closes it, which is at its exit or before (a child
  // that sent its output elsewhere): wait for the exit itself until the deadline.
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(1));  // no timed waitpid: poll, bounded by the deadline
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

ProcessOutcome RunProcess(const std::vector<std::string>& args, absl::Time deadline) {
  Subprocess process;
  ProcessOutcome outcome;
  if (absl::Status started = process.Start(args); !started.ok()) {
    outcome.output = started.ToString();
    return outcome;
  }
  outcome.code = process.Wait(deadline, &outcome.output);
  return outcome;
}

}  // namespace roost
