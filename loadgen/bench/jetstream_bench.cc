// The JetStream floor: what Roost's JetStream log (jetstream/jetstream_log.h) gets from
// NATS on the machine it runs on, for the cluster's figures to be read against. A local
// nats-server (one replica) or a cluster of three (three replicas, a quorum of two),
// started here on loopback ports; records of 128 bytes appended through
// JetStreamLog::AppendAsync with up to `window` appends in flight:
//   - records/s, and the ack latency of each append (p50/p99, µs),
//   - the CPU the nats-servers spent per record (µs, all servers together, from
//     /proc/<pid>/stat) and this process's (the client's) per record.
// The servers' store is under $ROOST_BENCH_DIR (default /var/tmp); JetStream syncs its
// files on its own schedule (every two minutes by default), not per record: an append
// is durable once it is on a quorum's memory and pending write, as JetStream defines it.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "jetstream/connection.h"
#include "jetstream/jetstream_log.h"
#include "loadgen/bench/bench_clock.h"
#include "loadgen/bench/bench_env.h"
#include "loadgen/histogram.h"
#include "loadgen/nats_cluster.h"

namespace roost::loadgen {
namespace {

constexpr size_t kRecordBytes = 128;

// One cluster of `size` servers for the whole run (started on first use), and a
// connection to it; at exit the servers are killed and their store removed.
struct Servers {
  ~Servers() {
    connection.reset();
    cluster.reset();
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<NatsCluster> cluster;
  std::unique_ptr<jetstream::Connection> connection;
};

Servers& ServersOf(int size) {
  static Servers servers[2];
  Servers& s = servers[size == 1 ? 0 : 1];
  if (s.cluster == nullptr) {
    s.cluster = std::make_unique<NatsCluster>();
    s.dir = BenchPath(absl::StrCat("nats-", size));
    const absl::Status started = s.cluster->Start(s.dir, size);
    if (!started.ok()) Die("starting nats-server", started);
    jetstream::ConnectionOptions options;
    options.servers = s.cluster->urls();
    options.name = "jetstream_bench";
    absl::StatusOr<std::unique_ptr<jetstream::Connection>> connection =
        jetstream::Connection::Connect(options);
    if (!connection.ok()) Die("connecting", connection.status());
    s.connection = *std::move(connection);
  }
  return s;
}

// A fresh stream on `servers`, retrying while a new cluster elects its leaders.
std::unique_ptr<jetstream::JetStreamLog> FreshLog(Servers& servers, int replicas) {
  static int next = 0;
  jetstream::JetStreamLogOptions options;
  options.stream = absl::StrCat("bench-", getpid(), "-", next++);
  options.replicas = replicas;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (true) {
    absl::StatusOr<std::unique_ptr<jetstream::JetStreamLog>> log =
        jetstream::OpenJetStreamLog(servers.connection.get(), options);
    if (log.ok()) return *std::move(log);
    if (!absl::IsUnavailable(log.status()) || absl::Now() > deadline) Die("opening", log.status());
    absl::SleepFor(absl::Milliseconds(50));  // polling the election, with a deadline
  }
}

int64_t ServersCpuNs(NatsCluster& cluster) {
  int64_t total = 0;
  for (int i = 0; i < cluster.size(); ++i) total += ProcessCpuNsOf(cluster.server(i).pid());
  return total;
}

// The appends in flight, bounded, and what their acks said.
struct Window {
  explicit Window(int limit) : limit(limit) {}
  const int limit;
  absl::Mutex mu;
  int in_flight ABSL_GUARDED_BY(mu) = 0;
  int64_t failed ABSL_GUARDED_BY(mu) = 0;
  Histogram latency_us ABSL_GUARDED_BY(mu);
};

void AppendAll(jetstream::JetStreamLog& log, int64_t records, Window& window) {
  const std::string record(kRecordBytes, 'r');
  for (int64_t i = 0; i < records; ++i) {
    {
      absl::MutexLock lock(&window.mu);
      window.mu.Await(absl::Condition(
          +[](Window* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu) { return w->in_flight < w->limit; },
          &window));
      ++window.in_flight;
    }
    const int64_t start = NowNs();
    log.AppendAsync(record, [&window, start](absl::StatusOr<LogOffset> offset) {
      const int64_t end = NowNs();
      absl::MutexLock lock(&window.mu);
      --window.in_flight;
      if (offset.ok()) {
        window.latency_us.Record(static_cast<uint64_t>((end - start) / 1000));
      } else {
        ++window.failed;
      }
    });
  }
  absl::MutexLock lock(&window.mu);
  window.mu.Await(absl::Condition(
      +[](Window* w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(w->mu) { return w->in_flight == 0; }, &window));
}

void BM_Publish(benchmark::State& state) {
  const int replicas = static_cast<int>(state.range(0));
  const int limit = static_cast<int>(state.range(1));
  Servers& servers = ServersOf(replicas);
  std::unique_ptr<jetstream::JetStreamLog> log = FreshLog(servers, replicas);
  // One at a time is a round trip each: fewer of them.
  const int64_t records = static_cast<int64_t>(limit == 1 ? Scaled(5'000) : Scaled(200'000));
  Window window(limit);
  double seconds = 0;
  int64_t servers_cpu = 0, client_cpu = 0;
  for (auto _ : state) {
    const int64_t servers_before = ServersCpuNs(*servers.cluster);
    const int64_t client_before = ProcessCpuNs();
    const int64_t start = NowNs();
    AppendAll(*log, records, window);
    seconds = static_cast<double>(NowNs() - start) / 1e9;
    servers_cpu = ServersCpuNs(*servers.cluster) - servers_before;
    client_cpu = ProcessCpuNs() - client_before;
    state.SetIterationTime(seconds);
  }
  absl::MutexLock lock(&window.mu);
  const double n = static_cast<double>(records);
  state.counters["records_per_s"] = n / seconds;
  state.counters["ack_p50_us"] = static_cast<double>(window.latency_us.ValueAtPercentile(50));
  state.counters["ack_p99_us"] = static_cast<double>(window.latency_us.ValueAtPercentile(99));
  state.counters["servers_cpu_us_per_record"] = static_cast<double>(servers_cpu) / 1000 / n;
  state.counters["client_cpu_us_per_record"] = static_cast<double>(client_cpu) / 1000 / n;
  state.counters["failed"] = static_cast<double>(window.failed);
}
BENCHMARK(BM_Publish)
    ->ArgNames({"replicas", "window"})
    ->Args({1, 1})
    ->Args({1, 4096})
    ->Args({3, 1})
    ->Args({3, 256})
    ->Args({3, 4096})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace roost::loadgen

BENCHMARK_MAIN();
