// roost-loadgen: load-tests Roost with a realistic social-network workload, open-loop
// at a fixed rate (latency from the intended send time) or closed-loop, and compares it
// with baselines measured in the same run. See loadgen/README.md.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/flag_names.h"
#include "common/program_help.h"
#include "loadgen/embedded_target.h"
#include "loadgen/graph_loader.h"
#include "loadgen/grpc_target.h"
#include "loadgen/redis_target.h"
#include "loadgen/report.h"
#include "loadgen/runner.h"

// The workload.
ABSL_FLAG(uint64_t, users, 10000, "Users in the synthetic social graph (ids 1..users).");
ABSL_FLAG(double, mean_followees, 50, "Mean number of accounts a user follows.");
ABSL_FLAG(double, zipf, 1.0, "Zipf exponent of account popularity (followers of id r ~ 1/r^s).");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the graph and the operation stream.");
ABSL_FLAG(std::string, mix, "home=60,user=30,post=10",
          "Operation mix, kind=weight: home, user, post, follow, unfollow, ping. "
          "The default is DeathStarBench's social-network mix.");
ABSL_FLAG(double, fanout_sample, 0.05,
          "Fraction of posts whose fanout lag is measured (0 disables).");
// The schedule.
ABSL_FLAG(double, rate, 1000,
          "Operations per second, open loop (latency from the intended send time); "
          "0 runs closed loop at maximum throughput.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(60), "Measured time, after the warm-up.");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(5), "Time run but not measured, first.");
ABSL_FLAG(int32_t, concurrency, 64, "Operations in flight at most (closed loop: always).");
ABSL_FLAG(int32_t, connections, 4, "gRPC connections (run).");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(10), "Deadline of each operation.");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(1), "Progress and time-series interval.");
// The graph.
ABSL_FLAG(std::string, graph, "auto",
          "'load' the graph before the run, 'skip' it, or 'auto': load unless the target "
          "already holds it.");
ABSL_FLAG(int32_t, load_concurrency, 256, "Follows in flight while loading the graph.");
// Targets.
ABSL_FLAG(std::string, target, "",
          "run: the roostd to load, host:port; or a node of a cluster, or several, "
          "host:port,host:port,... (see --route).");
ABSL_FLAG(std::string, route, "owner",
          "run, on a cluster: 'owner' sends each call to the owner of its user's partition "
          "(the --connections spread over every node of the map Admin.Cluster gives); 'spread' "
          "round-robins over the --target addresses, which forward to the owners.");
ABSL_FLAG(std::string, data_dir, "",
          "embedded, load: the data directory (embedded: default a new temporary one, "
          "removed afterwards).");
ABSL_FLAG(std::string, log_sync, "always", "embedded, load: the engine's --log-sync.");
ABSL_FLAG(int32_t, read_threads, 2, "embedded: threads serving reads.");
ABSL_FLAG(std::string, baseline, "",
          "Comma-separated baselines run after the main run with the same schedule: "
          "'grpc-empty' (Admin.Ping on the same server; run only) and 'redis' "
          "(Mastodon-style sorted-set timelines on a redis-server started here).");
ABSL_FLAG(std::string, redis_appendfsync, "",
          "Redis baseline persistence: '' none (Mastodon's feed cache), or an "
          "append-only file synced 'always', 'everysec' or 'no'.");
// Output.
ABSL_FLAG(std::string, json, "", "Write every run's figures and histograms to this JSON file.");
ABSL_FLAG(std::string, report, "",
          "Write an HTML report with charts (gnuplot SVG) and the JSON into this directory.");
ABSL_FLAG(bool, progress, true, "Print a progress line every interval (on stderr).");

namespace roost::loadgen {
namespace {

std::atomic<bool> g_stop{false};

// Removes a directory the command created, however the command ends.
class TemporaryDir {
 public:
  explicit TemporaryDir(std::string path) : path_(std::move(path)) {}
  ~TemporaryDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void OnInterrupt(int) { g_stop.store(true); }

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "roost-loadgen: %s\n", status.ToString().c_str());
  return 1;
}

// What a command needs from the flags, checked once.
struct Settings {
  SocialGraphSpec graph;
  Mix mix;
  RunOptions run;
  std::vector<std::string> baselines;
};

absl::StatusOr<Settings> ReadFlags() {
  Settings s;
  s.graph.users = absl::GetFlag(FLAGS_users);
  s.graph.mean_followees = absl::GetFlag(FLAGS_mean_followees);
  s.graph.zipf_exponent = absl::GetFlag(FLAGS_zipf);
  s.graph.seed = absl::GetFlag(FLAGS_seed);
  absl::StatusOr<Mix> mix = ParseMix(absl::GetFlag(FLAGS_mix));
  if (!mix.ok()) return mix.status();
  s.mix = *mix;
  const double sample = absl::GetFlag(FLAGS_fanout_sample);
  if (!(sample >= 0 && sample <= 1)) {
    return absl::InvalidArgumentError("--fanout-sample must be in [0, 1]");
  }
  s.run.rate = absl::GetFlag(FLAGS_rate);
  s.run.duration = absl::GetFlag(FLAGS_duration);
  s.run.warmup = absl::GetFlag(FLAGS_warmup);
  s.run.concurrency = absl::GetFlag(FLAGS_concurrency);
  s.run.timeout = absl::GetFlag(FLAGS_timeout);
  s.run.interval = absl::GetFlag(FLAGS_interval);
  s.run.stop = &g_stop;
  if (!(s.run.rate >= 0)) return absl::InvalidArgumentError("--rate must be >= 0");
  if (s.run.concurrency < 1) return absl::InvalidArgumentError("--concurrency must be >= 1");
  if (s.run.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--duration must be > 0");
  }
  const std::string graph = absl::GetFlag(FLAGS_graph);
  if (graph != "auto" && graph != "load" && graph != "skip") {
    return absl::InvalidArgumentError("--graph must be auto, load or skip");
  }
  for (absl::string_view b :
       absl::StrSplit(absl::GetFlag(FLAGS_baseline), ',', absl::SkipWhitespace())) {
    if (b != "grpc-empty" && b != "redis") {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown baseline '", b, "' (grpc-empty, redis)"));
    }
    s.baselines.emplace_back(b);
  }
  const std::string fsync = absl::GetFlag(FLAGS_redis_appendfsync);
  if (!fsync.empty() && fsync != "always" && fsync != "everysec" && fsync != "no") {
    return absl::InvalidArgumentError("--redis-appendfsync must be '', always, everysec or no");
  }
  return s;
}

// Prints "[  12s] roost  9,998 ops/s  p99 1.23 ms (run 1.10 ms)  errors 0" to stderr:
// in place on a terminal, else one line per ten intervals (logs stay short).
RunOptions WithProgress(RunOptions options, const std::string& name) {
  if (!absl::GetFlag(FLAGS_progress)) return options;
  const bool tty = isatty(STDERR_FILENO);
  auto count = std::make_shared<int>(0);
  const double seconds = absl::ToDoubleSeconds(options.interval);
  options.on_interval = [tty, count, seconds, name](const Interval& last, const RunResult& so_far) {
    if (!tty && ++*count % 10 != 0) return;
    uint64_t completed = 0;
    for (uint64_t n : last.completed) completed += n;
    OpStats all;
    for (const OpStats& op : so_far.ops) all.Merge(op);
    std::fprintf(stderr, "%s[%5.0fs] %-10s %9.0f ops/s  p99 %-9s (run %-9s)  errors %llu%s%s",
                 tty ? "\r" : "", last.end_seconds, name.c_str(),
                 static_cast<double>(completed) / seconds, FormatDuration(last.p99_ns).c_str(),
                 FormatDuration(all.latency.ValueAtPercentile(99)).c_str(),
                 static_cast<unsigned long long>(all.error_count()),
                 last.warmup ? "  warm-up" : "        ", tty ? "" : "\n");
    std::fflush(stderr);
  };
  return options;
}

void EndProgressLine() {
  if (absl::GetFlag(FLAGS_progress) && isatty(STDERR_FILENO)) std::fputc('\n', stderr);
}

// Loads the graph into `target` when --graph (and, for auto, the target's content)
// says so.
absl::Status PrepareGraph(Target* target, const SocialGraph& graph, bool force) {
  const std::string mode = absl::GetFlag(FLAGS_graph);
  if (mode == "skip" && !force) return absl::OkStatus();
  if (mode == "auto" && !force) {
    absl::StatusOr<bool> has = HasGraph(target, graph);
    if (!has.ok()) return has.status();
    if (*has) {
      std::fprintf(stderr, "%s already holds the graph (--graph=auto): not loading it\n",
                   target->name().c_str());
      return absl::OkStatus();
    }
  }
  std::fprintf(stderr, "loading the graph into %s: %llu users, mean %.0f followees...\n",
               target->name().c_str(), static_cast<unsigned long long>(graph.spec().users),
               graph.spec().mean_followees);
  const bool tty = isatty(STDERR_FILENO);
  const absl::Time start = absl::Now();
  absl::StatusOr<RunResult> load =
      LoadGraph(target, graph, absl::GetFlag(FLAGS_load_concurrency), [tty](uint64_t done) {
        if (tty) std::fprintf(stderr, "\r  %llu edges", static_cast<unsigned long long>(done));
      });
  if (tty) std::fputc('\n', stderr);
  if (!load.ok()) return load.status();
  // Acknowledged means durable in the log; loaded means applied to the stores too
  // (LoadGraph waits for that), which is what the run needs and can take longer.
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const OpStats& follows = load->ops[static_cast<int>(OpKind::kFollow)];
  std::fprintf(stderr,
               "loaded %llu edges in %.1f s: %.0f edges/s applied (acknowledged in %.1f s: "
               "%.0f edges/s, p99 %s)\n",
               static_cast<unsigned long long>(follows.count()), seconds,
               static_cast<double>(follows.count()) / seconds,
               absl::ToDoubleSeconds(load->measured), load->Throughput(OpKind::kFollow),
               FormatDuration(follows.latency.ValueAtPercentile(99)).c_str());
  return absl::OkStatus();
}

absl::StatusOr<RunResult> RunWorkload(Target* target, const SocialGraph& graph,
                                      const Settings& settings, const Mix& mix) {
  Workload workload(&graph, mix, settings.graph.seed, absl::GetFlag(FLAGS_fanout_sample));
  absl::StatusOr<RunResult> result = RunLoad(
      target,
      [&workload](Op* op) {
        *op = workload.Next();
        return true;
      },
      WithProgress(settings.run, target->name()));
  EndProgressLine();
  if (result.ok()) std::printf("%s\n", FormatTable(*result).c_str());
  std::fflush(stdout);
  return result;
}

// Runs the baselines the flags ask for, appending their results to *runs.
absl::Status RunBaselines(const Settings& settings, const SocialGraph& graph,
                          std::vector<RunResult>* runs) {
  for (const std::string& baseline : settings.baselines) {
    if (g_stop.load()) break;
    if (baseline == "grpc-empty") {
      const std::string address = absl::GetFlag(FLAGS_target);
      if (address.empty()) {
        return absl::InvalidArgumentError("the grpc-empty baseline needs a server (run --target)");
      }
      absl::StatusOr<std::unique_ptr<GrpcTarget>> empty = GrpcTarget::Connect(
          {address, absl::GetFlag(FLAGS_connections), "grpc-empty", /*route_to_owners=*/false},
          absl::Seconds(10));
      if (!empty.ok()) return empty.status();
      Mix ping;
      ping.weight.fill(0);
      ping.weight[static_cast<int>(OpKind::kPing)] = 1;
      absl::StatusOr<RunResult> result = RunWorkload(empty->get(), graph, settings, ping);
      if (!result.ok()) return result.status();
      runs->push_back(std::move(*result));
    } else if (baseline == "redis") {
      const TemporaryDir dir(std::filesystem::temp_directory_path() /
                             absl::StrCat("roost-loadgen-redis-", getpid()));
      std::filesystem::create_directories(dir.path());
      absl::StatusOr<std::unique_ptr<RedisServer>> server =
          RedisServer::Start(dir.path(), absl::GetFlag(FLAGS_redis_appendfsync));
      if (!server.ok()) return server.status();
      absl::StatusOr<std::unique_ptr<RedisTarget>> redis =
          RedisTarget::Connect((*server)->port(), settings.run.concurrency);
      if (!redis.ok()) return redis.status();
      const absl::Time load_start = absl::Now();
      if (absl::Status loaded = (*redis)->LoadGraph(graph); !loaded.ok()) return loaded;
      std::fprintf(stderr, "loaded the graph into redis (pipelined SADD) in %.1f s\n",
                   absl::ToDoubleSeconds(absl::Now() - load_start));
      absl::StatusOr<RunResult> result = RunWorkload(redis->get(), graph, settings, settings.mix);
      if (!result.ok()) return result.status();
      if (absl::StatusOr<uint64_t> memory = (*server)->UsedMemory(); memory.ok()) {
        std::printf("redis used_memory after the run: %.1f MiB\n\n",
                    static_cast<double>(*memory) / (1 << 20));
        std::fflush(stdout);
      }
      runs->push_back(std::move(*result));
    }  // the target goes before the server it talks to (declared after it)
  }
  return absl::OkStatus();
}

absl::Status Output(const std::vector<RunResult>& runs) {
  for (size_t i = 1; i < runs.size(); ++i) {
    std::printf("%s\n", FormatComparison(runs[0], runs[i]).c_str());
  }
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    if (absl::Status written = WriteJson(runs, path); !written.ok()) return written;
    std::fprintf(stderr, "wrote %s\n", path.c_str());
  }
  if (const std::string dir = absl::GetFlag(FLAGS_report); !dir.empty()) {
    if (absl::Status written = WriteReport(runs, dir); !written.ok()) return written;
    std::fprintf(stderr, "wrote %s/index.html\n", dir.c_str());
  }
  return absl::OkStatus();
}

// Loads the graph if needed, runs the workload on `target`, closes the target (an
// embedded engine must not share the machine with a baseline), runs the baselines
// and writes the output.
absl::Status MeasureAndReport(std::unique_ptr<Target> target, const Settings& settings,
                              const SocialGraph& graph) {
  if (absl::Status ready = PrepareGraph(target.get(), graph, false); !ready.ok()) return ready;
  std::vector<RunResult> runs;
  absl::StatusOr<RunResult> main_run = RunWorkload(target.get(), graph, settings, settings.mix);
  if (!main_run.ok()) return main_run.status();
  runs.push_back(std::move(*main_run));
  target.reset();
  if (absl::Status baselines = RunBaselines(settings, graph, &runs); !baselines.ok()) {
    return baselines;
  }
  return Output(runs);
}

absl::StatusOr<services::RoostOptions> EngineOptions(const std::string& data_dir) {
  services::RoostOptions options;
  options.data_dir = data_dir;
  absl::StatusOr<log::SyncPolicy> sync = log::ParseSyncPolicy(absl::GetFlag(FLAGS_log_sync));
  if (!sync.ok()) return sync.status();
  options.log_sync = *sync;
  return options;
}

absl::Status CommandRun(const Settings& settings, const SocialGraph& graph) {
  const std::string address = absl::GetFlag(FLAGS_target);
  if (address.empty()) return absl::InvalidArgumentError("run needs --target=HOST:PORT");
  const std::string route = absl::GetFlag(FLAGS_route);
  if (route != "owner" && route != "spread") {
    return absl::InvalidArgumentError(
        absl::StrCat("--route is \"", route, "\"; it must be owner or spread"));
  }
  absl::StatusOr<std::unique_ptr<GrpcTarget>> target = GrpcTarget::Connect(
      {address, absl::GetFlag(FLAGS_connections), "roost", route == "owner"}, absl::Seconds(10));
  if (!target.ok()) return target.status();
  return MeasureAndReport(std::move(*target), settings, graph);
}

absl::Status CommandEmbedded(const Settings& settings, const SocialGraph& graph) {
  if (std::find(settings.baselines.begin(), settings.baselines.end(), "grpc-empty") !=
      settings.baselines.end()) {
    return absl::InvalidArgumentError("embedded runs have no gRPC: use --baseline=redis");
  }
  std::string dir = absl::GetFlag(FLAGS_data_dir);
  const TemporaryDir temporary(dir.empty() ? std::string(std::filesystem::temp_directory_path() /
                                                         absl::StrCat("roost-loadgen-", getpid()))
                                           : "");
  if (dir.empty()) dir = temporary.path();
  absl::StatusOr<services::RoostOptions> options = EngineOptions(dir);
  if (!options.ok()) return options.status();
  absl::StatusOr<std::unique_ptr<EmbeddedTarget>> target =
      EmbeddedTarget::Open(*options, absl::GetFlag(FLAGS_read_threads));
  if (!target.ok()) return target.status();
  return MeasureAndReport(std::move(*target), settings, graph);
}

absl::Status CommandLoad(const SocialGraph& graph) {
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  if (dir.empty()) return absl::InvalidArgumentError("load needs --data-dir=DIR");
  absl::StatusOr<services::RoostOptions> options = EngineOptions(dir);
  if (!options.ok()) return options.status();
  absl::StatusOr<std::unique_ptr<EmbeddedTarget>> target =
      EmbeddedTarget::Open(*options, absl::GetFlag(FLAGS_read_threads));
  if (!target.ok()) return target.status();
  return PrepareGraph(target->get(), graph, absl::GetFlag(FLAGS_graph) == "load");
}

int Main(int argc, char** argv) {
  constexpr char kUsage[] =
      "load-tests Roost with a realistic social-network workload.\n"
      "Usage:\n"
      "  roost-loadgen run --target=HOST:PORT [--rate=1000] [--duration=60s] [flags]\n"
      "      gRPC load against a running roostd (loads the graph first if needed)\n"
      "  roost-loadgen embedded [--data-dir=DIR] [flags]\n"
      "      the same workload against the engine in this process, no network\n"
      "  roost-loadgen load --data-dir=DIR [--users=N ...]\n"
      "      writes the synthetic graph into a data directory (through the engine, so\n"
      "      it is in the log), for a roostd started on it afterwards\n"
      "Latency is measured from each operation's intended send time (open loop, no\n"
      "coordinated omission); --rate=0 runs closed loop. --baseline=grpc-empty,redis\n"
      "adds same-run baselines. Ctrl-C ends the run early and still reports.\n"
      "Flags may be spelled with dashes or underscores (--fanout-sample).";
  if (PrintHelpIfAsked(argc, argv, kUsage, "loadgen_main.cc")) return 0;
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> storage;
  std::vector<char*> args = WithUnderscoredFlagNames(argc, argv, &storage);
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (positional.size() != 2) {
    return Fail(
        absl::InvalidArgumentError("expected one command: run, embedded or load (see --help)"));
  }
  const std::string command = positional[1];
  absl::StatusOr<Settings> settings = ReadFlags();
  if (!settings.ok()) return Fail(settings.status());
  absl::StatusOr<SocialGraph> graph = SocialGraph::Create(settings->graph);
  if (!graph.ok()) return Fail(graph.status());
  signal(SIGINT, OnInterrupt);
  signal(SIGPIPE, SIG_IGN);

  absl::Status status;
  if (command == "run") {
    status = CommandRun(*settings, *graph);
  } else if (command == "embedded") {
    status = CommandEmbedded(*settings, *graph);
  } else if (command == "load") {
    status = CommandLoad(*graph);
  } else {
    status = absl::InvalidArgumentError(
        absl::StrCat("unknown command '", command, "' (run, embedded, load)"));
  }
  return status.ok() ? 0 : Fail(status);
}

}  // namespace
}  // namespace roost::loadgen

int main(int argc, char** argv) { return roost::loadgen::Main(argc, argv); }
