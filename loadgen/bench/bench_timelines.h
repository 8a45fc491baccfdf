// What the home-timeline benchmarks (timeline_bench, timeline_refill_bench) share: the
// Zipf follow graph of 1M users they run on (mean 20 followees, ~20M edges; counts
// scale with $ROOST_BENCH_SCALE), loaded once into $ROOST_BENCH_DIR and copied for
// each engine, and the engine the latency benchmarks read: every timeline
// materialized, then 200k posts by uniform posters and 2k by popularity.
#ifndef ROOST_LOADGEN_BENCH_BENCH_TIMELINES_H_
#define ROOST_LOADGEN_BENCH_BENCH_TIMELINES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "loadgen/social_graph.h"
#include "services/roost.h"

namespace roost::loadgen {

// Users in the graph: ids 1..Users(), follower counts falling with the id (Zipf rank).
uint64_t Users();
const SocialGraph& Social();

// A data dir of its own named `name` under $ROOST_BENCH_DIR (default /var/tmp) holding
// a copy of the graph, which is loaded straight into a graph store the first time and
// kept in roost-timeline-graph-<users> for later runs (remove it to reload): table
// files are hard-linked, the rest copied.
std::string FreshDataDir(const std::string& name);

// Reads every user's home timeline once, so each is materialized, from two threads.
void MaterializeAll(services::Roost& roost);

// A counter or gauge of the engine's; 0 when missing.
int64_t Counter(const services::Roost& roost, const std::string& name);

// The user whose follower count is closest to `target`, and that count.
std::pair<UserId, uint64_t> AuthorWithFollowers(services::Roost& roost, uint64_t target);

// 10k users with a full first page of 20.
std::vector<UserId> FullPageReaders(services::Roost& roost);

// The engine the latency benchmarks share: every timeline materialized, then 200k
// posts by uniform posters and 2k by popularity; every tweet pushed (read_threshold
// 0), or hybrid fanout above `read_threshold` followers. Removed when destroyed.
struct Live {
  explicit Live(uint64_t read_threshold);
  ~Live();
  const std::string dir;
  std::unique_ptr<services::Roost> roost;
};

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_BENCH_BENCH_TIMELINES_H_
