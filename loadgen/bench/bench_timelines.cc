#include "loadgen/bench/bench_timelines.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "graph/graph_store.h"
#include "loadgen/bench/bench_clock.h"
#include "loadgen/bench/bench_env.h"
#include "loadgen/bench/bench_graph.h"
#include "loadgen/bench/bench_roost.h"

namespace roost::loadgen {
namespace {

namespace fs = std::filesystem;

constexpr double kMeanFollowees = 20;

std::string BenchRoot() {
  const char* root = std::getenv("ROOST_BENCH_DIR");
  return root != nullptr ? root : "/var/tmp";
}

// The graph store with Social()'s follows, loaded once and kept.
const std::string& CachedGraph() {
  static const std::string* path = [] {
    auto* dir = new std::string(absl::StrCat(BenchRoot(), "/roost-timeline-graph-", Users()));
    const std::string stamp = *dir + "/LOADED";
    if (fs::exists(stamp)) return dir;
    fs::remove_all(*dir);
    EdgeList edges;
    Social().ForEachFollow(1, Users() + 1, [&](UserId a, UserId b) { edges.emplace_back(a, b); });
    std::fprintf(stderr, "loading %zu edges into %s (kept for later runs)\n", edges.size(),
                 dir->c_str());
    {
      absl::StatusOr<std::unique_ptr<graph::GraphStore>> store =
          graph::GraphStore::Open(*dir, graph::GraphStoreOptions{});
      if (!store.ok()) Die("open graph", store.status());
      const double seconds = LoadEdges(**store, edges);
      std::fprintf(stderr, "loaded in %.1f s\n", seconds);
    }
    std::ofstream(stamp) << edges.size() << "\n";
    return dir;
  }();
  return *path;
}

}  // namespace

uint64_t Users() { return Scaled(1'000'000); }

const SocialGraph& Social() {
  static const SocialGraph* graph = [] {
    absl::StatusOr<SocialGraph> g = SocialGraph::Create({Users(), kMeanFollowees, 1.0, 7});
    if (!g.ok()) Die("social graph", g.status());
    return new SocialGraph(*std::move(g));
  }();
  return *graph;
}

// A data dir of its own holding a copy of the cached graph: table files are never
// changed once written, so they are hard-linked; the rest is copied.
std::string FreshDataDir(const std::string& name) {
  const std::string dir = BenchPath(name);
  fs::remove_all(dir);
  fs::create_directories(dir + "/graph");
  for (const fs::directory_entry& file : fs::directory_iterator(CachedGraph())) {
    const fs::path to = fs::path(dir) / "graph" / file.path().filename();
    if (file.path().extension() == ".sst") {
      fs::create_hard_link(file.path(), to);
    } else if (file.path().filename() != "LOADED" && file.path().filename() != "LOCK") {
      fs::copy_file(file.path(), to);
    }
  }
  return dir;
}

// Reads every user's home timeline once, so each is materialized, from two threads.
void MaterializeAll(services::Roost& roost) {
  const int64_t start = NowNs();
  std::atomic<UserId> next{1};
  auto work = [&] {
    for (UserId user = next++; user <= Users(); user = next++) {
      absl::StatusOr<services::TimelineResult> read =
          roost.HomeTimeline(services::TimelineQuery{user, 0, 0, 1});
      if (!read.ok()) Die("home timeline", read.status());
    }
  };
  std::thread other(work);
  work();
  other.join();
  std::fprintf(stderr, "materialized %llu timelines in %.1f s\n",
               static_cast<unsigned long long>(Users()),
               static_cast<double>(NowNs() - start) / 1e9);
}

int64_t Counter(const services::Roost& roost, const std::string& name) {
  const std::map<std::string, int64_t> counters = roost.Counters();
  auto it = counters.find(name);
  return it == counters.end() ? 0 : it->second;
}

// The user whose follower count is closest to `target`.
std::pair<UserId, uint64_t> AuthorWithFollowers(services::Roost& roost, uint64_t target) {
  std::pair<UserId, uint64_t> best{0, 0};
  uint64_t best_distance = UINT64_MAX;
  // Follower counts fall with the id (Zipf rank), so a scan stops once past the target.
  for (UserId user = 1; user <= Users(); ++user) {
    absl::StatusOr<uint64_t> n =
        roost.Count(graph::kFollows, user, graph::Direction::kBackward, graph::kNormalOnly);
    if (!n.ok()) Die("count", n.status());
    const uint64_t distance = *n > target ? *n - target : target - *n;
    if (distance < best_distance) best = {user, *n}, best_distance = distance;
    if (*n < target / 2 && user > 100) break;
  }
  return best;
}

// 10k users with a full first page of 20.
std::vector<UserId> FullPageReaders(services::Roost& roost) {
  std::vector<UserId> readers;
  std::mt19937_64 rng(41);
  while (readers.size() < 10'000) {
    const UserId user = 1 + rng() % Users();
    absl::StatusOr<services::TimelineResult> page =
        roost.HomeTimeline(services::TimelineQuery{user, 0, 0, 20});
    if (!page.ok()) Die("home", page.status());
    if (page->ids.size() == 20) readers.push_back(user);
  }
  return readers;
}

Live::Live(uint64_t read_threshold)
    : dir(FreshDataDir(read_threshold == 0 ? "roost-timeline-push" : "roost-timeline-hybrid")) {
  services::RoostOptions options = BenchOptions(dir, log::SyncPolicy::kAlways);
  options.pipeline.fanout_read_threshold = read_threshold;
  options.timelines.memory_limit_bytes = 0;
  roost = OpenRoost(options);
  MaterializeAll(*roost);
  std::mt19937_64 rng(31);
  std::uniform_real_distribution<double> uniform(0, 1);
  InFlight in_flight;
  const uint64_t uniform_posts = Scaled(200'000), popular_posts = Scaled(2'000);
  for (uint64_t i = 0; i < uniform_posts + popular_posts; ++i) {
    const UserId author =
        i < uniform_posts ? 1 + rng() % Users() : Social().UserByPopularity(uniform(rng));
    in_flight.Acquire();
    roost->Post(services::PostArgs{author, "a tweet of about forty characters, typical"},
                [&](absl::StatusOr<services::PostResult> r) { in_flight.Release(r.status()); });
  }
  in_flight.Finish();
  WaitApplied(*roost);
}

Live::~Live() {
  roost->Shutdown();
  roost.reset();
  fs::remove_all(dir);
}

}  // namespace roost::loadgen
