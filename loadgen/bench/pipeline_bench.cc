// Benchmarks of the ingest pipeline, through the engine in process
// (services/roost.h), so every event goes log -> topology -> all stores:
//  - BM_Rebuild: `roostd --rebuild` on a data dir holding a generated social graph and
//    posts: events/s for replaying the whole log into fresh tweet and graph stores.
//  - BM_EdgeWrites: the same rebuild on a data dir holding only follows, the ~1.05M
//    edges of a 21k-user Zipf graph: edges/s through log -> spout -> graph bolt ->
//    RocksDB.
//  - BM_LiveIngest: writes sent as fast as 512 in flight allow while the pipeline
//    applies them: events/s from the first send until the last event is applied.
//  - BM_ApplyLag/<rate>: writes paced at <rate>/s (80% posts, 15% follows, 5%
//    unfollows); for each, the time from its acknowledgement (durable) to the pipeline
//    having applied it to every store.
//  - BM_MassArchive: Graph.Archive of a user with 1M followers (Unarchive on every
//    other repetition, undoing the one before) while follows between
//    other users are paced at 1000/s: how long the mass change runs, and for the paced
//    writes before and during it the lag from acknowledgement to processed (in the
//    graph: processed_position) and to applied (what a min_position read waits for,
//    which includes the mass change when the write comes after it).
// The data dirs live under $ROOST_BENCH_DIR (default /var/tmp), on a real disk; sizes
// scale with $ROOST_BENCH_SCALE (bench_env.h).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "loadgen/bench/bench_clock.h"
#include "loadgen/bench/bench_env.h"
#include "loadgen/bench/bench_roost.h"
#include "loadgen/histogram.h"
#include "loadgen/social_graph.h"
#include "loadgen/workload.h"
#include "services/roost.h"

namespace roost::loadgen {
namespace {

constexpr double kMeanFollowees = 50;

SocialGraph* NewGraph(uint64_t users) {
  absl::StatusOr<SocialGraph> g = SocialGraph::Create({users, kMeanFollowees, 1.0, 1});
  if (!g.ok()) Die("social graph", g.status());
  return new SocialGraph(*std::move(g));
}

// The mixed benchmarks' graph: 10k users, ~500k follows; they write 100k posts too.
const SocialGraph& Graph() {
  static const SocialGraph* graph = NewGraph(Scaled(10'000));
  return *graph;
}
uint64_t Posts() { return Scaled(100'000); }

// BM_EdgeWrites's graph: 21k users, ~1.05M follows.
const SocialGraph& EdgeGraph() {
  static const SocialGraph* graph = NewGraph(Scaled(21'000));
  return *graph;
}

// `social`'s follows, then `posts` posts by Graph()'s popularity; returns the events
// written.
int64_t Populate(services::Roost& roost, const SocialGraph& social, uint64_t posts) {
  InFlight in_flight;
  int64_t events = 0;
  social.ForEachFollow(1, social.spec().users + 1, [&](UserId follower, UserId followee) {
    in_flight.Acquire();
    roost.SetEdge(graph::kFollows, follower, followee, graph::EdgeState::kNormal,
                  [&](absl::StatusOr<LogOffset> r) { in_flight.Release(r.status()); });
    ++events;
  });
  absl::StatusOr<Mix> mix = ParseMix("post=1");
  Workload workload(&Graph(), *mix, /*seed=*/2);
  for (uint64_t i = 0; i < posts; ++i) {
    Op op = workload.Next();
    in_flight.Acquire();
    roost.Post(services::PostArgs{op.user, std::move(op.text)},
               [&](absl::StatusOr<services::PostResult> r) { in_flight.Release(r.status()); });
    ++events;
  }
  in_flight.Finish();
  return events;
}

// A data dir populated once per process and shared by the benchmarks, which replay or
// extend it; removed at exit.
struct SharedDir {
  SharedDir(const std::string& name, const SocialGraph& social, uint64_t posts)
      : path(BenchPath(name)) {
    std::filesystem::remove_all(path);
    std::unique_ptr<services::Roost> roost = OpenRoost(BenchOptions(path, log::SyncPolicy::kNone));
    events = Populate(*roost, social, posts);
    roost->Shutdown();
  }
  ~SharedDir() { std::filesystem::remove_all(path); }

  const std::string path;
  int64_t events = 0;
};

// Graph()'s follows and 100k posts: ~596k events.
const SharedDir& Populated() {
  static const SharedDir dir("roost-pipeline-bench", Graph(), Posts());
  return dir;
}

// EdgeGraph()'s follows only.
const SharedDir& FollowsOnly() {
  static const SharedDir dir("roost-edge-bench", EdgeGraph(), 0);
  return dir;
}

// Rebuilds `dir` (`roostd --rebuild`): reports <unit>s, <unit>s_per_s and the cost per
// <unit>, every event in the dir being one.
void Rebuild(benchmark::State& state, const SharedDir& dir, const std::string& unit) {
  services::RoostOptions options = BenchOptions(dir.path, log::SyncPolicy::kNone);
  options.rebuild = true;
  for (auto _ : state) {
    const int64_t start = NowNs();
    const Cost cost;
    std::unique_ptr<services::Roost> roost = OpenRoost(options);  // returns once all is applied
    const double seconds = static_cast<double>(NowNs() - start) / 1e9;
    const auto events = static_cast<double>(roost->applied_position());
    state.SetIterationTime(seconds);
    state.counters[unit + "s"] = events;
    state.counters[unit + "s_per_s"] = events / seconds;
    cost.Report(state, events, unit);
    if (std::getenv("ROOST_BENCH_COUNTERS") != nullptr) {
      for (const auto& [name, value] : roost->Counters()) {
        std::fprintf(stderr, "%s %lld\n", name.c_str(), static_cast<long long>(value));
      }
    }
    roost->Shutdown();
  }
}

void BM_Rebuild(benchmark::State& state) { Rebuild(state, Populated(), "event"); }
BENCHMARK(BM_Rebuild)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

void BM_EdgeWrites(benchmark::State& state) { Rebuild(state, FollowsOnly(), "edge"); }
BENCHMARK(BM_EdgeWrites)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

void BM_LiveIngest(benchmark::State& state) {
  const SharedDir& dir = Populated();
  for (auto _ : state) {
    std::unique_ptr<services::Roost> roost =
        OpenRoost(BenchOptions(dir.path, log::SyncPolicy::kNone));
    const LogOffset before = roost->applied_position();
    const int64_t start = NowNs();
    const Cost cost;
    const int64_t events = Populate(*roost, Graph(), Posts());
    WaitApplied(*roost, absl::Minutes(5));
    const double seconds = static_cast<double>(NowNs() - start) / 1e9;
    state.SetIterationTime(seconds);
    state.counters["events"] = static_cast<double>(events);
    state.counters["events_per_s"] = static_cast<double>(events) / seconds;
    cost.Report(state, static_cast<double>(events), "event");
    if (roost->applied_position() - before != static_cast<LogOffset>(events)) {
      Die("live ingest", absl::InternalError("applied count differs from written"));
    }
    roost->Shutdown();
  }
}
BENCHMARK(BM_LiveIngest)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

void BM_ApplyLag(benchmark::State& state) {
  const SharedDir& dir = Populated();
  const int64_t rate = state.range(0);
  constexpr absl::Duration kDuration = absl::Seconds(10);
  absl::StatusOr<Mix> mix = ParseMix("post=80,follow=15,unfollow=5");
  for (auto _ : state) {
    std::unique_ptr<services::Roost> roost =
        OpenRoost(BenchOptions(dir.path, log::SyncPolicy::kAlways));
    Workload workload(&Graph(), *mix, /*seed=*/3);
    Histogram lag;
    absl::Mutex lag_mu;
    InFlight in_flight;
    // Runs on the write's callback thread: the write is durable; wait for its apply.
    auto on_ack = [&](absl::StatusOr<LogOffset> position) {
      if (!position.ok()) return in_flight.Release(position.status());
      const int64_t acked = NowNs();
      roost->WhenApplied(*position, absl::Now() + absl::Seconds(30), [&, acked](absl::Status s) {
        {
          absl::MutexLock lock(&lag_mu);
          lag.Record(NowNs() - acked);
        }
        in_flight.Release(s);
      });
    };
    const int64_t n = rate * absl::ToInt64Seconds(kDuration);
    const int64_t start = NowNs();
    for (int64_t i = 0; i < n; ++i) {
      // Sleep, not spin: a spinning sender would take one of the two cores the
      // pipeline runs on. Lateness does not matter: lag runs from the acknowledgement.
      const int64_t due = start + i * 1'000'000'000 / rate;
      if (const int64_t now = NowNs(); now < due) absl::SleepFor(absl::Nanoseconds(due - now));
      Op op = workload.Next();
      in_flight.Acquire();
      if (op.kind == OpKind::kPost) {
        roost->Post(services::PostArgs{op.user, std::move(op.text)},
                    [on_ack](absl::StatusOr<services::PostResult> r) mutable {
                      on_ack(r.ok() ? absl::StatusOr<LogOffset>(r->position) : r.status());
                    });
      } else if (op.target == 0) {
        in_flight.Release(absl::OkStatus());  // nobody to (un)follow
      } else {
        roost->SetEdge(
            graph::kFollows, op.user, op.target,
            op.kind == OpKind::kFollow ? graph::EdgeState::kNormal : graph::EdgeState::kRemoved,
            on_ack);
      }
    }
    in_flight.Finish();
    state.SetIterationTime(static_cast<double>(NowNs() - start) / 1e9);
    state.counters["lag_p50_us"] = static_cast<double>(lag.ValueAtPercentile(50)) / 1e3;
    state.counters["lag_p99_us"] = static_cast<double>(lag.ValueAtPercentile(99)) / 1e3;
    state.counters["writes"] = static_cast<double>(lag.count());
    roost->Shutdown();
  }
}
BENCHMARK(BM_ApplyLag)
    ->Arg(1000)
    ->Arg(10000)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

// BM_MassArchive's graph: kCelebrity and its followers 2..(1 + MassFollowers()).
constexpr UserId kCelebrity = 1;
uint64_t MassFollowers() { return Scaled(1'000'000); }

struct MassDir {
  MassDir() : path(BenchPath("roost-mass-bench")) {
    std::filesystem::remove_all(path);
    std::unique_ptr<services::Roost> roost = OpenRoost(BenchOptions(path, log::SyncPolicy::kNone));
    InFlight in_flight;
    for (UserId follower = 2; follower < 2 + MassFollowers(); ++follower) {
      in_flight.Acquire();
      roost->SetEdge(graph::kFollows, follower, kCelebrity, graph::EdgeState::kNormal,
                     [&](absl::StatusOr<LogOffset> r) { in_flight.Release(r.status()); });
    }
    in_flight.Finish();
    roost->Shutdown();  // waits for everything to apply
  }
  ~MassDir() { std::filesystem::remove_all(path); }
  const std::string path;
};

// Lag histograms of the paced writes, split by whether the mass change was running
// when the write was acknowledged.
struct MassLags {
  absl::Mutex mu;
  Histogram processed[2] ABSL_GUARDED_BY(mu);
  Histogram applied[2] ABSL_GUARDED_BY(mu);
};

// The lags of acknowledged writes to applied (told by WhenApplied) and to processed
// (resolved by polling processed_position, which nothing notifies: 100 µs of
// resolution, which the lags measured are far above).
class ProcessedLagPoller {
 public:
  ProcessedLagPoller(services::Roost* roost, MassLags* lags) : roost_(roost), lags_(lags) {
    thread_ = std::thread([this] { Poll(); });
  }
  ~ProcessedLagPoller() { Finish(); }

  // A write acknowledged just now at `position`; `during` the mass change.
  void Track(LogOffset position, bool during) {
    const int64_t acked = NowNs();
    {
      absl::MutexLock lock(&mu_);
      waiting_.emplace(position, std::make_pair(acked, during));
      ++unapplied_;
    }
    roost_->WhenApplied(position, absl::Now() + absl::Minutes(2), [=, this](absl::Status s) {
      if (!s.ok()) Die("wait for applied", s);
      {
        absl::MutexLock lock(&lags_->mu);
        lags_->applied[during].Record(NowNs() - acked);
      }
      absl::MutexLock lock(&mu_);
      --unapplied_;
    });
  }
  // Waits until every write tracked is applied and the poller saw it processed.
  void Finish() {
    if (!thread_.joinable()) return;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](int* n) { return *n == 0; }, &unapplied_));
    }
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (waiting_.empty()) break;
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
    stop_.store(true);
    thread_.join();
  }

 private:
  void Poll() {
    while (!stop_.load()) {
      const LogOffset processed = roost_->processed_position();
      const int64_t now = NowNs();
      {
        absl::MutexLock lock(&mu_);
        while (!waiting_.empty() && waiting_.begin()->first <= processed) {
          const auto [acked, during] = waiting_.begin()->second;
          absl::MutexLock l(&lags_->mu);
          lags_->processed[during].Record(now - acked);
          waiting_.erase(waiting_.begin());
        }
      }
      absl::SleepFor(absl::Microseconds(100));
    }
  }

  services::Roost* const roost_;
  MassLags* const lags_;
  absl::Mutex mu_;
  std::multimap<LogOffset, std::pair<int64_t, bool>> waiting_ ABSL_GUARDED_BY(mu_);
  int unapplied_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void ReportLags(MassLags& lags, benchmark::State& state) {
  absl::MutexLock lock(&lags.mu);
  for (int during : {0, 1}) {
    const std::string when = during ? "during_" : "before_";
    auto us = [](const Histogram& h, double p) {
      return static_cast<double>(h.ValueAtPercentile(p)) / 1e3;
    };
    state.counters[when + "writes"] = static_cast<double>(lags.processed[during].count());
    state.counters[when + "processed_p50_us"] = us(lags.processed[during], 50);
    state.counters[when + "processed_p99_us"] = us(lags.processed[during], 99);
    state.counters[when + "processed_max_us"] =
        static_cast<double>(lags.processed[during].max()) / 1e3;
    state.counters[when + "applied_p50_us"] = us(lags.applied[during], 50);
    state.counters[when + "applied_max_us"] = static_cast<double>(lags.applied[during].max()) / 1e3;
  }
}

// Archives the followers, or unarchives them if an earlier repetition archived them:
// the states the mass change moves them from and to.
std::pair<graph::EdgeState, graph::EdgeState> MassDirection(services::Roost& roost,
                                                            benchmark::State& state) {
  absl::StatusOr<uint64_t> normal =
      roost.Count(graph::kFollows, kCelebrity, graph::Direction::kBackward, graph::kNormalOnly);
  if (!normal.ok()) Die("count", normal.status());
  const bool archive = *normal == MassFollowers();
  state.SetLabel(archive ? "archive" : "unarchive");
  if (archive) return {graph::EdgeState::kNormal, graph::EdgeState::kArchived};
  return {graph::EdgeState::kArchived, graph::EdgeState::kNormal};
}

void BM_MassArchive(benchmark::State& state) {
  static const MassDir dir;
  constexpr int64_t kRate = 1000;
  constexpr absl::Duration kBefore = absl::Seconds(2);
  for (auto _ : state) {
    std::unique_ptr<services::Roost> roost =
        OpenRoost(BenchOptions(dir.path, log::SyncPolicy::kAlways));
    const auto [from, to] = MassDirection(*roost, state);
    MassLags lags;
    InFlight in_flight;
    std::atomic<bool> running{false};
    std::atomic<int64_t> archive_acked_ns{0}, archive_applied_ns{0};

    ProcessedLagPoller poller(roost.get(), &lags);

    // A write leaves in_flight once acknowledged (waiting to be applied through a mass
    // change would otherwise stall the pacing); the poller follows it until applied.
    auto on_ack = [&](absl::StatusOr<LogOffset> position) {
      if (position.ok()) poller.Track(*position, running.load());
      in_flight.Release(position.status());
    };

    const int64_t start = NowNs();
    const Cost cost;
    bool archive_sent = false;
    UserId next_user = 10'000'000;
    // Paced follows until the mass change has been applied for a second.
    for (int64_t i = 0;; ++i) {
      const int64_t due = start + i * 1'000'000'000 / kRate;
      if (const int64_t now = NowNs(); now < due) absl::SleepFor(absl::Nanoseconds(due - now));
      const int64_t done_at = archive_applied_ns.load();
      if (done_at != 0 && NowNs() - done_at > 1'000'000'000) break;
      if (i > 600 * kRate) Die("mass archive", absl::DeadlineExceededError("did not finish"));
      if (!archive_sent && NowNs() - start >= absl::ToInt64Nanoseconds(kBefore)) {
        archive_sent = true;
        running.store(true);
        in_flight.Acquire();
        roost->MassChange(graph::kFollows, kCelebrity, graph::StateBit(from), to,
                          [&](absl::StatusOr<LogOffset> r) {
                            if (!r.ok()) return in_flight.Release(r.status());
                            archive_acked_ns.store(NowNs());
                            roost->WhenApplied(*r, absl::Now() + absl::Minutes(10),
                                               [&](absl::Status s) {
                                                 archive_applied_ns.store(NowNs());
                                                 running.store(false);
                                                 in_flight.Release(s);
                                               });
                          });
      }
      in_flight.Acquire();
      const UserId a = next_user++;
      roost->SetEdge(graph::kFollows, a, a + 1'000'000, graph::EdgeState::kNormal, on_ack);
    }
    in_flight.Finish();
    poller.Finish();
    state.SetIterationTime(static_cast<double>(NowNs() - start) / 1e9);

    absl::StatusOr<uint64_t> archived =
        roost->Count(graph::kFollows, kCelebrity, graph::Direction::kBackward, graph::StateBit(to));
    if (!archived.ok() || *archived != MassFollowers()) {
      Die("mass archive", absl::InternalError("not every follower was moved"));
    }
    const double seconds =
        static_cast<double>(archive_applied_ns.load() - archive_acked_ns.load()) / 1e9;
    state.counters["archived"] = static_cast<double>(*archived);
    state.counters["mass_s"] = seconds;
    state.counters["mass_edges_per_s"] = static_cast<double>(*archived) / seconds;
    ReportLags(lags, state);
    roost->Shutdown();
  }
}
BENCHMARK(BM_MassArchive)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace roost::loadgen

BENCHMARK_MAIN();
