// `roostctl graph ...`: tools over a data directory's graph store, working on the
// files. verify recomputes every edge count by scanning the lists and checks the
// indexes against each other; it needs roostd stopped (it takes the data dir's lock,
// and opens the store read-only, so it changes nothing).
#ifndef ROOST_SERVICES_ROOSTCTL_GRAPH_H_
#define ROOST_SERVICES_ROOSTCTL_GRAPH_H_

#include <string>
#include <vector>

namespace roost::services::ctl {

// Runs `args` (e.g. {"verify"}) on `data_dir` and returns the process exit code: 0
// when consistent, 1 when drift or damage was found or the store cannot be read, 2
// for a usage error.
int RunGraphCommand(const std::vector<std::string>& args, const std::string& data_dir);

}  // namespace roost::services::ctl

#endif  // ROOST_SERVICES_ROOSTCTL_GRAPH_H_
