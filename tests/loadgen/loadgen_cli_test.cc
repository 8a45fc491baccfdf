// roost-loadgen end to end: the real binary against a real roostd, the in-process
// engine and a real redis-server, each run short and at a low fixed rate. The tests
// check what a user relies on: every operation kind is measured, nothing fails, the
// fanout probes see each sampled tweet, the graph is not loaded twice, baselines and
// reports come out, and bad flags get a clear error. (Figures are not asserted: they
// come from the benchmarks in loadgen/README.md.)
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/test_dir.h"
#include "tests/integration/roostd_process.h"

namespace roost::loadgen {
namespace {

using ::testing::HasSubstr;

using Outcome = ProcessOutcome;

Outcome RunLoadgen(std::vector<std::string> args) {
  args.insert(args.begin(), LOADGEN_PATH);
  return RunProcess(args, absl::Now() + absl::Minutes(3));
}

class LoadgenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = roost::testing::FreshTestDir("loadgen_cli_test");
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  nlohmann::json ReadJson(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  }

  // Flags shared by the runs: a small graph, a short open-loop run.
  std::vector<std::string> Small(std::vector<std::string> more) {
    std::vector<std::string> args = {"--users=300",      "--mean-followees=10", "--rate=200",
                                     "--duration=2s",    "--warmup=500ms",      "--progress=false",
                                     "--fanout-sample=1"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  // Every operation kind in the run with a count > 0 and no errors.
  static void ExpectClean(const nlohmann::json& run, const std::vector<std::string>& kinds) {
    for (const std::string& kind : kinds) {
      ASSERT_TRUE(run["ops"].contains(kind)) << kind << " in " << run["ops"].dump();
      EXPECT_GT(run["ops"][kind]["count"].get<uint64_t>(), 0u) << kind;
      EXPECT_TRUE(run["ops"][kind]["errors"].empty()) << kind << ": " << run["ops"][kind]["errors"];
      EXPECT_EQ(run["ops"][kind]["count"], run["ops"][kind]["ok"]) << kind;
    }
  }

  std::string dir_;
};

TEST_F(LoadgenTest, RunsTheMixAgainstRoostdWithBaselinesAndAReport) {
  testing::RoostdProcess roostd;
  std::string output;
  ASSERT_TRUE(roostd.Start(dir_ + "/data", {}, &output)) << output;
  const std::string target = absl::StrCat("--target=127.0.0.1:", roostd.port());
  const std::string json = dir_ + "/run.json";
  const std::string report = dir_ + "/report";

  const Outcome first =
      RunLoadgen(Small({"run", target, "--mix=home=5,user=3,post=2,follow=1", "--json=" + json,
                        "--report=" + report, "--baseline=grpc-empty,redis"}));
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("loaded "));  // the graph went in through the API

  const nlohmann::json result = ReadJson(json);
  ASSERT_FALSE(result.is_discarded()) << "not JSON: " << json;
  ASSERT_EQ(result["runs"].size(), 3u);
  const nlohmann::json& roost = result["runs"][0];
  EXPECT_EQ(roost["target"], "roost");
  ExpectClean(roost, {"home", "user", "post", "follow"});
  // Every sampled post showed up in its observer's home timeline.
  EXPECT_GT(roost["fanout_lag"]["count"].get<uint64_t>(), 0u);
  EXPECT_EQ(roost["fanout_lag"]["missing"], 0);
  EXPECT_TRUE(roost["fanout_lag"]["errors"].empty()) << roost["fanout_lag"]["errors"];

  EXPECT_EQ(result["runs"][1]["target"], "grpc-empty");
  ExpectClean(result["runs"][1], {"ping"});
  const nlohmann::json& redis = result["runs"][2];
  EXPECT_EQ(redis["target"], "redis");
  ExpectClean(redis, {"home", "user", "post", "follow"});
  EXPECT_GT(redis["fanout_lag"]["count"].get<uint64_t>(), 0u);
  EXPECT_EQ(redis["fanout_lag"]["missing"], 0);

  for (const char* file : {"index.html", "latency.svg", "throughput.svg", "p99.svg"}) {
    EXPECT_GT(std::filesystem::file_size(report + "/" + file), 100u) << file;
  }

  // The server holds the graph now: a second run does not load it again.
  const Outcome second = RunLoadgen(Small({"run", target, "--duration=1s"}));
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("already holds the graph"));
  EXPECT_EQ(roostd.Stop(&output), 0) << output;
}

TEST_F(LoadgenTest, EmbeddedRunsTheSameWorkloadInProcess) {
  const std::string json = dir_ + "/embedded.json";
  const Outcome outcome = RunLoadgen(
      Small({"embedded", "--data-dir=" + dir_ + "/data", "--log-sync=none", "--json=" + json}));
  ASSERT_EQ(outcome.code, 0) << outcome.output;
  const nlohmann::json result = ReadJson(json);
  ASSERT_FALSE(result.is_discarded());
  const nlohmann::json& run = result["runs"][0];
  EXPECT_EQ(run["target"], "embedded");
  ExpectClean(run, {"home", "user", "post"});
  EXPECT_GT(run["fanout_lag"]["count"].get<uint64_t>(), 0u);
  EXPECT_EQ(run["fanout_lag"]["missing"], 0);
}

TEST_F(LoadgenTest, BadFlagsGetAClearErrorAndExitNonZero) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"run"}, "run needs --target"},
      {{"fly"}, "unknown command 'fly'"},
      {{}, "expected one command"},
      {{"run", "--target=127.0.0.1:1", "--mix=tweet=1"}, "unknown operation 'tweet'"},
      {{"run", "--target=127.0.0.1:1", "--rate=-5"}, "--rate must be >= 0"},
      {{"embedded", "--baseline=grpc-empty"}, "embedded runs have no gRPC"},
      {{"run", "--target=127.0.0.1:1", "--baseline=postgres"}, "unknown baseline 'postgres'"},
  };
  for (const Case& c : cases) {
    const Outcome outcome = RunLoadgen(c.args);
    EXPECT_EQ(outcome.code, 1) << outcome.output;
    EXPECT_THAT(outcome.output, HasSubstr(c.error));
  }
}

}  // namespace
}  // namespace roost::loadgen
