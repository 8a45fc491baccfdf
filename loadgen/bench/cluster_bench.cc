// The DeathStarBench mix (60% home reads, 30% user reads, 10% posts) against a local
// cluster (3 nats-server, 3 roostd, 8 partitions by default, R3 streams) and against one roostd
// (its own log, fdatasync per write) on the same machine, alternating, several rounds:
// ops/s, p50/p99, and the CPU each side's processes spent per operation, read from
// /proc — roostd and nats-server apart. One machine runs every process, so the
// cluster is not faster here; CPU per operation says how far N machines would go.
//
//   cluster_bench [--rounds=3] [--rate=500] [--seconds=20] [--warmup-seconds=10]
//                 [--users=5000] [--partitions=8] [--route=owner|spread]
//
// Prints one line per run and the medians, with the cluster's roostd CPU per
// operation as a ratio of the single node's; and two floors: roostd's CPU per empty
// call (Admin.Ping) on each side, at the same rate, as a ratio too (what running three
// servers on one machine costs every call), and the JetStream client's CPU per record
// at the cluster's record rate (engine_floor.h), with the ratio less that share.
//
//   cluster_bench --fanout=100,10000,100000
//
// measures fanout across partitions instead (see Fanout below).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cluster/cluster_map.h"
#include "common/subprocess.h"
#include "loadgen/bench/bench_clock.h"
#include "loadgen/bench/engine_floor.h"
#include "loadgen/free_port.h"
#include "loadgen/graph_loader.h"
#include "loadgen/grpc_target.h"
#include "loadgen/histogram.h"
#include "loadgen/nats_cluster.h"
#include "loadgen/report.h"
#include "loadgen/roost_cluster.h"
#include "loadgen/runner.h"
#include "loadgen/social_graph.h"
#include "loadgen/workload.h"

ABSL_FLAG(int, rounds, 3, "Runs of each side, alternating.");
ABSL_FLAG(double, rate, 500, "Operations per second offered (open loop).");
ABSL_FLAG(int, seconds, 20, "Seconds of each run.");
ABSL_FLAG(int, warmup_seconds, 10,
          "Seconds the mix runs, unmeasured, before each run: home timelines materialized "
          "and caches filled, as in a server that has been up a while (0: measure from cold).");
ABSL_FLAG(uint64_t, users, 5000, "Users of the synthetic graph (mean 20 followees).");
ABSL_FLAG(std::string, roostd, ROOSTD_PATH, "The roostd binary.");
ABSL_FLAG(int, partitions, 8,
          "The cluster's partitions: a post reaches at most this many less one others.");
ABSL_FLAG(std::string, route, "owner",
          "How the cluster's client sends calls: 'owner' straight to the owner of the "
          "user's partition, 'spread' round robin over the nodes (which forward).");
ABSL_FLAG(std::string, fanout, "",
          "Instead: fanout across partitions, for authors with these follower counts "
          "(comma-separated, e.g. 100,10000,100000), on a fresh cluster each.");

namespace roost::loadgen {
namespace {

// The default mix's share of posts, its only writes.
double PostShare() {
  const Mix mix;
  double total = 0;
  for (double weight : mix.weight) total += weight;
  return mix.weight[static_cast<int>(OpKind::kPost)] / total;
}

// How long an Admin.Stats call may take.
constexpr absl::Duration kStatsWait = absl::Seconds(10);

struct Side {
  std::string name;
  std::string target;           // addresses, comma-separated
  std::vector<int> roostd;      // pids
  std::vector<int> nats;        // pids
};

struct Sample {
  double ops_per_s = 0;
  double p50_ms = 0, p99_ms = 0;
  double roostd_us_per_op = 0, nats_us_per_op = 0;
  uint64_t errors = 0;
  double busy_cores = 0;
  // The floor: roostd's CPU per empty call (Admin.Ping) at the same rate, over the
  // same processes and connections.
  double ping_us_per_op = 0;
  // Records appended to the log(s) per operation: the cluster's include the events
  // partitions derived for one another.
  double records_per_op = 0;
  // The cluster: the JetStream client's CPU per record at the cluster's record rate
  // (engine_floor.h), measured on its servers after the mix.
  double engine_us_per_record = 0;
};

int64_t CpuNs(const std::vector<int>& pids) {
  int64_t total = 0;
  for (int pid : pids) total += ProcessCpuNsOf(pid);
  return total;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Runs `mix` at --rate for `duration` and measures it, the CPU of the side's processes
// over the whole run (no warm-up: every operation of it included).
absl::StatusOr<Sample> RunMix(GrpcTarget* target, const Side& side, const SocialGraph& graph,
                              const Mix& mix, absl::Duration duration) {
  Workload workload(&graph, mix, /*seed=*/1, /*fanout_sample=*/0);
  RunOptions options;
  options.rate = absl::GetFlag(FLAGS_rate);
  options.duration = duration;
  options.warmup = absl::ZeroDuration();
  options.concurrency = 256;
  const absl::StatusOr<uint64_t> records_start = target->AppendedRecords(absl::Now() + kStatsWait);
  if (!records_start.ok()) return records_start.status();
  const int64_t roostd_start = CpuNs(side.roostd), nats_start = CpuNs(side.nats);
  const int64_t busy_start = MachineBusyNs();
  const absl::Time wall_start = absl::Now();
  absl::StatusOr<RunResult> run = RunLoad(
      target,
      [&workload](Op* op) {
        *op = workload.Next();
        return true;
      },
      options);
  if (!run.ok()) return run.status();
  const double wall = absl::ToDoubleSeconds(absl::Now() - wall_start);
  const double ops = static_cast<double>(run->all.count());
  Sample sample;
  sample.roostd_us_per_op = static_cast<double>(CpuNs(side.roostd) - roostd_start) / 1e3 / ops;
  sample.nats_us_per_op = static_cast<double>(CpuNs(side.nats) - nats_start) / 1e3 / ops;
  // After the CPU: what the mix derived is appended by the time its calls return.
  const absl::StatusOr<uint64_t> records_end = target->AppendedRecords(absl::Now() + kStatsWait);
  if (!records_end.ok()) return records_end.status();
  sample.records_per_op = static_cast<double>(*records_end - *records_start) / ops;
  sample.busy_cores = static_cast<double>(MachineBusyNs() - busy_start) / 1e9 / wall;
  sample.ops_per_s = run->Throughput();
  sample.p50_ms = static_cast<double>(run->all.latency.ValueAtPercentile(50)) / 1e6;
  sample.p99_ms = static_cast<double>(run->all.latency.ValueAtPercentile(99)) / 1e6;
  sample.errors = run->all.count() - run->all.ok;
  return sample;
}

// Loads the graph into the side's servers, then runs the mix (after a warm-up), then
// the empty call.
absl::StatusOr<Sample> Measure(const Side& side, const SocialGraph& graph) {
  absl::StatusOr<std::unique_ptr<GrpcTarget>> target = GrpcTarget::Connect(
      {side.target, 6, side.name, absl::GetFlag(FLAGS_route) == "owner"}, absl::Seconds(10));
  if (!target.ok()) return target.status();
  absl::StatusOr<RunResult> load = LoadGraph(target->get(), graph, 256, nullptr);
  if (!load.ok()) return load.status();
  const absl::Duration duration = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  if (const int warmup = absl::GetFlag(FLAGS_warmup_seconds); warmup > 0) {
    absl::StatusOr<Sample> warm = RunMix(target->get(), side, graph, Mix(), absl::Seconds(warmup));
    if (!warm.ok()) return warm.status();
  }
  absl::StatusOr<Sample> sample = RunMix(target->get(), side, graph, Mix(), duration);
  if (!sample.ok()) return sample.status();
  Mix ping;
  ping.weight.fill(0);
  ping.weight[static_cast<int>(OpKind::kPing)] = 1;
  absl::StatusOr<Sample> floor = RunMix(target->get(), side, graph, ping, duration / 2);
  if (!floor.ok()) return floor.status();
  sample->ping_us_per_op = floor->roostd_us_per_op;
  std::printf(
      "%-8s %8.0f ops/s  p50 %6.2f ms  p99 %7.2f ms  roostd %6.1f us/op  "
      "nats-server %6.1f us/op  errors %llu  (machine busy %.2f cores)  "
      "empty call: roostd %6.1f us/op\n",
      side.name.c_str(), sample->ops_per_s, sample->p50_ms, sample->p99_ms,
      sample->roostd_us_per_op, sample->nats_us_per_op,
      static_cast<unsigned long long>(sample->errors), sample->busy_cores, sample->ping_us_per_op);
  std::fflush(stdout);
  return sample;
}

absl::StatusOr<Sample> RunSingle(const std::string& dir, const SocialGraph& graph) {
  const int port = FreeLoopbackPort();
  Subprocess roostd;
  const std::string address = absl::StrCat("127.0.0.1:", port);
  absl::Status started = roostd.Start({absl::GetFlag(FLAGS_roostd), "--listen=" + address,
                                       "--data-dir=" + dir + "/single"});
  if (!started.ok()) return started;
  std::string output;
  if (!roostd.ReadUntil("serving on", absl::Now() + absl::Seconds(30), &output)) {
    return absl::UnavailableError("roostd did not start: " + output);
  }
  absl::StatusOr<Sample> sample = Measure({"single", address, {roostd.pid()}, {}}, graph);
  roostd.Signal(SIGTERM);
  roostd.Wait(absl::Now() + absl::Seconds(30));
  return sample;
}

absl::StatusOr<Sample> RunCluster(const std::string& dir, const SocialGraph& graph) {
  RoostCluster cluster;
  RoostClusterOptions options;
  options.roostd = absl::GetFlag(FLAGS_roostd);
  options.dir = dir + "/cluster";
  options.partitions = absl::GetFlag(FLAGS_partitions);
  absl::Status started = cluster.Start(options);
  if (!started.ok()) return started;
  Side side{"cluster", absl::StrJoin(cluster.addresses(), ","), {}, {}};
  for (int i = 0; i < cluster.nodes(); ++i) side.roostd.push_back(cluster.pid(i));
  for (int i = 0; i < cluster.nats().size(); ++i) side.nats.push_back(cluster.nats().server(i).pid());
  absl::StatusOr<Sample> sample = Measure(side, graph);
  if (!sample.ok()) return sample;
  EngineFloorOptions floor;
  floor.servers = cluster.nats().urls();
  floor.server_pids = side.nats;
  floor.streams = static_cast<int>(options.partitions);
  floor.rate = sample->records_per_op * absl::GetFlag(FLAGS_rate);
  // The mix's writes are its posts: each leaves with what it derives.
  floor.burst = std::max(1, static_cast<int>(std::lround(sample->records_per_op / PostShare())));
  floor.duration = absl::Seconds(absl::GetFlag(FLAGS_seconds)) / 2;
  absl::StatusOr<EngineFloor> engine = MeasureEngineFloor(floor);
  if (!engine.ok()) return engine.status();
  sample->engine_us_per_record = engine->client_us_per_record;
  std::printf(
      "         records %.2f per op (%.0f/s): the JetStream client alone, at that rate in "
      "bursts of %d: %.1f us per record (append, ack, one delivery); nats-server %.1f us\n",
      sample->records_per_op, floor.rate, floor.burst, engine->client_us_per_record,
      engine->servers_us_per_record);
  std::fflush(stdout);
  return sample;
}

// One follower on each partition other than the author's, for the visibility reads.
std::vector<UserId> Observers(UserId author, UserId followers, uint32_t partitions) {
  std::vector<UserId> observers;
  std::vector<bool> seen(partitions);
  seen[cluster::UserPartition(author, partitions)] = true;
  for (UserId f = author + 1; f <= author + followers; ++f) {
    const uint32_t p = cluster::UserPartition(f, partitions);
    if (!seen[p]) observers.push_back(f);
    seen[p] = true;
  }
  return observers;
}

// An author with `followers` followers spread over the partitions posts 20 tweets
// back to back: deliveries/s until every follower's partition shows the last (read
// with its token, one follower per partition), and each post's time to visible on the
// slowest partition, p50/p99.
int Fanout(uint64_t followers) {
  const std::string dir = absl::StrCat(std::filesystem::temp_directory_path().string(),
                                       "/cluster_bench_fanout_", getpid());
  std::filesystem::remove_all(dir);
  RoostCluster cluster;
  RoostClusterOptions options;
  options.roostd = absl::GetFlag(FLAGS_roostd);
  options.dir = dir;
  options.partitions = absl::GetFlag(FLAGS_partitions);
  if (absl::Status started = cluster.Start(options); !started.ok()) {
    std::fprintf(stderr, "cluster_bench: %s\n", started.ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<GrpcTarget>> target = GrpcTarget::Connect(
      {absl::StrJoin(cluster.addresses(), ","), 6, "cluster"}, absl::Seconds(10));
  if (!target.ok()) return 1;
  constexpr UserId kAuthor = 1;
  UserId next = kAuthor + 1;
  RunOptions load;
  load.concurrency = 256;
  load.warmup = absl::ZeroDuration();
  load.duration = absl::Hours(1);
  absl::StatusOr<RunResult> followed = RunLoad(
      target->get(),
      [&](Op* op) {
        if (next > kAuthor + followers) return false;
        *op = Op{OpKind::kFollow, next++, kAuthor};
        return true;
      },
      load);
  if (!followed.ok() || !(*target)->Sync(absl::Now() + absl::Minutes(10)).ok()) return 1;
  const std::vector<UserId> observers = Observers(kAuthor, followers, static_cast<uint32_t>(options.partitions));
  Histogram visible;
  constexpr int kPosts = 20;
  const absl::Time start = absl::Now();
  std::vector<Outcome> posts;
  for (int i = 0; i < kPosts; ++i) {
    absl::Notification done;
    const absl::Time posted = absl::Now();
    Op op{OpKind::kPost, kAuthor};
    op.text = "fanout";
    (*target)->Issue(op, posted + absl::Seconds(30), [&](Outcome outcome) {
      posts.push_back(std::move(outcome));
      done.Notify();
    });
    done.WaitForNotification();
    if (!posts.back().status.ok()) return 1;
    // The slowest partition's follower shows it.
    for (UserId observer : observers) {
      absl::Notification seen;
      absl::Status status;
      (*target)->AwaitVisible(observer, posts.back(), absl::Now() + absl::Seconds(60),
                              [&](absl::Status s) {
                                status = s;
                                seen.Notify();
                              });
      seen.WaitForNotification();
      if (!status.ok()) {
        std::fprintf(stderr, "cluster_bench: %s\n", status.ToString().c_str());
        return 1;
      }
    }
    visible.Record(static_cast<uint64_t>(absl::ToInt64Nanoseconds(absl::Now() - posted)));
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("followers %7llu  deliveries/s %9.0f  post-to-visible on every partition p50 %7.2f "
              "ms  p99 %7.2f ms  (one post at a time)\n",
              static_cast<unsigned long long>(followers),
              static_cast<double>(followers) * kPosts / seconds,
              static_cast<double>(visible.ValueAtPercentile(50)) / 1e6,
              static_cast<double>(visible.ValueAtPercentile(99)) / 1e6);
  std::fflush(stdout);
  std::filesystem::remove_all(dir);
  return 0;
}

int Main() {
  if (const std::string fanout = absl::GetFlag(FLAGS_fanout); !fanout.empty()) {
    for (absl::string_view count : absl::StrSplit(fanout, ',')) {
      uint64_t followers = 0;
      if (!absl::SimpleAtoi(count, &followers) || Fanout(followers) != 0) return 1;
    }
    return 0;
  }
  SocialGraphSpec spec;
  spec.users = absl::GetFlag(FLAGS_users);
  spec.mean_followees = 20;
  absl::StatusOr<SocialGraph> graph = SocialGraph::Create(spec);
  if (!graph.ok()) return 1;
  std::vector<Sample> single, cluster;
  for (int round = 0; round < absl::GetFlag(FLAGS_rounds); ++round) {
    const std::string dir =
        absl::StrCat(std::filesystem::temp_directory_path().string(), "/cluster_bench_", getpid());
    std::filesystem::remove_all(dir);
    for (bool is_cluster : {false, true}) {
      absl::StatusOr<Sample> sample = is_cluster ? RunCluster(dir, *graph) : RunSingle(dir, *graph);
      if (!sample.ok()) {
        std::fprintf(stderr, "cluster_bench: %s\n", sample.status().ToString().c_str());
        std::filesystem::remove_all(dir);
        return 1;
      }
      (is_cluster ? cluster : single).push_back(*sample);
    }
    std::filesystem::remove_all(dir);
  }
  const auto median = [](const std::vector<Sample>& s, double Sample::*field) {
    std::vector<double> v;
    for (const Sample& x : s) v.push_back(x.*field);
    return Median(v);
  };
  for (const auto& [name, samples] : {std::pair{"single", &single}, std::pair{"cluster", &cluster}}) {
    std::printf("median %-8s %8.0f ops/s  p50 %6.2f ms  p99 %7.2f ms  roostd %6.1f us/op  "
                "nats-server %6.1f us/op\n",
                name, median(*samples, &Sample::ops_per_s), median(*samples, &Sample::p50_ms),
                median(*samples, &Sample::p99_ms), median(*samples, &Sample::roostd_us_per_op),
                median(*samples, &Sample::nats_us_per_op));
  }
  std::printf("roostd CPU per operation, cluster / single: %.2f\n",
              median(cluster, &Sample::roostd_us_per_op) /
                  median(single, &Sample::roostd_us_per_op));
  std::printf("roostd CPU per empty call (the floor), cluster / single: %.2f (%.1f / %.1f us)\n",
              median(cluster, &Sample::ping_us_per_op) / median(single, &Sample::ping_us_per_op),
              median(cluster, &Sample::ping_us_per_op), median(single, &Sample::ping_us_per_op));
  // What the engine's client costs the cluster's roostd for its records, every record
  // the single node's log takes being a cost of its own figure already.
  const double engine_share =
      median(cluster, &Sample::records_per_op) * median(cluster, &Sample::engine_us_per_record);
  std::printf(
      "roostd CPU per operation less the JetStream client's share (%.2f records x %.1f "
      "us = %.1f us), cluster / single: %.2f\n",
      median(cluster, &Sample::records_per_op), median(cluster, &Sample::engine_us_per_record),
      engine_share,
      (median(cluster, &Sample::roostd_us_per_op) - engine_share) /
          median(single, &Sample::roostd_us_per_op));
  return 0;
}

}  // namespace
}  // namespace roost::loadgen

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (const std::string route = absl::GetFlag(FLAGS_route); route != "owner" && route != "spread") {
    std::fprintf(stderr, "cluster_bench: --route is \"%s\"; it must be owner or spread\n",
                 route.c_str());
    return 2;
  }
  return roost::loadgen::Main();
}
