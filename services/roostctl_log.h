// `roostctl log ...`: tools over a data directory's log, working on the files. info,
// dump and verify only read (no server needed, safe while roostd runs); truncate
// deletes old segments, and needs roostd stopped (it takes the data dir's lock).
#ifndef ROOST_SERVICES_ROOSTCTL_LOG_H_
#define ROOST_SERVICES_ROOSTCTL_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

namespace roost::services::ctl {

struct LogCommandOptions {
  std::string data_dir;
  uint64_t from = 1;    // dump: first offset
  uint64_t to = 0;      // dump: last offset, 0 for the end
  std::string type;     // dump: only events of this kind ("tweet_posted", ...), "" for all
  uint64_t before = 0;  // truncate: delete the segments wholly below this offset
};

// Runs `args` (e.g. {"info"}) and returns the process exit code: 0, 1 when the log
// is damaged or unreadable, 2 for a usage error.
int RunLogCommand(const std::vector<std::string>& args, const LogCommandOptions& options);

}  // namespace roost::services::ctl

#endif  // ROOST_SERVICES_ROOSTCTL_LOG_H_
