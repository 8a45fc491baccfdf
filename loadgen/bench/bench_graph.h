// The graph the graph store's benchmarks run on, made and loaded the same way for
// graph_bench (the store in process) and graph_grpc_bench (the same store behind the
// server), and how they time single reads on it. More than 10M edges: the Zipf follow
// graph of 200k users (mean 50 followees), plus lists made for the set-algebra and
// iteration figures:
//   kCelebrity   followed by 1M users (ids from kExtraBase)
//   kFanOfTenth  followed by 100k of them (every 10th), so its intersection with
//                kCelebrity has 100k members
//   kHalfA/kHalfB followed by 100k users each, half of them shared
// A benchmark may take a fraction of it (every count scaled alike); every count also
// scales with $ROOST_BENCH_SCALE (bench_env.h). The ids do not scale.
#ifndef ROOST_LOADGEN_BENCH_BENCH_GRAPH_H_
#define ROOST_LOADGEN_BENCH_BENCH_GRAPH_H_

#include <algorithm>
#include <cstdint>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "benchmark/benchmark.h"
#include "graph/graph_store.h"
#include "loadgen/bench/bench_clock.h"
#include "loadgen/bench/bench_env.h"
#include "loadgen/histogram.h"
#include "loadgen/social_graph.h"

namespace roost::loadgen {

// The follow graph's users, ids 1..BenchUsers(fraction).
inline uint64_t BenchUsers(double fraction = 1) {
  return Scaled(static_cast<uint64_t>(200'000 * fraction));
}
constexpr UserId kCelebrity = 200'001;  // above every user id at any scale
constexpr UserId kFanOfTenth = 200'002;
constexpr UserId kHalfA = 200'003;
constexpr UserId kHalfB = 200'004;
constexpr UserId kExtraBase = 10'000'000;  // the made-up followers' ids start here

using EdgeList = std::vector<std::pair<UserId, UserId>>;  // (source, destination)

// Every edge of `fraction` of the benchmark graph, in the order it is written.
inline EdgeList BenchGraphEdges(double fraction = 1) {
  constexpr double kMeanFollowees = 50;
  const uint64_t users = BenchUsers(fraction);
  const uint64_t celebrity_followers = Scaled(static_cast<uint64_t>(1'000'000 * fraction));
  const uint64_t hundred_k = Scaled(static_cast<uint64_t>(100'000 * fraction));
  EdgeList edges;
  absl::StatusOr<SocialGraph> social = SocialGraph::Create({users, kMeanFollowees, 1.0, 1});
  if (!social.ok()) Die("social graph", social.status());
  social->ForEachFollow(1, users + 1, [&](UserId a, UserId b) { edges.emplace_back(a, b); });
  for (uint64_t i = 0; i < celebrity_followers; ++i) {
    edges.emplace_back(kExtraBase + i, kCelebrity);
    if (i % 10 == 0) edges.emplace_back(kExtraBase + i, kFanOfTenth);
  }
  for (uint64_t i = 0; i < hundred_k; ++i) {
    edges.emplace_back(kExtraBase + i, kHalfA);
    edges.emplace_back(kExtraBase + hundred_k / 2 + i, kHalfB);
  }
  return edges;
}

// Writes `edges` as FOLLOWS with GraphStore::Apply, in batches of 1000 from two
// threads (the store alone, without the log and pipeline); returns the seconds taken.
inline double LoadEdges(graph::GraphStore& store, const EdgeList& edges) {
  constexpr size_t kBatch = 1000;
  const int64_t start = NowNs();
  auto write = [&](size_t part, size_t parts) {
    std::vector<graph::EdgeWrite> batch;
    for (size_t i = part * kBatch; i < edges.size(); i += parts * kBatch) {
      batch.clear();
      for (size_t j = i; j < std::min(edges.size(), i + kBatch); ++j) {
        const uint64_t position = j + 1;  // distinct, increasing like event ids
        batch.push_back({graph::kFollows, edges[j].first, edges[j].second,
                         graph::EdgeState::kNormal, position, position});
      }
      absl::StatusOr<std::vector<graph::EdgeChange>> applied = store.Apply(batch);
      if (!applied.ok()) Die("apply", applied.status());
    }
  };
  std::thread other(write, 1, 2);
  write(0, 2);
  other.join();
  return static_cast<double>(NowNs() - start) / 1e9;
}

// Runs op(user, others) `ops` times, one at a time, each on a random user and
// `others` random users (of ids 1..users), and reports p50_us, p99_us, cpu_us_per_op and
// other_cores_used. Warms up first with a quarter as many: the first reads after a
// load or a reopen open table files and fill the block cache, which is not the steady
// state being measured.
template <typename Op>
void MeasureLatency(benchmark::State& state, uint64_t users, int ops, size_t others, Op op) {
  std::mt19937_64 rng(42);
  UserId user = 0;
  std::vector<UserId> picked(others);
  auto pick = [&] {
    user = 1 + rng() % users;
    for (UserId& other : picked) other = 1 + rng() % users;
  };
  for (int i = 0; i < ops / 4; ++i) {
    pick();
    op(user, absl::Span<const UserId>(picked));
  }
  Histogram h;
  const Cost cost;
  for (auto _ : state) {
    for (int i = 0; i < ops; ++i) {
      pick();
      const int64_t start = NowNs();
      op(user, absl::Span<const UserId>(picked));
      h.Record(static_cast<uint64_t>(NowNs() - start));
    }
  }
  state.counters["p50_us"] = static_cast<double>(h.ValueAtPercentile(50)) / 1e3;
  state.counters["p99_us"] = static_cast<double>(h.ValueAtPercentile(99)) / 1e3;
  cost.Report(state, static_cast<double>(ops) * static_cast<double>(state.iterations()), "op");
  state.SetItemsProcessed(ops);
}

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_BENCH_BENCH_GRAPH_H_
