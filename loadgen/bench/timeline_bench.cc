// Benchmarks of home timelines and fanout, on a Zipf follow graph of 1M users
// (mean 20 followees, ~20M edges; counts scale with $ROOST_BENCH_SCALE):
//  - BM_BytesPerEntry: 10k users' home timelines filled to 800 entries each, with
//    Snowflake ids and authors as their followees would produce them (each followee
//    posting 10 tweets a day, ids of node 1 with a small sequence): heap bytes per entry
//    the process gained (mallinfo2), beside redis-server's used_memory per entry for the
//    same entries as Mastodon keeps them (ZADD h:<user> id id), in the same run.
//  - BM_Fanout/<posters>: posts through the engine (log -> tweet store -> fanout ->
//    timeline shards) with every user's timeline materialized: deliveries (timeline
//    inserts) per second from the first post until the last is applied. Posters are
//    uniform over users (0) or chosen by popularity (1: in proportion to followers, so
//    the celebrities post most and each post reaches many). Then the same deliveries, up
//    to 20M, as pipelined ZADDs on one connection to a redis-server started here.
//  - BM_PostToVisible/<followers>: one post at a time (log synced, as roostd's default)
//    by an author with about 100, 10k or the most followers, on the live engine with
//    every timeline materialized: the time from the post call until it is in every
//    follower's timeline (the pipeline has applied it), p50/p99.
//  - BM_LagWhileCelebrityPosts/hybrid:H: while the most followed user (~590k) posts
//    twice a second, the lag of a 100-follower author's posts until a follower's home
//    read shows them; every tweet pushed (H=0) or hybrid (H=1).
//  - BM_HomeRead: a home timeline page of 20 hydrated tweets, in process, p50/p99, for
//    users with at least 20 entries.
//  - BM_GrpcHomeRead: the same page through Timelines.Home on the real server in this
//    process, one call at a time, alternating with Admin.Ping (the empty RPC) as the
//    baseline of the same run.
//  - BM_RebuildOnMiss: the first read of a user who follows 1,000 authors and has no
//    timeline in memory (a k-way merge of their recent tweets from the tweet store).
// The last three share an engine: every timeline materialized, then 200k posts by
// uniform posters and 2k by popularity; every tweet pushed, or (BM_HomeRead/hybrid:1)
// with roostd's default hybrid fanout, where the authors with over 100k followers are
// pulled into their followers' pages at read time.
// The graph is loaded once into $ROOST_BENCH_DIR/roost-timeline-graph-<users> (straight
// into the graph store, in batches) and kept for later runs: remove it to reload. Each
// benchmark starts from a copy (table files hard-linked).
#include <grpcpp/grpcpp.h>
#include <malloc.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "benchmark/benchmark.h"
#include "graph/graph_store.h"
#include "loadgen/bench/bench_clock.h"
#include "loadgen/bench/bench_env.h"
#include "loadgen/bench/bench_roost.h"
#include "loadgen/bench/bench_timelines.h"
#include "loadgen/histogram.h"
#include "loadgen/redis_connection.h"
#include "loadgen/redis_target.h"
#include "roost/v1/roost.grpc.pb.h"
#include "services/server.h"
#include "timelines/home_timelines.h"

namespace roost::loadgen {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::roost::v1;

// Sends ZADD h:<user> id id for each pair on one connection, pipelined in batches of
// 1000, as Mastodon adds to home feeds.
void PipelinedZadds(int port, absl::Span<const std::pair<UserId, TweetId>> zadds) {
  absl::StatusOr<std::unique_ptr<RedisConnection>> c = RedisConnection::Connect(port);
  if (!c.ok()) Die("redis", c.status());
  const auto read = [&] {
    if (absl::Status s = (*c)->Read().status(); !s.ok()) Die("redis", s);
  };
  for (const auto& [user, id] : zadds) {
    const std::string member = absl::StrCat(id);
    (*c)->Append({"ZADD", absl::StrCat("h:", user), member, member});
    if ((*c)->pending() == 1000) read();
  }
  read();
}

std::unique_ptr<RedisServer> StartRedis(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start(dir, "");
  if (!redis.ok()) Die("redis-server", redis.status());
  return *std::move(redis);
}

uint64_t HeapInUse() { return mallinfo2().uordblks; }

// Answers rebuilds with nothing: BM_BytesPerEntry fills timelines itself.
class NoSource : public timelines::TimelineSource {
 public:
  absl::StatusOr<std::vector<UserId>> Followees(UserId) override { return std::vector<UserId>{}; }
  absl::StatusOr<bool> Follows(UserId, UserId) override { return false; }
  absl::StatusOr<std::vector<UserId>> HiddenAuthors(UserId) override {
    return std::vector<UserId>{};
  }
  absl::StatusOr<bool> IsHidden(UserId, UserId) override { return false; }
  absl::StatusOr<std::vector<timelines::Entry>> RecentTweets(UserId, TweetId, size_t) override {
    return std::vector<timelines::Entry>{};
  }
};

void BM_BytesPerEntry(benchmark::State& state) {
  constexpr size_t kEntries = 800;
  constexpr uint32_t kNode = 1;
  const uint64_t users = Scaled(10'000);
  // The entries, made first so that only the timelines count in the heap's growth.
  std::vector<std::pair<UserId, std::vector<timelines::Entry>>> timelines_entries;
  std::mt19937_64 rng(11);
  const uint64_t start_ms = 220'000'000'000;  // ~7 years after the Snowflake epoch
  for (UserId user = 1; user <= users; ++user) {
    const std::vector<UserId> followees = Social().Followees(user);
    if (followees.empty()) continue;
    // Each followee posts 10 tweets a day: the timeline receives one every
    // 8.64M / (10 * followees) ms on average.
    std::exponential_distribution<double> gap(10.0 * static_cast<double>(followees.size()) /
                                              86'400'000.0);
    std::vector<timelines::Entry> entries;
    double ms = static_cast<double>(start_ms);
    for (size_t i = 0; i < kEntries; ++i) {
      ms += gap(rng);
      const TweetId id =
          (static_cast<uint64_t>(ms) << 22) | (kNode << 12) | static_cast<uint64_t>(rng() % 5);
      if (!entries.empty() && id <= entries.back().id) continue;
      entries.push_back({id, followees[rng() % followees.size()], 0});
    }
    timelines_entries.emplace_back(user, std::move(entries));
  }
  size_t total = 0;
  for (const auto& [user, entries] : timelines_entries) total += entries.size();

  for (auto _ : state) {
    NoSource source;
    const uint64_t heap_before = HeapInUse();
    auto timelines = std::make_unique<timelines::HomeTimelines>(
        timelines::HomeTimelinesOptions{16, kEntries, 0}, &source);
    for (const auto& [user, entries] : timelines_entries) {
      if (!timelines->Read(user, 0, 0, 1).ok()) Die("read", absl::InternalError(""));
      for (const timelines::Entry& entry : entries) timelines->Insert(user, entry);
    }
    const uint64_t heap_after = HeapInUse();
    if (timelines->entry_count() != total) Die("entries", absl::InternalError("count differs"));
    const double roost = static_cast<double>(heap_after - heap_before) / static_cast<double>(total);

    const std::string redis_dir = BenchPath("roost-bytes-redis");
    fs::create_directories(redis_dir);
    std::unique_ptr<RedisServer> redis = StartRedis(redis_dir);
    absl::StatusOr<uint64_t> redis_before = redis->UsedMemory();
    {
      std::vector<std::pair<UserId, TweetId>> zadds;
      zadds.reserve(total);
      for (const auto& [user, entries] : timelines_entries) {
        for (const timelines::Entry& entry : entries) zadds.emplace_back(user, entry.id);
      }
      PipelinedZadds(redis->port(), zadds);
    }
    absl::StatusOr<uint64_t> redis_after = redis->UsedMemory();
    if (!redis_before.ok() || !redis_after.ok()) Die("redis memory", redis_after.status());
    const double per_redis =
        static_cast<double>(*redis_after - *redis_before) / static_cast<double>(total);
    redis.reset();
    fs::remove_all(redis_dir);

    state.counters["entries"] = static_cast<double>(total);
    state.counters["bytes_per_entry"] = roost;
    state.counters["accounted_bytes_per_entry"] =
        static_cast<double>(timelines->memory_bytes()) / static_cast<double>(total);
    state.counters["redis_bytes_per_entry"] = per_redis;
    state.counters["redis_over_roost"] = per_redis / roost;
  }
}
BENCHMARK(BM_BytesPerEntry)->Iterations(1)->Unit(benchmark::kSecond);

void BM_Fanout(benchmark::State& state) {
  const bool by_popularity = state.range(0) == 1;
  const uint64_t posts = by_popularity ? Scaled(2'000) : Scaled(200'000);
  state.SetLabel(by_popularity ? "posters by popularity" : "uniform posters");
  for (auto _ : state) {
    const std::string dir = FreshDataDir("roost-fanout-bench");
    services::RoostOptions options = BenchOptions(dir, log::SyncPolicy::kNone);
    options.timelines.memory_limit_bytes = 0;
    options.pipeline.fanout_read_threshold = 0;  // every tweet pushed: fanout's capacity
    std::unique_ptr<services::Roost> roost = OpenRoost(options);
    MaterializeAll(*roost);

    std::mt19937_64 rng(by_popularity ? 21 : 22);
    std::uniform_real_distribution<double> uniform(0, 1);
    std::vector<std::pair<UserId, TweetId>> written(posts);
    const int64_t deliveries_before = Counter(*roost, "pipeline.fanout.deliveries");
    const int64_t start = NowNs();
    const Cost cost;
    InFlight in_flight;
    for (uint64_t i = 0; i < posts; ++i) {
      const UserId author =
          by_popularity ? Social().UserByPopularity(uniform(rng)) : 1 + rng() % Users();
      in_flight.Acquire();
      roost->Post(services::PostArgs{author, "a tweet of about forty characters, typical"},
                  [&, i, author](absl::StatusOr<services::PostResult> r) {
                    if (r.ok()) written[i] = {author, r->tweet_id};
                    in_flight.Release(r.status());
                  });
    }
    in_flight.Finish();
    WaitApplied(*roost);
    const double seconds = static_cast<double>(NowNs() - start) / 1e9;
    const auto deliveries =
        static_cast<double>(Counter(*roost, "pipeline.fanout.deliveries") - deliveries_before);
    state.SetIterationTime(seconds);
    state.counters["posts"] = static_cast<double>(posts);
    state.counters["deliveries"] = deliveries;
    state.counters["deliveries_per_s"] = deliveries / seconds;
    cost.Report(state, deliveries, "delivery");
    roost->Shutdown();
    roost.reset();

    // The same deliveries, up to 20M, as pipelined ZADDs.
    absl::StatusOr<std::unique_ptr<graph::GraphStore>> graph =
        graph::GraphStore::Open(dir + "/graph", graph::GraphStoreOptions{});
    if (!graph.ok()) Die("open graph", graph.status());
    const uint64_t redis_cap = Scaled(20'000'000);
    std::vector<std::pair<UserId, TweetId>> zadds;
    for (const auto& [author, id] : written) {
      absl::StatusOr<std::vector<UserId>> followers = (*graph)->SelectAll(
          graph::kFollows, author, graph::Direction::kBackward, graph::kNormalOnly);
      if (!followers.ok()) Die("followers", followers.status());
      zadds.emplace_back(author, id);
      for (UserId f : *followers) zadds.emplace_back(f, id);
      if (zadds.size() >= redis_cap) break;
    }
    graph->reset();
    std::unique_ptr<RedisServer> redis = StartRedis(dir);
    const int64_t redis_start = NowNs();
    PipelinedZadds(redis->port(), zadds);
    const double redis_rate =
        static_cast<double>(zadds.size()) / (static_cast<double>(NowNs() - redis_start) / 1e9);
    state.counters["redis_zadds"] = static_cast<double>(zadds.size());
    state.counters["redis_zadd_per_s"] = redis_rate;
    state.counters["roost_over_redis"] = deliveries / seconds / redis_rate;
    redis.reset();
    fs::remove_all(dir);
  }
}
BENCHMARK(BM_Fanout)->ArgName("popular")->Arg(0)->Arg(1)->Iterations(1)->UseManualTime()->Unit(
    benchmark::kSecond);

// Pushing every tweet (`hybrid` false), or with roostd's default hybrid fanout. Each is
// made on first use and removed at exit.
Live& SharedLive(bool hybrid) {
  if (hybrid) {
    static Live live(ingest::PipelineOptions{}.fanout_read_threshold);
    return live;
  }
  static Live live(0);
  return live;
}

void BM_PostToVisible(benchmark::State& state) {
  Live& live = SharedLive(/*hybrid=*/false);
  const auto [author, followers] = AuthorWithFollowers(*live.roost, state.range(0));
  state.SetLabel(absl::StrCat("author ", author, " with ", followers, " followers"));
  const int posts = 200;
  Histogram lag;
  for (auto _ : state) {
    for (int i = 0; i < posts; ++i) {
      absl::Notification visible;
      const int64_t start = NowNs();
      int64_t done_ns = 0;
      live.roost->Post(services::PostArgs{author, "lag probe"},
                       [&](absl::StatusOr<services::PostResult> r) {
                         if (!r.ok()) Die("post", r.status());
                         live.roost->WhenApplied(r->position, absl::Now() + absl::Minutes(1),
                                                 [&](absl::Status s) {
                                                   if (!s.ok()) Die("applied", s);
                                                   done_ns = NowNs();
                                                   visible.Notify();
                                                 });
                       });
      visible.WaitForNotification();
      lag.Record(static_cast<uint64_t>(done_ns - start));
    }
  }
  state.counters["followers"] = static_cast<double>(followers);
  state.counters["p50_ms"] = static_cast<double>(lag.ValueAtPercentile(50)) / 1e6;
  state.counters["p99_ms"] = static_cast<double>(lag.ValueAtPercentile(99)) / 1e6;
}
BENCHMARK(BM_PostToVisible)
    ->ArgName("followers")
    ->Arg(100)
    ->Arg(10'000)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// While the most followed user posts twice a second, a user with about 100 followers
// posts every 20 ms: the time from each of those posts until one of its followers' home
// reads shows it (polled), p50/p99. Pushed (hybrid:0), each celebrity tweet is ~590k
// inserts, queued at the timeline writers ahead of what comes after it; with hybrid
// fanout (hybrid:1) it is none.
void BM_LagWhileCelebrityPosts(benchmark::State& state) {
  const bool hybrid = state.range(0) == 1;
  state.SetLabel(hybrid ? "hybrid fanout" : "every tweet pushed");
  Live& live = SharedLive(hybrid);
  services::Roost& roost = *live.roost;
  const auto [author, followers] = AuthorWithFollowers(roost, 100);
  absl::StatusOr<graph::Page> fans =
      roost.Select(graph::kFollows, author, graph::Direction::kBackward, graph::kNormalOnly, 0, 1);
  if (!fans.ok() || fans->ids.empty()) Die("follower", fans.status());
  const UserId reader = fans->ids[0];
  std::atomic<bool> stop{false};
  std::atomic<int> celebrity_posts{0};
  std::thread celebrity([&] {
    while (!stop.load()) {
      roost.Post(services::PostArgs{1, "celebrity"}, [&](absl::StatusOr<services::PostResult> r) {
        if (r.ok()) ++celebrity_posts;
      });
      absl::SleepFor(absl::Milliseconds(500));
    }
  });
  Histogram lag;
  for (auto _ : state) {
    for (int i = 0; i < 250; ++i) {
      absl::SleepFor(absl::Milliseconds(20));
      absl::Notification acked;
      TweetId id = 0;
      const int64_t start = NowNs();
      roost.Post(services::PostArgs{author, "small"}, [&](absl::StatusOr<services::PostResult> r) {
        if (!r.ok()) Die("post", r.status());
        id = r->tweet_id;
        acked.Notify();
      });
      acked.WaitForNotification();
      for (const int64_t deadline = start + 30'000'000'000;;) {
        absl::StatusOr<services::TimelineResult> page =
            roost.HomeTimeline(services::TimelineQuery{reader, 0, id - 1, 1});
        if (!page.ok()) Die("home", page.status());
        if (!page->ids.empty() && page->ids.back() == id) break;
        if (NowNs() > deadline) Die("lag", absl::DeadlineExceededError("never visible"));
      }
      lag.Record(static_cast<uint64_t>(NowNs() - start));
    }
  }
  stop = true;
  celebrity.join();
  WaitApplied(roost);
  state.counters["small_author_followers"] = static_cast<double>(followers);
  state.counters["celebrity_posts"] = celebrity_posts.load();
  state.counters["p50_ms"] = static_cast<double>(lag.ValueAtPercentile(50)) / 1e6;
  state.counters["p99_ms"] = static_cast<double>(lag.ValueAtPercentile(99)) / 1e6;
}
BENCHMARK(BM_LagWhileCelebrityPosts)
    ->ArgName("hybrid")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_HomeRead(benchmark::State& state) {
  const bool hybrid = state.range(0) == 1;
  state.SetLabel(hybrid ? "hybrid fanout" : "every tweet pushed");
  Live& live = SharedLive(hybrid);
  const std::vector<UserId> readers = FullPageReaders(*live.roost);
  std::mt19937_64 rng(42);
  const auto read = [&](UserId user) {
    absl::StatusOr<services::TimelineResult> page =
        live.roost->HomeTimeline(services::TimelineQuery{user, 0, 0, 20, /*hydrate=*/true});
    if (!page.ok() || page->tweets.size() != 20) Die("home", page.status());
  };
  for (UserId user : readers) read(user);  // warm the block cache
  Histogram h;
  const Cost cost;
  for (auto _ : state) {
    for (int i = 0; i < 50'000; ++i) {
      const UserId user = readers[rng() % readers.size()];
      const int64_t start = NowNs();
      read(user);
      h.Record(static_cast<uint64_t>(NowNs() - start));
    }
  }
  state.counters["p50_us"] = static_cast<double>(h.ValueAtPercentile(50)) / 1e3;
  state.counters["p99_us"] = static_cast<double>(h.ValueAtPercentile(99)) / 1e3;
  cost.Report(state, 50'000, "read");
}
BENCHMARK(BM_HomeRead)
    ->ArgName("hybrid")
    ->Arg(0)
    ->Arg(1)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_RebuildOnMiss(benchmark::State& state) {
  Live& live = SharedLive(/*hybrid=*/false);
  constexpr int kReaders = 20;
  constexpr int kFollowees = 1000;
  std::mt19937_64 rng(51);
  // New users above every graph id, each following 1,000 random users.
  InFlight in_flight;
  const UserId first = Users() + 1'000'000;
  for (UserId user = first; user < first + kReaders; ++user) {
    for (int i = 0; i < kFollowees; ++i) {
      in_flight.Acquire();
      live.roost->SetEdge(graph::kFollows, user, 1 + rng() % Users(), graph::EdgeState::kNormal,
                          [&](absl::StatusOr<LogOffset> r) { in_flight.Release(r.status()); });
    }
  }
  in_flight.Finish();
  WaitApplied(*live.roost);
  Histogram h;
  size_t entries = 0;
  for (auto _ : state) {
    for (UserId user = first; user < first + kReaders; ++user) {
      const int64_t start = NowNs();
      absl::StatusOr<services::TimelineResult> page =
          live.roost->HomeTimeline(services::TimelineQuery{user, 0, 0, 20, /*hydrate=*/true});
      h.Record(static_cast<uint64_t>(NowNs() - start));
      if (!page.ok() || !page->rebuilt) Die("rebuild", page.status());
      entries += page->ids.size();
    }
  }
  state.counters["p50_ms"] = static_cast<double>(h.ValueAtPercentile(50)) / 1e6;
  state.counters["max_ms"] = static_cast<double>(h.ValueAtPercentile(100)) / 1e6;
  state.counters["page_entries"] = static_cast<double>(entries) / kReaders;
}
BENCHMARK(BM_RebuildOnMiss)->Iterations(1)->Unit(benchmark::kMillisecond);

// The same page over gRPC: the real server (services/server.h) on 127.0.0.1:0 in this
// process, serving the push-all engine; one client, one call at a time (latency without
// load). Admin.Ping, the empty RPC, in the same run is the baseline. Last: stopping the
// server drains the engine for good.
void BM_GrpcHomeRead(benchmark::State& state) {
  Live& live = SharedLive(/*hybrid=*/false);
  const std::vector<UserId> readers = FullPageReaders(*live.roost);
  absl::StatusOr<std::unique_ptr<services::Server>> server =
      services::Server::Start(live.roost.get(), "127.0.0.1:0");
  if (!server.ok()) Die("start server", server.status());
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*server)->port()), grpc::InsecureChannelCredentials());
  std::unique_ptr<v1::Timelines::Stub> timelines = v1::Timelines::NewStub(channel);
  std::unique_ptr<v1::Admin::Stub> admin = v1::Admin::NewStub(channel);
  const auto home = [&](UserId user) {
    v1::HomeRequest request;
    request.set_user_id(user);
    request.set_limit(20);
    request.set_hydrate(true);
    v1::TimelinePage page;
    grpc::ClientContext context;
    const grpc::Status status = timelines->Home(&context, request, &page);
    if (!status.ok() || page.tweets_size() != 20) {
      Die("grpc home", absl::InternalError(status.error_message()));
    }
  };
  const auto ping = [&](UserId) {
    v1::PingResponse response;
    grpc::ClientContext context;
    if (!admin->Ping(&context, v1::PingRequest{}, &response).ok()) {
      Die("ping", absl::InternalError("failed"));
    }
  };
  std::mt19937_64 rng(43);
  Histogram h[2];
  for (int i = 0; i < 2000; ++i) home(readers[rng() % readers.size()]);  // warm up
  for (auto _ : state) {
    // Alternating, so that both see the same machine.
    for (int i = 0; i < 40'000; ++i) {
      const UserId user = readers[rng() % readers.size()];
      const int64_t start = NowNs();
      if (i % 2 == 0) {
        home(user);
      } else {
        ping(user);
      }
      h[i % 2].Record(static_cast<uint64_t>(NowNs() - start));
    }
  }
  state.counters["home_p50_us"] = static_cast<double>(h[0].ValueAtPercentile(50)) / 1e3;
  state.counters["home_p99_us"] = static_cast<double>(h[0].ValueAtPercentile(99)) / 1e3;
  state.counters["ping_p50_us"] = static_cast<double>(h[1].ValueAtPercentile(50)) / 1e3;
  state.counters["home_over_ping_p50"] = static_cast<double>(h[0].ValueAtPercentile(50)) /
                                         static_cast<double>(h[1].ValueAtPercentile(50));
  (*server)->Shutdown(absl::Now() + absl::Seconds(1));
}
BENCHMARK(BM_GrpcHomeRead)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace roost::loadgen

BENCHMARK_MAIN();
