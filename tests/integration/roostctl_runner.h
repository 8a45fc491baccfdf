// Runs the roostctl this test target was built with (ROOSTCTL_PATH), for the tests of
// its commands.
#ifndef ROOST_TESTS_INTEGRATION_ROOSTCTL_RUNNER_H_
#define ROOST_TESTS_INTEGRATION_ROOSTCTL_RUNNER_H_

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/subprocess.h"

namespace roost::testing {

// roostctl ARGS..., to its exit (at most 60 s): its exit code and what it printed.
inline ProcessOutcome Roostctl(std::vector<std::string> args) {
  args.insert(args.begin(), ROOSTCTL_PATH);
  return RunProcess(args, absl::Now() + absl::Seconds(60));
}

}  // namespace roost::testing

#endif  // ROOST_TESTS_INTEGRATION_ROOSTCTL_RUNNER_H_
