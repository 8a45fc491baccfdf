// The contract of Log (log/log.h) as a value-parameterized test suite, so every
// implementation is held to the same behaviour: instantiate LogContractTest with a
// LogFactory for it (log_contract_test.cc does, for the segmented and in-memory logs).
#ifndef ROOST_TESTS_LOG_LOG_CONTRACT_H_
#define ROOST_TESTS_LOG_LOG_CONTRACT_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "gtest/gtest.h"
#include "log/log.h"

namespace roost::log::testing {

struct LogFactory {
  std::string name;
  // Opens a fresh, empty log; `dir` is an empty directory it may use.
  std::function<std::unique_ptr<Log>(const std::string& dir)> open;
};

inline void PrintTo(const LogFactory& factory, std::ostream* os) { *os << factory.name; }

class LogContractTest : public ::testing::TestWithParam<LogFactory> {
 protected:
  void SetUp() override;
  Log& log() { return *log_; }
  // Appends `n` records "r<i>" from i = first and checks each offset it gets.
  void AppendRecords(int first, int n);

  std::string dir_;
  std::unique_ptr<Log> log_;
};

}  // namespace roost::log::testing

#endif  // ROOST_TESTS_LOG_LOG_CONTRACT_H_
