// What the tests of the engine in process share: a Roost on a fresh data directory
// named after the running test, opened (and reopened, for a restart) from options_,
// removed afterwards; and Wait, which runs a write and waits for its answer.
#ifndef ROOST_TESTS_SERVICES_ENGINE_FIXTURE_H_
#define ROOST_TESTS_SERVICES_ENGINE_FIXTURE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "services/roost.h"
#include "tests/common/test_dir.h"

namespace roost::services::testing {

// Base: ::testing::Test, or ::testing::TestWithParam<T> for a parameterized suite.
template <typename Base = ::testing::Test>
class EngineFixture : public Base {
 protected:
  // Sets options_.data_dir; the derived SetUp adjusts options_, then calls Open.
  explicit EngineFixture(const std::string& prefix) {
    options_.data_dir = roost::testing::FreshTestDir(prefix);
  }

  void TearDown() override {
    roost_.reset();
    std::filesystem::remove_all(options_.data_dir);
  }
  void Open() {
    absl::StatusOr<std::unique_ptr<Roost>> roost = Roost::Open(options_);
    ASSERT_TRUE(roost.ok()) << roost.status();
    roost_ = *std::move(roost);
  }
  // Calls call(done) and waits until done runs; returns what it was given.
  template <typename T = LogOffset, typename Call>
  absl::StatusOr<T> Wait(Call call) {
    absl::Notification done;
    absl::StatusOr<T> result;
    call([&](absl::StatusOr<T> r) {
      result = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }

  RoostOptions options_;
  std::unique_ptr<Roost> roost_;
};

}  // namespace roost::services::testing

#endif  // ROOST_TESTS_SERVICES_ENGINE_FIXTURE_H_
