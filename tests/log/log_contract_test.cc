// Both logs Roost can run on, held to Log's contract (log_contract.h).
#include <memory>
#include <string>

#include "log/segmented_log.h"
#include "tests/log/log_contract.h"
#include "tests/log/memory_log.h"

namespace roost::log::testing {
namespace {

std::unique_ptr<Log> OpenSegmented(const std::string& dir) {
  SegmentedLogOptions options;
  options.sync = SyncPolicy::kNone;
  options.segment_bytes = 4096;  // many segments, so retention has something to delete
  absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir, options);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(
    Logs, LogContractTest,
    ::testing::Values(LogFactory{"Segmented", OpenSegmented},
                      LogFactory{"Memory",
                                 [](const std::string&) -> std::unique_ptr<Log> {
                                   return std::make_unique<MemoryLog>();
                                 }}),
    [](const ::testing::TestParamInfo<LogFactory>& info) { return info.param.name; });

}  // namespace
}  // namespace roost::log::testing
