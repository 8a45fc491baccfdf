#include "loadgen/report.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace roost::loadgen {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int kHome = static_cast<int>(OpKind::kHome);
constexpr int kPost = static_cast<int>(OpKind::kPost);
constexpr int kPing = static_cast<int>(OpKind::kPing);

// A run with known figures: 100 home reads (90 at 1 ms, 10 at 20 ms; 10 UNAVAILABLE and
// 2 DEADLINE_EXCEEDED among them) and 10 posts at 5 ms, over 10 measured seconds.
RunResult SampleRun(const std::string& target = "roost") {
  RunResult r;
  r.target = target;
  r.options.rate = 200;
  r.options.concurrency = 8;
  r.options.duration = absl::Seconds(10);
  r.options.warmup = absl::Seconds(1);
  r.measured = absl::Seconds(10);
  OpStats& home = r.ops[kHome];
  home.latency.Record(1'000'000, 90);
  home.latency.Record(20'000'000, 10);
  home.ok = 88;
  home.errors[absl::StatusCode::kUnavailable] = 10;
  home.errors[absl::StatusCode::kDeadlineExceeded] = 2;
  OpStats& post = r.ops[kPost];
  post.latency.Record(5'000'000, 10);
  post.ok = 10;
  for (const OpStats& s : r.ops) r.all.Merge(s);
  r.fanout_lag.Record(50'000'000, 3);
  r.fanout_missing = 1;
  for (int i = 1; i <= 4; ++i) {
    Interval interval;
    interval.end_seconds = i * 2.5;
    interval.warmup = i == 1;
    interval.completed[kHome] = 25 * static_cast<uint64_t>(i);
    interval.completed[kPost] = 2;
    interval.p50_ns = 1'000'000;
    interval.p99_ns = 3'000'000 * static_cast<uint64_t>(i);
    interval.max_ns = 20'000'000;
    r.intervals.push_back(interval);
  }
  r.issued = 110;
  r.late_sends = 5;  // 4.5%: over the 1% that warrants a warning
  return r;
}

// The line of `text` whose first word is `first`; "" when there is none.
std::string Row(const std::string& text, const std::string& first) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, first + " ")) return std::string(line);
  }
  return "";
}

// A table row's cells: they are separated by two spaces or more.
std::vector<std::string> Cells(const std::string& row) {
  std::vector<std::string> cells;
  for (absl::string_view cell : absl::StrSplit(row, "  ", absl::SkipWhitespace())) {
    cells.emplace_back(absl::StripAsciiWhitespace(cell));
  }
  return cells;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

TEST(FormatDurationTest, ThreeSignificantDigitsInTheRightUnit) {
  EXPECT_EQ(FormatDuration(0), "0 ns");
  EXPECT_EQ(FormatDuration(850), "850 ns");
  EXPECT_EQ(FormatDuration(999), "999 ns");
  EXPECT_EQ(FormatDuration(1000), "1.00 µs");
  EXPECT_EQ(FormatDuration(12'345), "12.3 µs");
  EXPECT_EQ(FormatDuration(123'456), "123 µs");
  EXPECT_EQ(FormatDuration(999'600), "1.00 ms");  // not "1000 µs"
  EXPECT_EQ(FormatDuration(1'234'567), "1.23 ms");
  EXPECT_EQ(FormatDuration(9'996'000), "10.0 ms");  // not "10.00 ms"
  EXPECT_EQ(FormatDuration(2'500'000'000), "2.50 s");
  EXPECT_EQ(FormatDuration(4'000'000'000'000), "4000 s");
}

TEST(FormatTableTest, RowsCountsPercentilesAndErrors) {
  const std::string table = FormatTable(SampleRun());
  EXPECT_THAT(table, StartsWith("roost: open loop at 200 ops/s, concurrency 8, 10.0 s measured "
                                "after 1.0 s warm-up\n"));
  const std::string header = Row(table, "op");
  EXPECT_THAT(header, HasSubstr("count"));
  EXPECT_THAT(header, HasSubstr("p99.9"));

  const std::string home = Row(table, "home");
  ASSERT_FALSE(home.empty()) << table;
  EXPECT_THAT(Cells(home),
              ElementsAre("home", "100", "10.0", "1.00 ms", "1.00 ms", "20.0 ms", "20.0 ms",
                          "20.0 ms", "12 (UNAVAILABLE 10, DEADLINE_EXCEEDED 2)"));

  const std::string post = Row(table, "post");
  ASSERT_FALSE(post.empty()) << table;
  EXPECT_THAT(Cells(post), ElementsAre("post", "10", "1.0", "5.00 ms", "5.00 ms", "5.00 ms",
                                       "5.00 ms", "5.00 ms", "0"));

  const std::string all = Row(table, "all");
  // p90 is a 5 ms post: its bucket's highest value, which only a kind whose maximum is
  // 5 ms caps at 5.00.
  EXPECT_THAT(Cells(all),
              ElementsAre("all", "110", "11.0", "1.00 ms", "5.01 ms", "20.0 ms", "20.0 ms",
                          "20.0 ms", "12 (UNAVAILABLE 10, DEADLINE_EXCEEDED 2)"));
  EXPECT_EQ(Row(table, "user"), "") << "kinds that never ran have no row";

  // Numbers are right-aligned: the count column ends at the same place in every row.
  const size_t end = header.find("count") + 5;
  EXPECT_EQ(home.substr(end - 3, 3), "100");
  EXPECT_EQ(post.substr(end - 2, 2), "10");
  EXPECT_EQ(all.substr(end - 3, 3), "110");

  EXPECT_THAT(table, HasSubstr("fanout lag (post acknowledged -> visible in a follower's home): "
                               "n=3, p50 50.0 ms, p90 50.0 ms, p99 50.0 ms, max 50.0 ms; "
                               "missing 1; errors 0"));
  EXPECT_THAT(table, HasSubstr("warning: 4.5% of sends left more than 1 ms after their intended"));
}

TEST(FormatTableTest, ClosedLoopHasNoLateWarningNorFanoutLine) {
  RunResult r = SampleRun();
  r.options.rate = 0;
  r.fanout_lag.Reset();
  r.fanout_missing = 0;
  const std::string table = FormatTable(r);
  EXPECT_THAT(table, HasSubstr("roost: closed loop, concurrency 8"));
  EXPECT_THAT(table, Not(HasSubstr("warning")));
  EXPECT_THAT(table, Not(HasSubstr("fanout lag")));

  r.options.rate = 200;
  r.late_sends = 1;  // under 1% of 110
  EXPECT_THAT(FormatTable(r), Not(HasSubstr("warning")));
}

TEST(FormatComparisonTest, AgainstRedisShowsBothSidesAndRatios) {
  RunResult redis;
  redis.target = "redis";
  redis.measured = absl::Seconds(10);
  redis.ops[kHome].latency.Record(2'000'000, 50);
  redis.ops[kHome].ok = 50;
  redis.all.Merge(redis.ops[kHome]);
  const std::string text = FormatComparison(SampleRun(), redis);
  const std::string home = Row(text, "home");
  ASSERT_FALSE(home.empty()) << text;
  // p50 1.00 ms against 2.00 ms, p99 20.0 ms against 2.00 ms, then the ops/s of each.
  EXPECT_THAT(Cells(home), ElementsAre("home", "1.00 ms", "2.00 ms", "2.0×", "20.0 ms", "2.00 ms",
                                       "0.10×", "10.0", "5.0"));
  EXPECT_THAT(Cells(Row(text, "op")),
              ElementsAre("op", "roost p50", "redis p50", "redis/roost", "roost p99", "redis p99",
                          "redis/roost", "roost ops/s", "redis ops/s"));
  EXPECT_EQ(Row(text, "post"), "") << "posts only ran against roost";
  EXPECT_FALSE(Row(text, "all").empty());

  // An empty baseline divides by nothing.
  RunResult empty;
  empty.target = "redis";
  EXPECT_THAT(Cells(Row(FormatComparison(SampleRun(), empty), "all")),
              ElementsAre("all", "1.00 ms", "-", "-", "20.0 ms", "-", "-", "11.0", "0.0"));
}

TEST(FormatComparisonTest, AgainstAnEmptyRpcShowsMultiples) {
  RunResult ping;
  ping.target = "grpc-empty";
  ping.measured = absl::Seconds(10);
  ping.ops[kPing].latency.Record(100'000, 1000);
  ping.ops[kPing].ok = 1000;
  ping.all.Merge(ping.ops[kPing]);
  const std::string text = FormatComparison(SampleRun(), ping);
  EXPECT_THAT(text, HasSubstr("an empty RPC: p50 100 µs"));
  const std::string home = Row(text, "home");
  ASSERT_FALSE(home.empty()) << text;
  // p50 ≈ 10 empty RPCs, p99 200.
  EXPECT_THAT(Cells(home), ElementsAre("home", "1.00 ms", "10×", "20.0 ms", "200×"));
  EXPECT_FALSE(Row(text, "post").empty());
  // 11 ops/s against 100 ops/s.
  EXPECT_THAT(text, HasSubstr("throughput: roost 11.0 ops/s, grpc-empty 100.0 ops/s: 0.11×"));
}

TEST(ToJsonTest, RoundTripsCountsPercentilesAndSeries) {
  const RunResult run = SampleRun();
  const nlohmann::json j = nlohmann::json::parse(ToJson(run).dump());
  EXPECT_EQ(j["target"], "roost");
  EXPECT_EQ(j["mode"], "open");
  EXPECT_EQ(j["rate"], 200.0);
  EXPECT_EQ(j["measured_s"], 10.0);
  EXPECT_EQ(j["issued"], 110u);
  EXPECT_EQ(j["late_sends"], 5u);

  const nlohmann::json& home = j["ops"]["home"];
  EXPECT_EQ(home["count"], 100u);
  EXPECT_EQ(home["ok"], 88u);
  EXPECT_EQ(home["ops_per_s"], 10.0);
  EXPECT_EQ(home["p50_ns"], run.ops[kHome].latency.ValueAtPercentile(50));
  EXPECT_EQ(home["p99_ns"], 20'000'000u);
  EXPECT_EQ(home["p999_ns"], 20'000'000u);
  EXPECT_EQ(home["min_ns"], 1'000'000u);
  EXPECT_EQ(home["max_ns"], 20'000'000u);
  EXPECT_EQ(home["errors"]["UNAVAILABLE"], 10u);
  EXPECT_EQ(home["errors"]["DEADLINE_EXCEEDED"], 2u);
  // The buckets hold every operation, each within its [lowest, highest].
  uint64_t in_buckets = 0;
  for (const nlohmann::json& bucket : home["histogram"]) {
    ASSERT_EQ(bucket.size(), 3u);
    EXPECT_LE(bucket[0].get<uint64_t>(), bucket[1].get<uint64_t>());
    in_buckets += bucket[2].get<uint64_t>();
  }
  EXPECT_EQ(in_buckets, 100u);
  EXPECT_EQ(home["histogram"].size(), 2u);

  EXPECT_TRUE(j["ops"]["post"]["errors"].is_object());
  EXPECT_TRUE(j["ops"]["post"]["errors"].empty());
  EXPECT_FALSE(j["ops"].contains("user"));
  EXPECT_EQ(j["all"]["count"], 110u);
  EXPECT_EQ(j["fanout_lag"]["count"], 3u);
  EXPECT_EQ(j["fanout_lag"]["p50_ns"], 50'000'000u);
  EXPECT_EQ(j["fanout_lag"]["missing"], 1u);

  ASSERT_EQ(j["intervals"].size(), 4u);
  EXPECT_EQ(j["intervals"][0]["warmup"], true);
  EXPECT_EQ(j["intervals"][1]["warmup"], false);
  EXPECT_EQ(j["intervals"][1]["end_s"], 5.0);
  EXPECT_EQ(j["intervals"][1]["completed"]["home"], 50u);
  EXPECT_EQ(j["intervals"][1]["p99_ns"], 6'000'000u);
}

class WriteReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/report_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(WriteReportTest, WritesThePageTheChartsAndTheJson) {
  const std::filesystem::path out = dir_ / "nested" / "report";  // created on the way
  const absl::Status written = WriteReport({SampleRun(), SampleRun("redis<&>")}, out.string());
  if (access("/usr/bin/gnuplot", X_OK) != 0) {
    EXPECT_EQ(written.code(), absl::StatusCode::kFailedPrecondition) << written;
    return;
  }
  ASSERT_TRUE(written.ok()) << written;
  for (const char* file :
       {"index.html", "latency.svg", "throughput.svg", "p99.svg", "results.json"}) {
    ASSERT_TRUE(std::filesystem::exists(out / file)) << file;
    EXPECT_GT(std::filesystem::file_size(out / file), 100u) << file;
  }
  const std::string html = ReadAll(out / "index.html");
  for (const char* svg : {"latency.svg", "throughput.svg", "p99.svg"}) {
    EXPECT_THAT(html, HasSubstr(std::string("<img src=\"") + svg + "\""));
  }
  EXPECT_THAT(html, HasSubstr("12 (UNAVAILABLE 10, DEADLINE_EXCEEDED 2)"));  // the tables
  EXPECT_THAT(html, HasSubstr("roost vs redis&lt;&amp;&gt;"));               // a comparison
  EXPECT_THAT(html, Not(HasSubstr("redis<&>")));
  EXPECT_THAT(html, Not(HasSubstr("<script")));

  // (StrContains: a failure should not print a whole SVG.)
  const std::string latency = ReadAll(out / "latency.svg");
  EXPECT_TRUE(absl::StrContains(latency, "<svg"));
  EXPECT_TRUE(absl::StrContains(latency, "<text>roost home</text>"));
  EXPECT_TRUE(absl::StrContains(latency, "<text>roost post</text>"));
  EXPECT_TRUE(absl::StrContains(latency, "<text>redis&lt;&amp;> home</text>"));
  EXPECT_TRUE(absl::StrContains(latency, "<text>99.9%</text>"));
  for (const char* chart : {"throughput.svg", "p99.svg"}) {
    const std::string svg = ReadAll(out / chart);
    EXPECT_TRUE(absl::StrContains(svg, "<text>warm-up</text>")) << chart;
    EXPECT_TRUE(absl::StrContains(svg, "<text>roost</text>")) << chart;
  }

  const nlohmann::json json = nlohmann::json::parse(ReadAll(out / "results.json"));
  ASSERT_EQ(json["runs"].size(), 2u);
  EXPECT_EQ(json["runs"][1]["target"], "redis<&>");
  EXPECT_EQ(json["runs"][0]["ops"]["home"]["count"], 100u);
}

TEST_F(WriteReportTest, AnEmptyRunStillGetsCharts) {
  RunResult empty;
  empty.target = "roost";
  const absl::Status written = WriteReport({empty}, dir_.string());
  if (access("/usr/bin/gnuplot", X_OK) != 0) GTEST_SKIP() << "gnuplot is not installed";
  ASSERT_TRUE(written.ok()) << written;
  EXPECT_TRUE(absl::StrContains(ReadAll(dir_ / "latency.svg"), "<text>no data</text>"));
  EXPECT_GT(std::filesystem::file_size(dir_ / "index.html"), 100u);
}

TEST_F(WriteReportTest, UnwritablePathsAreInternalErrorsNamingThePath) {
  const std::string path = (dir_ / "missing" / "run.json").string();
  const absl::Status status = WriteJson({SampleRun()}, path);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr(path));
  EXPECT_THAT(status.message(), HasSubstr("No such file"));
}

}  // namespace
}  // namespace roost::loadgen
