// Overload: roost-loadgen drives a real roostd open loop at twice the capacity it
// measured first (ROOST_OVERLOAD_SECONDS, default 15; scripts/overload.sh runs 60),
// then at half of it. While overloaded, roostd's memory stays bounded, the excess gets
// RESOURCE_EXHAUSTED or DEADLINE_EXCEEDED and nothing else, and it keeps serving;
// afterwards it answers on time again, and every write it acknowledged is applied.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "gtest/gtest.h"
#include "tests/integration/roostd_client.h"

namespace roost::testing {
namespace {

// roostd's resident memory may not pass this while overloaded, and it must serve half
// its capacity again, on time, within this many 7-second runs after the overload. Two,
// not one: on a machine shared with other work, a first recovery run can miss its p99
// while roostd itself is idle and caught up.
#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer (`make test-tsan`) keeps shadow memory beside every byte and runs
// roostd, gRPC and roost-loadgen 10-20x slower. Measured there: RSS 1.2 GiB under the
// overload, and roostd's gRPC threads still busy with the departed client's ~40k
// calls for over 7 s (perf: gRPC core's executor and TSan's runtime). That build is
// for races; these bounds only keep it from failing on its own slowness.
constexpr int64_t kMemoryBoundBytes = int64_t{4} << 30;
constexpr int kRecoveryRuns = 6;
#else
constexpr int64_t kMemoryBoundBytes = int64_t{1} << 30;
constexpr int kRecoveryRuns = 2;
#endif

int OverloadSeconds() {
  const char* value = std::getenv("ROOST_OVERLOAD_SECONDS");
  return value != nullptr && *value != '\0' ? std::atoi(value) : 15;
}

int64_t ResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return -1;
}

class OverloadTest : public RoostdTest {
 protected:
  // Runs roost-loadgen with `flags` against the server; returns its JSON's first run.
  nlohmann::json Load(const std::string& name, std::vector<std::string> flags) {
    const std::string json = dir_ + "_" + name + ".json";
    std::vector<std::string> args = {LOADGEN_PATH,
                                     "run",
                                     absl::StrCat("--target=127.0.0.1:", server_.port()),
                                     "--users=1000",
                                     "--mean-followees=10",
                                     "--progress=false",
                                     "--fanout-sample=0",
                                     "--json=" + json};
    args.insert(args.end(), flags.begin(), flags.end());
    const ProcessOutcome outcome = RunProcess(args, absl::Now() + absl::Minutes(5));
    EXPECT_EQ(outcome.code, 0) << outcome.output;
    std::ifstream in(json);
    nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    std::filesystem::remove(json);
    if (doc.is_discarded() || !doc.contains("runs") || doc["runs"].empty()) {
      ADD_FAILURE() << "no JSON from roost-loadgen " << name << ": " << outcome.output;
      return nlohmann::json::object();
    }
    return doc["runs"][0];
  }
};

TEST_F(OverloadTest, TwiceTheCapacityIsRefusedQuicklyWithBoundedMemoryAndThenServedAgain) {
  // Few streams per connection, so that most of the excess waits in the client.
  StartServer({"--max-concurrent-streams=256"});
  const pid_t pid = server_.pid();

  // Capacity: closed loop, the default mix (reads and posts).
  const nlohmann::json capacity =
      Load("capacity", {"--rate=0", "--concurrency=64", "--duration=5s", "--warmup=1s"});
  ASSERT_TRUE(capacity.contains("all"));
  const double ops = capacity["all"]["ops_per_s"].get<double>();
  ASSERT_GT(ops, 100.0);
  EXPECT_TRUE(capacity["all"]["errors"].empty()) << capacity["all"]["errors"];

  // Twice that, open loop, with a 1 s deadline, while roostd's memory is watched.
  std::atomic<bool> watching{true};
  std::atomic<int64_t> peak{0};
  std::thread watcher([&] {
    while (watching.load()) {
      peak.store(std::max(peak.load(), ResidentBytes(pid)));
      absl::SleepFor(absl::Milliseconds(100));  // sampling, not synchronisation
    }
  });
  const int seconds = OverloadSeconds();
  const nlohmann::json over =
      Load("overload", {absl::StrCat("--rate=", static_cast<int>(2 * ops)), "--concurrency=1000000",
                        absl::StrCat("--duration=", seconds, "s"), "--warmup=0s", "--timeout=1s",
                        "--graph=skip"});
  watching.store(false);
  watcher.join();
  ASSERT_TRUE(over.contains("all"));
  const uint64_t issued = over["all"]["count"].get<uint64_t>();
  const uint64_t ok = over["all"]["ok"].get<uint64_t>();
  const double goodput = static_cast<double>(ok) / over["measured_s"].get<double>();
  uint64_t refused = 0;
  for (const auto& [code, count] : over["all"]["errors"].items()) {
    EXPECT_TRUE(code == "RESOURCE_EXHAUSTED" || code == "DEADLINE_EXCEEDED")
        << count << " x " << code << " under overload";
    refused += count.get<uint64_t>();
  }
  EXPECT_GT(refused, 0u) << "twice the capacity was all served: the capacity was misread";
  EXPECT_LT(peak.load(), kMemoryBoundBytes);
  // It kept doing useful work rather than collapsing. (roost-loadgen runs on the same
  // two cores and needs more of them at twice the rate, so this is a floor, not the
  // figure: the figure is printed.)
  EXPECT_GT(goodput, 0.15 * ops);

  // Half the capacity: served on time again.
  const uint64_t wanted = static_cast<uint64_t>(ops / 2 * 5 * 0.8);
  constexpr double kP99BoundMs = 500.0;
  nlohmann::json after;
  uint64_t after_count = 0;
  double p99_ms = 0;
  int recovery_runs = 0;
  auto recovered = [&] {
    return after_count > wanted && after["all"]["errors"].empty() && p99_ms < kP99BoundMs;
  };
  while (recovery_runs == 0 || (recovery_runs < kRecoveryRuns && !recovered())) {
    after = Load("recovery", {absl::StrCat("--rate=", static_cast<int>(ops / 2)), "--duration=5s",
                              "--warmup=2s", "--timeout=1s", "--graph=skip"});
    ++recovery_runs;
    ASSERT_TRUE(after.contains("all"));
    after_count = after["all"]["count"].get<uint64_t>();
    p99_ms = after["all"]["p99_ns"].get<double>() / 1e6;
  }
  EXPECT_GT(after_count, wanted) << "served at half the rate, run " << recovery_runs << ": "
                                 << after.dump();
  EXPECT_TRUE(after["all"]["errors"].empty()) << after["all"]["errors"];
  EXPECT_LT(p99_ms, kP99BoundMs);

  // Every write it acknowledged is applied: applying reaches the log's end, and no
  // event was given up on.
  const uint64_t appended = client_->Stats().appended_position();
  v1::TimelinePage page;
  ASSERT_TRUE(client_->Home(1, appended, &page, 1, 0, 0, false, 60000).ok());
  const v1::StatsResponse stats = client_->Stats();
  EXPECT_GE(stats.applied_position(), appended);
  for (const auto& [name, value] : stats.counters()) {
    if (name.find("dead_lettered") != std::string::npos) {
      EXPECT_EQ(value, 0) << name;
    }
  }

  std::printf(
      "capacity %.0f ops/s; %d s at %d ops/s: %llu issued, %llu served (%.0f ops/s), "
      "%llu refused (RESOURCE_EXHAUSTED/DEADLINE_EXCEEDED), roostd peak RSS %.0f MiB "
      "(bound %lld MiB); after, at %d ops/s: %llu served in run %d, p99 %.1f ms, 0 errors; "
      "%llu events logged, all applied\n",
      ops, seconds, static_cast<int>(2 * ops), static_cast<unsigned long long>(issued),
      static_cast<unsigned long long>(ok), goodput, static_cast<unsigned long long>(refused),
      peak.load() / 1048576.0, static_cast<long long>(kMemoryBoundBytes >> 20),
      static_cast<int>(ops / 2), static_cast<unsigned long long>(after_count), recovery_runs,
      p99_ms, static_cast<unsigned long long>(appended));
}

}  // namespace
}  // namespace roost::testing
