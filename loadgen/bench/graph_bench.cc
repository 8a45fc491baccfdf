// Benchmarks of the graph store in process (issue 6), on a generated graph of more than
// 10M edges: the Zipf follow graph of 200k users (mean 50 followees), plus lists made
// for the set-algebra and iteration figures:
//   kCelebrity   followed by 1M users (ids from kExtraBase)
//   kFanOfTenth  followed by 100k of them (every 10th), so its intersection with
//                kCelebrity has 100k members
//   kHalfA/kHalfB followed by 100k users each, half of them shared
// The figures:
//   BM_Load            edges/s written with GraphStore::Apply in batches of 1000 from
//                      two threads (the store alone, without the log and pipeline)
//   BM_BytesPerEdge    SST bytes per edge after a full compaction (both directions, the
//                      element index and the counts)
//   BM_Contains/BM_Count  p50/p99 of single inclusion tests and counts at random users
//   BM_Iterate1M       edges/s paging through kCelebrity's 1M followers (pages of 5000)
//   BM_Intersect/...   a full paged intersection: 1M x 100k, and 100k x 100k
// The store lives under $ROOST_BENCH_DIR (default /var/tmp) and is removed at exit.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "graph/graph_store.h"
#include "loadgen/bench/bench_clock.h"
#include "loadgen/histogram.h"
#include "loadgen/social_graph.h"

namespace roost::loadgen {
namespace {

constexpr uint64_t kUsers = 200'000;
constexpr double kMeanFollowees = 50;
constexpr UserId kCelebrity = kUsers + 1;
constexpr UserId kFanOfTenth = kUsers + 2;
constexpr UserId kHalfA = kUsers + 3;
constexpr UserId kHalfB = kUsers + 4;
constexpr UserId kExtraBase = 10'000'000;  // the made-up followers' ids start here
constexpr uint64_t kCelebrityFollowers = 1'000'000;
constexpr uint64_t kHundredK = 100'000;
constexpr size_t kBatch = 1000;

[[noreturn]] void Die(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), status.ToString().c_str());
  std::abort();
}

std::string StorePath() {
  static const std::string path = [] {
    const char* root = std::getenv("ROOST_BENCH_DIR");
    return std::string(root != nullptr ? root : "/var/tmp") + "/roost-graph-bench-" +
           std::to_string(getpid());
  }();
  return path;
}

std::unique_ptr<graph::GraphStore> OpenStore() {
  absl::StatusOr<std::unique_ptr<graph::GraphStore>> store =
      graph::GraphStore::Open(StorePath(), {});
  if (!store.ok()) Die("open graph store", store.status());
  return *std::move(store);
}

// Every edge of the benchmark graph, in the order it is written: (source, destination).
std::vector<std::pair<UserId, UserId>> AllEdges() {
  std::vector<std::pair<UserId, UserId>> edges;
  absl::StatusOr<SocialGraph> social = SocialGraph::Create({kUsers, kMeanFollowees, 1.0, 1});
  if (!social.ok()) Die("social graph", social.status());
  social->ForEachFollow(1, kUsers + 1, [&](UserId a, UserId b) { edges.emplace_back(a, b); });
  for (uint64_t i = 0; i < kCelebrityFollowers; ++i) {
    edges.emplace_back(kExtraBase + i, kCelebrity);
    if (i % 10 == 0) edges.emplace_back(kExtraBase + i, kFanOfTenth);
  }
  for (uint64_t i = 0; i < kHundredK; ++i) {
    edges.emplace_back(kExtraBase + i, kHalfA);
    edges.emplace_back(kExtraBase + kHundredK / 2 + i, kHalfB);
  }
  return edges;
}

struct Loaded {
  std::unique_ptr<graph::GraphStore> store;
  uint64_t edges = 0;
  double load_seconds = 0;
};

// Loads the graph once per process (two writer threads, batches of kBatch).
Loaded& Graph() {
  static Loaded* loaded = [] {
    auto* l = new Loaded;
    std::filesystem::remove_all(StorePath());
    std::atexit([] { std::filesystem::remove_all(StorePath()); });
    l->store = OpenStore();
    const std::vector<std::pair<UserId, UserId>> edges = AllEdges();
    l->edges = edges.size();
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
        absl::StatusOr<std::vector<graph::EdgeChange>> applied = l->store->Apply(batch);
        if (!applied.ok()) Die("apply", applied.status());
      }
    };
    std::thread other(write, 1, 2);
    write(0, 2);
    other.join();
    l->load_seconds = static_cast<double>(NowNs() - start) / 1e9;
    return l;
  }();
  return *loaded;
}

void BM_Load(benchmark::State& state) {
  Loaded& g = Graph();
  for (auto _ : state) state.SetIterationTime(g.load_seconds);
  state.counters["edges"] = static_cast<double>(g.edges);
  state.counters["edges_per_s"] = static_cast<double>(g.edges) / g.load_seconds;
}
BENCHMARK(BM_Load)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

void BM_BytesPerEdge(benchmark::State& state) {
  Loaded& g = Graph();
  for (auto _ : state) {
    // Through the store, so the compacted files keep its table options (bloom filters).
    if (absl::Status s = g.store->Compact(); !s.ok()) Die("compact", s);
    uint64_t bytes = 0;
    for (const auto& entry : std::filesystem::directory_iterator(StorePath())) {
      if (entry.path().extension() == ".sst") bytes += entry.file_size();
    }
    state.counters["sst_bytes"] = static_cast<double>(bytes);
    state.counters["bytes_per_edge"] = static_cast<double>(bytes) / static_cast<double>(g.edges);
  }
}
BENCHMARK(BM_BytesPerEdge)->Iterations(1)->Unit(benchmark::kSecond);

// Runs `op` kOps times on random users and reports its latency percentiles.
template <typename Op>
void Latency(benchmark::State& state, Op op) {
  constexpr int kOps = 200'000;
  Graph();
  std::mt19937_64 rng(42);
  Histogram h;
  // Warm up first: the first lookups after the load or a reopen open table files and
  // fill the block cache, which is not the steady state being measured.
  for (int i = 0; i < kOps / 4; ++i) op(1 + rng() % kUsers, 1 + rng() % kUsers);
  for (auto _ : state) {
    for (int i = 0; i < kOps; ++i) {
      const UserId a = 1 + rng() % kUsers, b = 1 + rng() % kUsers;
      const int64_t start = NowNs();
      op(a, b);
      h.Record(static_cast<uint64_t>(NowNs() - start));
    }
  }
  state.counters["p50_us"] = static_cast<double>(h.ValueAtPercentile(50)) / 1e3;
  state.counters["p99_us"] = static_cast<double>(h.ValueAtPercentile(99)) / 1e3;
  state.SetItemsProcessed(kOps);
}

void BM_Contains(benchmark::State& state) {
  graph::GraphStore* store = Graph().store.get();
  Latency(state, [store](UserId a, UserId b) {
    const UserId one[] = {b};
    benchmark::DoNotOptimize(store->Contains(graph::kFollows, a, one));
  });
}
BENCHMARK(BM_Contains)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_Count(benchmark::State& state) {
  graph::GraphStore* store = Graph().store.get();
  Latency(state, [store](UserId a, UserId) {
    benchmark::DoNotOptimize(
        store->Count(graph::kFollows, a, graph::Direction::kBackward, graph::kNormalOnly));
  });
}
BENCHMARK(BM_Count)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_Iterate1M(benchmark::State& state) {
  graph::GraphStore* store = Graph().store.get();
  uint64_t edges = 0;
  for (auto _ : state) {
    int64_t cursor = 0;
    do {
      absl::StatusOr<graph::Page> page = store->Select(
          graph::kFollows, kCelebrity, graph::Direction::kBackward, graph::kNormalOnly, cursor,
          5000);
      if (!page.ok()) Die("select", page.status());
      edges += page->ids.size();
      cursor = page->next_cursor;
    } while (cursor != 0);
  }
  state.counters["edges_per_s"] = benchmark::Counter(static_cast<double>(edges),
                                                     benchmark::Counter::kIsRate);
  state.counters["edges"] = static_cast<double>(edges) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Iterate1M)->Iterations(3)->Unit(benchmark::kMillisecond);

void BM_Intersect(benchmark::State& state) {
  graph::GraphStore* store = Graph().store.get();
  const UserId first = static_cast<UserId>(state.range(0));
  const UserId second = static_cast<UserId>(state.range(1));
  const graph::QueryTerm terms[] = {{graph::kFollows, first, graph::Direction::kBackward},
                                    {graph::kFollows, second, graph::Direction::kBackward}};
  uint64_t results = 0;
  for (auto _ : state) {
    results = 0;
    int64_t cursor = 0;
    do {
      absl::StatusOr<graph::Page> page =
          store->Query(graph::SetOp::kIntersect, terms, cursor, 5000);
      if (!page.ok()) Die("query", page.status());
      results += page->ids.size();
      cursor = page->next_cursor;
    } while (cursor != 0);
  }
  state.counters["results"] = static_cast<double>(results);
}
BENCHMARK(BM_Intersect)
    ->ArgNames({"first", "second"})
    ->Args({kCelebrity, kFanOfTenth})  // 1M x 100k
    ->Args({kHalfA, kHalfB})           // 100k x 100k
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace roost::loadgen

BENCHMARK_MAIN();
