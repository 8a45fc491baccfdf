// A test fixture over a real graph store in which kFollowers users (1000 on) follow
// each of the fixture's celebrities, oldest first: the ground the mass-job tests stand on.
#ifndef ROOST_TESTS_PIPELINE_FOLLOWERS_FIXTURE_H_
#define ROOST_TESTS_PIPELINE_FOLLOWERS_FIXTURE_H_

#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph_store.h"
#include "gtest/gtest.h"
#include "tests/common/test_dir.h"

namespace roost::ingest::testing {

class FollowersTest : public ::testing::Test {
 protected:
  static constexpr UserId kFirstFollower = 1000;

  explicit FollowersTest(int followers, std::initializer_list<UserId> celebrities)
      : followers_(followers), celebrities_(celebrities) {}

  void SetUp() override {
    dir_ = roost::testing::FreshTestDir("followers");
    graph_ = *graph::GraphStore::Open(dir_, {});
    std::vector<graph::EdgeWrite> writes;
    for (UserId f = kFirstFollower; f < kFirstFollower + followers_; ++f) {
      for (UserId celebrity : celebrities_) {
        writes.push_back({graph::kFollows, f, celebrity, graph::EdgeState::kNormal, f, f});
      }
    }
    ASSERT_TRUE(graph_->Apply(writes).ok());
  }
  void TearDown() override {
    graph_.reset();
    std::filesystem::remove_all(dir_);
  }

  // How many of `user`'s followers' edges are in `state`.
  uint64_t Count(UserId user, graph::EdgeState state) {
    return *graph_->Count(graph::kFollows, user, graph::Direction::kBackward,
                          graph::StateBit(state));
  }

  std::string dir_;
  std::unique_ptr<graph::GraphStore> graph_;

 private:
  const int followers_;
  const std::vector<UserId> celebrities_;
};

}  // namespace roost::ingest::testing

#endif  // ROOST_TESTS_PIPELINE_FOLLOWERS_FIXTURE_H_
