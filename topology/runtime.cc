#include "topology/runtime.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace roost::topology {

absl::Status TaskError(const absl::Status& error, absl::string_view kind,
                       const TaskContext& context) {
  return absl::Status(error.code(), absl::StrCat(kind, " '", context.component, "' task ",
                                                 context.task_index, ": ", error.message()));
}

Runtime::Runtime(int spout_instances, TopologyOptions options)
    : options_(std::move(options)), tracker_(spout_instances, options_.on_commit) {}

void Runtime::StopSpouts() {
  // The flag first: a spout woken by the gate must find it set.
  spouts_stopping_.store(true, std::memory_order_release);
  gate_.Shutdown();
}

void Runtime::FailSpouts(absl::Status error) {
  {
    absl::MutexLock lock(&mu_);
    if (first_error_.ok()) first_error_ = std::move(error);
  }
  StopSpouts();
}

absl::Status Runtime::first_error() const {
  absl::MutexLock lock(&mu_);
  return first_error_;
}

}  // namespace roost::topology
