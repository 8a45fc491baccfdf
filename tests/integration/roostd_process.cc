#include "tests/integration/roostd_process.h"

#include <signal.h>

#include <cstdlib>
#include <cstring>

#include "absl/time/clock.h"

namespace roost::testing {

bool RoostdProcess::Start(const std::string& data_dir, const std::vector<std::string>& extra_flags,
                          std::string* output) {
  std::vector<std::string> args = {ROOSTD_PATH, "--listen=127.0.0.1:0", "--data-dir=" + data_dir};
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  output->clear();
  if (absl::Status started = process_.Start(args); !started.ok()) {
    *output = started.ToString();
    return false;
  }
  // roostd prints a line once it serves (after progress lines when its recovery takes
  // over a second), or an error and exits.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  bool serving = process_.ReadUntil("serving on 127.0.0.1:", deadline, output);
  // The rest of that line, the port, unless it came with it.
  if (serving && output->find('\n', output->find("serving on")) == std::string::npos) {
    serving = process_.ReadUntil("\n", deadline, output);
  }
  if (!serving) {
    Stop(output);
    return false;
  }
  const size_t colon = output->find("127.0.0.1:") + std::strlen("127.0.0.1:");
  port_ = std::atoi(output->c_str() + colon);
  return port_ > 0;
}

int RoostdProcess::Stop(std::string* output) {
  process_.Signal(SIGTERM);
  return process_.Wait(absl::Now() + absl::Seconds(60), output);
}

void RoostdProcess::ReadOutput(absl::Time deadline, std::string* output) {
  process_.ReadUntil("\x01 never printed \x02", deadline, output);
}

void RoostdProcess::Kill() { process_.Signal(SIGKILL); }

std::shared_ptr<grpc::Channel> RoostdProcess::channel() const {
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                             grpc::InsecureChannelCredentials());
}

int RunRoostdToExit(const std::vector<std::string>& flags, std::string* output) {
  std::vector<std::string> args = {ROOSTD_PATH};
  args.insert(args.end(), flags.begin(), flags.end());
  Subprocess process;
  if (absl::Status started = process.Start(args); !started.ok()) {
    *output = started.ToString();
    return -1;
  }
  // Reads to EOF (roostd exited) or for at most 30 s; a roostd still running then did
  // not fail as expected, and is killed so the test fails instead of hanging.
  const int code = process.Wait(absl::Now() + absl::Seconds(30), output);
  if (code == 128 + SIGKILL) output->append("\n(killed: still running after 30 s)");
  return code;
}

}  // namespace roost::testing
