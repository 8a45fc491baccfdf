#include "tests/integration/roostd_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace roost::testing {
namespace {

std::vector<std::string> Command(const std::string& data_dir,
                                 const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {ROOSTD_PATH, "--listen=127.0.0.1:0",
                                   "--data-dir=" + data_dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// Forks and execs argv with stdout and stderr on a pipe; returns the read end.
pid_t Spawn(const std::vector<std::string>& args, int* read_fd) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  *read_fd = fds[0];
  return pid;
}

// Reads from fd until `needle` appears in *out, EOF, or the deadline.
bool ReadUntil(int fd, const std::string& needle, std::chrono::steady_clock::time_point deadline,
               std::string* out) {
  char buf[4096];
  while (out->find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) return false;
    out->append(buf, static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

bool RoostdProcess::Start(const std::string& data_dir, const std::vector<std::string>& extra_flags,
                          std::string* output) {
  pid_ = Spawn(Command(data_dir, extra_flags), &output_fd_);
  if (pid_ < 0) return false;
  output->clear();
  // roostd prints one line once it serves, or an error and exits.
  const bool serving =
      ReadUntil(output_fd_, "\n", std::chrono::steady_clock::now() + std::chrono::seconds(60),
                output) &&
      output->find("serving on 127.0.0.1:") != std::string::npos;
  if (!serving) {
    Stop(output);
    return false;
  }
  const size_t colon = output->find("127.0.0.1:") + std::strlen("127.0.0.1:");
  port_ = std::atoi(output->c_str() + colon);
  return port_ > 0;
}

int RoostdProcess::Stop(std::string* output) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  std::string rest;
  ReadUntil(output_fd_, "\x01never", std::chrono::steady_clock::now() + std::chrono::seconds(60),
            &rest);  // to EOF: roostd has exited
  close(output_fd_);
  output_fd_ = -1;
  if (output != nullptr) output->append(rest);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

RoostdProcess::~RoostdProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (output_fd_ >= 0) close(output_fd_);
}

std::shared_ptr<grpc::Channel> RoostdProcess::channel() const {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                             grpc::InsecureChannelCredentials());
}

int RunRoostdToExit(const std::vector<std::string>& flags, std::string* output) {
  std::vector<std::string> args = {ROOSTD_PATH};
  args.insert(args.end(), flags.begin(), flags.end());
  int fd = -1;
  const pid_t pid = Spawn(args, &fd);
  // Reads to EOF (roostd exited) or for at most 30 s; a roostd still running then did
  // not fail as expected, and is killed so the test fails instead of hanging.
  ReadUntil(fd, "\x01never", std::chrono::steady_clock::now() + std::chrono::seconds(30), output);
  close(fd);
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    output->append("\n(still running after 30 s: killed)");
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace roost::testing
