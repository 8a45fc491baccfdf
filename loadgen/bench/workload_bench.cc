// Micro-benchmarks of the workload model: how fast the synthetic graph is generated
// (the goal is at least 1M edges/s) and how cheap a histogram record is.
#include <random>

#include "benchmark/benchmark.h"
#include "loadgen/histogram.h"
#include "loadgen/social_graph.h"

namespace roost::loadgen {
namespace {

void BM_GenerateFollowEdges(benchmark::State& state) {
  SocialGraphSpec spec;
  spec.users = static_cast<uint64_t>(state.range(0));
  spec.mean_followees = 50;
  const SocialGraph graph = *SocialGraph::Create(spec);
  UserId next = 1;
  int64_t edges = 0;
  for (auto _ : state) {
    graph.ForEachFollow(next, next + 100, [&edges](UserId, UserId) { ++edges; });
    next = next + 100 > spec.users ? 1 : next + 100;
  }
  state.counters["edges/s"] =
      benchmark::Counter(static_cast<double>(edges), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GenerateFollowEdges)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMicrosecond);

void BM_HistogramRecord(benchmark::State& state) {
  Histogram h;
  std::mt19937_64 rng(1);
  uint64_t v = 0;
  for (auto _ : state) {
    h.Record((v = v * 6364136223846793005ull + 1442695040888963407ull) >> 40);
  }
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(BM_HistogramRecord);

}  // namespace
}  // namespace roost::loadgen

BENCHMARK_MAIN();
