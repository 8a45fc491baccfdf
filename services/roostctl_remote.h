// `roostctl COMMAND ...` against a running roostd: one gRPC call a command (the feed
// streams), its answer printed for a person to read.
#ifndef ROOST_SERVICES_ROOSTCTL_REMOTE_H_
#define ROOST_SERVICES_ROOSTCTL_REMOTE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "services/roostctl_client.h"

namespace roost::services::ctl {

// The flags the remote commands read (roostctl --help says what each does).
struct RemoteOptions {
  uint32_t limit = 20;
  uint64_t max_id = 0;
  int64_t cursor = 0;
  std::string graph = "follows";
  std::string states = "normal";
  std::string direction = "forward";
  bool total = false;
  int64_t after_ms = 0;
  int64_t before_ms = 0;
  std::string request_id;
  uint64_t reply_to = 0;
  uint64_t min_position = 0;    // reads: wait until the stores have applied this position
  std::string token;            // reads: wait for what the write with this token caused
  uint64_t from = 0;            // feed
  std::string type;             // feed
  uint32_t partition = 0;       // feed, in a cluster
  bool all_partitions = false;  // feed, in a cluster: all of the node's
};

// Whether `command` is one of the remote commands.
bool IsRemoteCommand(const std::string& command);

// Runs `command` with `args` (what follows it) through `client`; returns the process
// exit code: 0, 1 when roostd answered with an error (printed with its code's name),
// 2 for a usage error.
int RunRemoteCommand(const Client& client, const std::string& command,
                     const std::vector<std::string>& args, const RemoteOptions& options);

// Prints `problem` and where to find the usage; returns 2, the usage error's exit code.
int UsageError(const std::string& problem);

}  // namespace roost::services::ctl

#endif  // ROOST_SERVICES_ROOSTCTL_REMOTE_H_
