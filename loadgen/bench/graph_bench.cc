// Benchmarks of the graph store in process, on the generated graph of more
// than 10M edges described in bench_graph.h. The figures:
//   BM_Load            edges/s written with GraphStore::Apply in batches of 1000 from
//                      two threads (the store alone, without the log and pipeline)
//   BM_BytesPerEdge    SST bytes per edge after a full compaction (both directions, the
//                      element index and the counts)
//   BM_Contains/BM_Count  p50/p99 of single inclusion tests and counts at random users
//                      (graph_grpc_bench measures the same over gRPC)
//   BM_Iterate1M/cache:0|1  edges/s paging through kCelebrity's 1M followers (pages
//                      of 5000), from RocksDB, then from the follower cache (the store is
//                      reopened with it; the first read, which loads it, is not timed)
//   BM_Intersect/...   a full paged intersection: 1M x 100k, and 100k x 100k
// The store lives under $ROOST_BENCH_DIR (default /var/tmp) and is removed at exit.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "graph/graph_store.h"
#include "loadgen/bench/bench_env.h"
#include "loadgen/bench/bench_graph.h"

namespace roost::loadgen {
namespace {

const std::string& StorePath() {
  static const std::string path = BenchPath("roost-graph-bench");
  return path;
}

// Without the follower cache unless asked: the other figures measure the store.
std::unique_ptr<graph::GraphStore> OpenStore(bool follower_cache = false) {
  graph::GraphStoreOptions options;
  if (!follower_cache) options.follower_cache_bytes = 0;
  absl::StatusOr<std::unique_ptr<graph::GraphStore>> store =
      graph::GraphStore::Open(StorePath(), options);
  if (!store.ok()) Die("open graph store", store.status());
  return *std::move(store);
}

struct Loaded {
  std::unique_ptr<graph::GraphStore> store;
  uint64_t edges = 0;
  double load_seconds = 0;
};

// Loads the graph once per process.
Loaded& Graph() {
  static Loaded* loaded = [] {
    auto* l = new Loaded;
    std::filesystem::remove_all(StorePath());
    std::atexit([] { std::filesystem::remove_all(StorePath()); });
    l->store = OpenStore();
    const EdgeList edges = BenchGraphEdges();
    l->edges = edges.size();
    l->load_seconds = LoadEdges(*l->store, edges);
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

constexpr int kLatencyOps = 200'000;

void BM_Contains(benchmark::State& state) {
  graph::GraphStore* store = Graph().store.get();
  MeasureLatency(state, BenchUsers(), kLatencyOps, 1,
                 [store](UserId user, absl::Span<const UserId> others) {
                   benchmark::DoNotOptimize(store->Contains(graph::kFollows, user, others));
                 });
}
BENCHMARK(BM_Contains)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_Count(benchmark::State& state) {
  graph::GraphStore* store = Graph().store.get();
  MeasureLatency(
      state, BenchUsers(), kLatencyOps, 0, [store](UserId user, absl::Span<const UserId>) {
        benchmark::DoNotOptimize(
            store->Count(graph::kFollows, user, graph::Direction::kBackward, graph::kNormalOnly));
      });
}
BENCHMARK(BM_Count)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_Iterate1M(benchmark::State& state) {
  Loaded& g = Graph();
  const bool cache = state.range(0) != 0;
  if (cache != (g.store->FollowerCacheStats().lists != 0)) {
    g.store.reset();  // one handle per directory
    g.store = OpenStore(cache);
    if (cache && !g.store
                      ->SelectAll(graph::kFollows, kCelebrity, graph::Direction::kBackward,
                                  graph::kNormalOnly)
                      .ok()) {
      Die("load the follower cache", absl::InternalError("SelectAll failed"));
    }
  }
  graph::GraphStore* store = g.store.get();
  uint64_t edges = 0;
  for (auto _ : state) {
    int64_t cursor = 0;
    do {
      absl::StatusOr<graph::Page> page =
          store->Select(graph::kFollows, kCelebrity, graph::Direction::kBackward,
                        graph::kNormalOnly, cursor, 5000);
      if (!page.ok()) Die("select", page.status());
      edges += page->ids.size();
      cursor = page->next_cursor;
    } while (cursor != 0);
  }
  state.counters["edges_per_s"] =
      benchmark::Counter(static_cast<double>(edges), benchmark::Counter::kIsRate);
  state.counters["edges"] = static_cast<double>(edges) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_Iterate1M)
    ->ArgName("cache")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

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
