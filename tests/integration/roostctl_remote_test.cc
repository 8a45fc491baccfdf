// roostctl's commands against a real roostd: what each prints, and its exit codes
// (0 done, 1 roostd refused with the status code's name, 2 usage).
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/roostctl_runner.h"
#include "tests/integration/roostd_client.h"

namespace roost {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class RoostctlRemoteTest : public testing::RoostdTest {
 protected:
  void SetUp() override { StartServer(); }

  // roostctl against this test's roostd.
  ProcessOutcome Roostctl(std::vector<std::string> args) {
    args.insert(args.begin(), absl::StrCat("--target=127.0.0.1:", server_.port()));
    return testing::Roostctl(std::move(args));
  }

  // The flag that waits for a write: what it printed after "position" or "token"
  // ("..., position N, token T").
  static std::string After(const ProcessOutcome& write, const std::string& word) {
    const std::vector<std::string> words = absl::StrSplit(write.output, absl::ByAnyChar(" ,\n"),
                                                          absl::SkipEmpty());
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      if (words[i] == word) return words[i + 1];
    }
    ADD_FAILURE() << "no " << word << " in: " << write.output;
    return "";
  }
  static std::string PositionOf(const ProcessOutcome& write) {
    const std::string position = After(write, "position");
    uint64_t value;
    EXPECT_TRUE(absl::SimpleAtoi(position, &value)) << write.output;
    return "--min-position=" + position;
  }
  static std::string TokenOf(const ProcessOutcome& write) {
    return "--token=" + After(write, "token");
  }
};

TEST_F(RoostctlRemoteTest, PostFollowAndReadBack) {
  const ProcessOutcome post = Roostctl({"post", "7", "hello", "roost"});
  ASSERT_EQ(post.code, 0) << post.output;
  EXPECT_THAT(post.output, StartsWith("tweet "));
  const ProcessOutcome follow = Roostctl({"follow", "1", "7"});
  ASSERT_EQ(follow.code, 0) << follow.output;
  EXPECT_THAT(follow.output, StartsWith("ok, position "));

  const ProcessOutcome home = Roostctl({"home", "1", PositionOf(follow)});
  EXPECT_EQ(home.code, 0) << home.output;
  EXPECT_THAT(home.output, HasSubstr("\t@7\thello roost\n"));
  const ProcessOutcome user = Roostctl({"user", "7", PositionOf(follow)});
  EXPECT_THAT(user.output, HasSubstr("\t@7\thello roost\n"));

  const ProcessOutcome followers =
      Roostctl({"select", "7", "--direction=backward", PositionOf(follow)});
  EXPECT_EQ(followers.code, 0) << followers.output;
  EXPECT_EQ(followers.output, "1\n");
  EXPECT_EQ(Roostctl({"count", "1", PositionOf(follow)}).output, "1\n");
  const ProcessOutcome both = Roostctl({"intersect", "1", "1", "--total", PositionOf(follow)});
  EXPECT_EQ(both.output, "7\ntotal 1\n");

  // A token waits the same on a single node.
  const ProcessOutcome follow2 = Roostctl({"follow", "2", "7"});
  ASSERT_EQ(follow2.code, 0) << follow2.output;
  const ProcessOutcome home2 = Roostctl({"home", "2", TokenOf(follow2)});
  EXPECT_EQ(home2.code, 0) << home2.output;
  EXPECT_THAT(home2.output, HasSubstr("\t@7\thello roost\n"));
  const ProcessOutcome bad = Roostctl({"home", "2", "--token=soon"});
  EXPECT_EQ(bad.code, 1) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("INVALID_ARGUMENT"));
}

TEST_F(RoostctlRemoteTest, RefusalsNameTheirCodeAndExitOne) {
  const ProcessOutcome block = Roostctl({"block", "7", "1"});
  ASSERT_EQ(block.code, 0) << block.output;
  const ProcessOutcome follow = Roostctl({"follow", "1", "7"});
  EXPECT_EQ(follow.code, 1) << follow.output;
  EXPECT_THAT(follow.output, HasSubstr("roostctl: FAILED_PRECONDITION: "));

  const ProcessOutcome empty = Roostctl({"post", "7"});
  EXPECT_EQ(empty.code, 2) << empty.output;
  const ProcessOutcome self = Roostctl({"follow", "3", "3"});
  EXPECT_EQ(self.code, 1) << self.output;
  EXPECT_THAT(self.output, HasSubstr("INVALID_ARGUMENT"));
}

TEST_F(RoostctlRemoteTest, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"home"},
                                             {"follow", "1"},
                                             {"follow", "1", "x"},
                                             {"select", "1", "--graph=friends"},
                                             {"count", "1", "--states=gone"},
                                             {"frobnicate"}}) {
    const ProcessOutcome outcome = Roostctl(args);
    EXPECT_EQ(outcome.code, 2) << args[0] << ": " << outcome.output;
    EXPECT_THAT(outcome.output, HasSubstr("roostctl --help")) << args[0];
  }
  const ProcessOutcome ping = Roostctl({"ping"});
  EXPECT_EQ(ping.code, 0) << ping.output;
  EXPECT_THAT(ping.output, StartsWith("pong in "));
  const ProcessOutcome stats = Roostctl({"stats"});
  EXPECT_THAT(stats.output, HasSubstr("applied_position\t"));
}

}  // namespace
}  // namespace roost
