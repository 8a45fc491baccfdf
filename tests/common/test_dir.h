// FreshTestDir: a scratch directory for the running test.
#ifndef ROOST_TESTS_COMMON_TEST_DIR_H_
#define ROOST_TESTS_COMMON_TEST_DIR_H_

#include <unistd.h>

#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace roost::testing {

// A directory under the test temp dir named after `prefix`, the running test and this
// process (the sanitizer builds' suites may run the same test at once); it does not
// exist (anything there is removed first).
inline std::string FreshTestDir(const std::string& prefix) {
  std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (char& c : name) {
    if (c == '/') c = '_';  // a parameterized test's name
  }
  const std::string dir =
      ::testing::TempDir() + prefix + "_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

}  // namespace roost::testing

#endif  // ROOST_TESTS_COMMON_TEST_DIR_H_
