// Benchmarks of the durable log: group-commit throughput and latency at 1, 16
// and 256 concurrent writers, append latency at a fixed 10k appends/s against the raw
// fdatasync latency of the same disk measured in the same run, replay speed with a
// warm and a cold page cache, and the delay from an append to a blocked reader seeing
// it. Records are 128 bytes. The log lives under $ROOST_BENCH_DIR (default /var/tmp),
// which must be a real disk: on tmpfs fdatasync costs nothing.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "loadgen/bench/bench_clock.h"
#include "loadgen/histogram.h"
#include "loadgen/runner.h"
#include "loadgen/target.h"
#include "log/log_reader.h"
#include "log/segmented_log.h"

namespace roost::loadgen {
namespace {

constexpr size_t kRecordBytes = 128;

// A fresh directory for one benchmark, removed when it ends.
class BenchDir {
 public:
  explicit BenchDir(const std::string& name) {
    const char* root = std::getenv("ROOST_BENCH_DIR");
    path_ = std::string(root != nullptr ? root : "/var/tmp") + "/roost-log-bench-" + name + "-" +
            std::to_string(getpid());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~BenchDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<log::Log> OpenLog(const std::string& dir, log::SyncPolicy sync) {
  log::SegmentedLogOptions options;
  options.sync = sync;
  absl::StatusOr<std::unique_ptr<log::Log>> opened = log::OpenSegmentedLog(dir, options);
  if (!opened.ok()) {
    std::fprintf(stderr, "cannot open the log: %s\n", opened.status().ToString().c_str());
    std::abort();
  }
  return std::move(*opened);
}

void ReportLatency(benchmark::State& state, const Histogram& h, const std::string& prefix) {
  state.counters[prefix + "p50_us"] = static_cast<double>(h.ValueAtPercentile(50)) / 1e3;
  state.counters[prefix + "p99_us"] = static_cast<double>(h.ValueAtPercentile(99)) / 1e3;
}

// The disk's own cost of durability: write 128 bytes, fdatasync, repeat.
Histogram RawSyncLatency(const std::string& dir, int syncs) {
  const std::string path = dir + "/raw";
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
  const std::string record(kRecordBytes, 'r');
  Histogram h;
  for (int i = 0; i < syncs; ++i) {
    const int64_t start = NowNs();
    if (write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        fdatasync(fd) != 0) {
      std::abort();
    }
    h.Record(static_cast<uint64_t>(NowNs() - start));
  }
  close(fd);
  unlink(path.c_str());
  return h;
}

void BM_RawFdatasync(benchmark::State& state) {
  BenchDir dir("raw");
  Histogram h;
  for (auto _ : state) h.Merge(RawSyncLatency(dir.path(), 200));
  state.SetItemsProcessed(static_cast<int64_t>(h.count()));
  ReportLatency(state, h, "");
}
BENCHMARK(BM_RawFdatasync)->Unit(benchmark::kMillisecond)->UseRealTime();

// Closed loop: `writers` threads each append and wait, for about two seconds.
void BM_DurableAppend(benchmark::State& state) {
  const int writers = static_cast<int>(state.range(0));
  BenchDir dir("append");
  std::unique_ptr<log::Log> log = OpenLog(dir.path(), log::SyncPolicy::kAlways);
  Histogram all;
  int64_t appends = 0;
  for (auto _ : state) {
    absl::Mutex mu;
    const int64_t end = NowNs() + 2'000'000'000;
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w) {
      threads.emplace_back([&] {
        Histogram mine;
        const std::string record(kRecordBytes, 'a');
        while (NowNs() < end) {
          const int64_t start = NowNs();
          if (!log->Append(record).ok()) std::abort();
          mine.Record(static_cast<uint64_t>(NowNs() - start));
        }
        absl::MutexLock lock(&mu);
        all.Merge(mine);
      });
    }
    for (std::thread& t : threads) t.join();
  }
  appends = static_cast<int64_t>(all.count());
  state.SetItemsProcessed(appends);
  ReportLatency(state, all, "");
}
// Appenders: 1, 16 and 256.
BENCHMARK(BM_DurableAppend)
    ->RangeMultiplier(16)
    ->Range(1, 256)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The log as a load-generator target: every operation is one 128-byte append.
class LogTarget : public Target {
 public:
  explicit LogTarget(log::Log* log) : log_(log) {}
  std::string name() const override { return "log"; }
  void Issue(const Op&, absl::Time, absl::AnyInvocable<void(Outcome)> done) override {
    log_->AppendAsync(std::string(kRecordBytes, 'o'),
                      [done = std::move(done)](absl::StatusOr<LogOffset> offset) mutable {
                        done(Outcome{offset.status()});
                      });
  }
  void AwaitVisible(UserId, const Outcome&, absl::Time,
                    absl::AnyInvocable<void(absl::Status)> done) override {
    done(absl::OkStatus());
  }
  absl::StatusOr<bool> FollowsAll(UserId, absl::Span<const UserId>) override { return true; }
  absl::Status Sync(absl::Time) override { return absl::OkStatus(); }

 private:
  log::Log* const log_;
};

// Closed loop through the asynchronous API, as the server appends: one thread keeps
// `in_flight` appends outstanding (the load generator's scheduler, LogTarget above).
void BM_DurableAppendAsync(benchmark::State& state) {
  BenchDir dir("async");
  std::unique_ptr<log::Log> log = OpenLog(dir.path(), log::SyncPolicy::kAlways);
  LogTarget target(log.get());
  for (auto _ : state) {
    RunOptions options;
    options.rate = 0;
    options.concurrency = static_cast<int>(state.range(0));
    options.duration = absl::Seconds(2);
    options.warmup = absl::Milliseconds(200);
    absl::StatusOr<RunResult> result = RunLoad(
        &target,
        [](Op* op) {
          op->kind = OpKind::kPost;
          return true;
        },
        options);
    if (!result.ok() || result->all.error_count() != 0) std::abort();
    ReportLatency(state, result->all.latency, "");
    state.counters["appends_per_s"] = result->Throughput();
  }
}
// Appenders: 1, 16 and 256.
BENCHMARK(BM_DurableAppendAsync)
    ->RangeMultiplier(16)
    ->Range(1, 256)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Completes every operation at once: the load generator's own floor.
class NoTarget : public LogTarget {
 public:
  NoTarget() : LogTarget(nullptr) {}
  void Issue(const Op&, absl::Time, absl::AnyInvocable<void(Outcome)> done) override {
    done(Outcome{});
  }
};

absl::StatusOr<RunResult> AtRate(Target* target, double rate) {
  RunOptions options;
  options.rate = rate;
  options.duration = absl::Seconds(3);
  options.warmup = absl::Milliseconds(500);
  options.concurrency = 4096;
  return RunLoad(
      target,
      [](Op* op) {
        op->kind = OpKind::kPost;
        return true;
      },
      options);
}

// Open loop at 10k appends/s (latency from the intended time, as roost-loadgen
// measures it), against two baselines measured in the same run:
// - raw_sync: write 128 bytes + fdatasync in a loop, the disk's cost of durability;
// - paced_floor: the same 10k/s schedule against a target that does nothing, while a
//   thread runs that raw fdatasync loop. On a virtual machine a flush can stall the
//   other vCPU's thread too; this is the latency any client sees here with the disk
//   busy syncing, before the log adds anything.
void BM_AppendAt10kPerSecond(benchmark::State& state) {
  BenchDir dir("rate");
  std::unique_ptr<log::Log> log = OpenLog(dir.path(), log::SyncPolicy::kAlways);
  LogTarget target(log.get());
  for (auto _ : state) {
    const Histogram raw = RawSyncLatency(dir.path(), 10000);  // about the run's length
    std::atomic<bool> stop{false};
    std::thread syncer([&] {
      while (!stop.load()) RawSyncLatency(dir.path(), 100);
    });
    NoTarget nothing;
    absl::StatusOr<RunResult> floor = AtRate(&nothing, 10000);
    stop.store(true);
    syncer.join();
    absl::StatusOr<RunResult> result = AtRate(&target, 10000);
    if (!floor.ok() || !result.ok() || result->all.error_count() != 0) std::abort();
    const double p99 = static_cast<double>(result->all.latency.ValueAtPercentile(99));
    ReportLatency(state, result->all.latency, "append_");
    ReportLatency(state, raw, "raw_sync_");
    ReportLatency(state, floor->all.latency, "paced_floor_");
    state.counters["p99_vs_raw_sync"] = p99 / static_cast<double>(raw.ValueAtPercentile(99));
    state.counters["p99_vs_paced_floor"] =
        p99 / static_cast<double>(floor->all.latency.ValueAtPercentile(99));
    state.counters["appends_per_s"] = result->Throughput();
  }
}
BENCHMARK(BM_AppendAt10kPerSecond)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// Replay: read `records` 128-byte records from the start, in batches. Cold drops the
// segments from the page cache first (posix_fadvise DONTNEED on synced files).
void Replay(benchmark::State& state, bool cold) {
  const int64_t records = state.range(0);
  BenchDir dir(cold ? "cold" : "warm");
  {
    std::unique_ptr<log::Log> log = OpenLog(dir.path(), log::SyncPolicy::kNone);
    absl::Notification written;
    std::atomic<int64_t> left{records};
    for (int64_t i = 0; i < records; ++i) {
      log->AppendAsync(std::string(kRecordBytes, 'p'), [&](absl::StatusOr<LogOffset>) {
        if (left.fetch_sub(1) == 1) written.Notify();
      });
    }
    written.WaitForNotification();
  }
  sync();
  std::unique_ptr<log::Log> log = OpenLog(dir.path(), log::SyncPolicy::kNone);
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        const int fd = open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
      }
      state.ResumeTiming();
    }
    std::unique_ptr<log::LogReader> reader = *log->NewReader(1);
    std::vector<log::LogRecord> batch;
    int64_t read = 0;
    while (read < records) {
      batch.clear();
      if (!reader->ReadBatch(4096, absl::Now(), &batch).ok()) std::abort();
      read += static_cast<int64_t>(batch.size());
    }
    benchmark::DoNotOptimize(read);
  }
  state.SetItemsProcessed(state.iterations() * records);
}
void BM_ReplayWarm(benchmark::State& state) { Replay(state, false); }
void BM_ReplayCold(benchmark::State& state) { Replay(state, true); }
BENCHMARK(BM_ReplayWarm)->Arg(2'000'000)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReplayCold)->Arg(2'000'000)->UseRealTime()->Unit(benchmark::kMillisecond);

// From AppendAsync to a reader blocked in ReadBatch returning the record, one at a
// time (each waits for the previous to be seen), with fdatasync per append.
void BM_TailLatency(benchmark::State& state) {
  BenchDir dir("tail");
  std::unique_ptr<log::Log> log = OpenLog(dir.path(), log::SyncPolicy::kAlways);
  Histogram h;
  std::atomic<int64_t> sent_at{0};
  std::atomic<bool> done{false};
  absl::Mutex mu;
  int64_t seen = 0;  // records the reader has returned
  std::thread reader_thread([&] {
    std::unique_ptr<log::LogReader> reader = *log->NewReader(1);
    std::vector<log::LogRecord> batch;
    while (!done.load()) {
      batch.clear();
      reader->ReadBatch(1, absl::Now() + absl::Milliseconds(100), &batch).IgnoreError();
      if (batch.empty()) continue;
      const int64_t now = NowNs();
      absl::MutexLock lock(&mu);
      h.Record(static_cast<uint64_t>(now - sent_at.load()));
      ++seen;
    }
  });
  int64_t sent = 0;
  for (auto _ : state) {
    sent_at.store(NowNs());
    log->AppendAsync(std::string(kRecordBytes, 't'), [](absl::StatusOr<LogOffset>) {});
    ++sent;
    absl::MutexLock lock(&mu);
    auto caught_up = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) { return seen == sent; };
    mu.Await(absl::Condition(&caught_up));
  }
  done.store(true);
  reader_thread.join();
  ReportLatency(state, h, "");
}
BENCHMARK(BM_TailLatency)->Iterations(2000)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace roost::loadgen

BENCHMARK_MAIN();
