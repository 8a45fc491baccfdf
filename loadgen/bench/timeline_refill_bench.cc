// Benchmarks of home timelines under the cap (timelines/home_timelines.h): what hiding
// and removing cost, and the refill that keeps a timeline at the newest 800 tweets its
// user's home shows. On bench_timelines.h's 1M-user graph:
//  - BM_MuteRefillUnmute: 100 new readers follow the 500 most followed users, so their
//    timelines are full; each in turn reads its whole timeline (4 pages of 200), mutes
//    the author holding the most of it, reads it whole again (the read that refills it
//    from the stores), unmutes, and reads it whole once more. p50/p99 of each step: the
//    mute's and unmute's time until applied, beside a small author's post until applied
//    in the same loop (the engine's floor for a write), and the whole reads before the
//    mute (no refill), after it (refill) and after the unmute.
//  - BM_MillionFollowerAuthor: an author followed by every one of the 1M users, whose
//    timelines are all in memory, posts 20 tweets (pushed), then deletes 10 of them
//    while a 100-follower author posts every 20 ms: the delete's time until applied
//    (1M retractions), beside a post of the same author (1M deliveries), and the small
//    author's posts' lag until applied while the deletes run. Then 100 users mute it:
//    each mute's time until applied, and the whole read after it.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "benchmark/benchmark.h"
#include "loadgen/bench/bench_clock.h"
#include "loadgen/bench/bench_env.h"
#include "loadgen/bench/bench_roost.h"
#include "loadgen/bench/bench_timelines.h"
#include "loadgen/histogram.h"
#include "services/validation.h"

namespace roost::loadgen {
namespace {

namespace fs = std::filesystem;

// Runs `write` (which starts one write and hands its `done` the write's position) and
// returns the ns from the call until the position is applied.
template <typename Write>
int64_t TimeUntilApplied(services::Roost& roost, Write write) {
  absl::Notification applied;
  int64_t done_ns = 0;
  const int64_t start = NowNs();
  write([&](absl::StatusOr<LogOffset> position) {
    if (!position.ok()) Die("write", position.status());
    roost.WhenApplied(*position, absl::Now() + absl::Minutes(5), [&](absl::Status s) {
      if (!s.ok()) Die("applied", s);
      done_ns = NowNs();
      applied.Notify();
    });
  });
  applied.WaitForNotification();
  return done_ns - start;
}

int64_t PostUntilApplied(services::Roost& roost, UserId author) {
  return TimeUntilApplied(roost, [&](auto done) {
    roost.Post(services::PostArgs{author, "a tweet"},
               [done = std::move(done)](absl::StatusOr<services::PostResult> r) mutable {
                 done(r.ok() ? absl::StatusOr<LogOffset>(r->position) : r.status());
               });
  });
}

int64_t EdgeUntilApplied(services::Roost& roost, graph::GraphId g, UserId source,
                         UserId destination, graph::EdgeState state) {
  return TimeUntilApplied(
      roost, [&](auto done) { roost.SetEdge(g, source, destination, state, std::move(done)); });
}

// Reads the whole home timeline, 200 a page; the entries it held, and the ns it took.
std::pair<std::vector<timelines::Entry>, int64_t> ReadWhole(services::Roost& roost, UserId user) {
  std::vector<timelines::Entry> entries;
  const int64_t start = NowNs();
  TweetId max_id = 0;
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<services::TimelineResult> read =
        roost.HomeTimeline(services::TimelineQuery{user, max_id, 0, 200});
    if (!read.ok()) Die("home", read.status());
    for (TweetId id : read->ids) entries.push_back({id, 0, 0});
    if (read->next_max_id == 0) break;
    max_id = read->next_max_id;
  }
  return {std::move(entries), NowNs() - start};
}

void Report(benchmark::State& state, const std::string& name, const Histogram& h, double unit) {
  state.counters[name + "_p50"] = static_cast<double>(h.ValueAtPercentile(50)) / unit;
  state.counters[name + "_p99"] = static_cast<double>(h.ValueAtPercentile(99)) / unit;
}

// The author of the most of `user`'s home timeline's tweets.
UserId TopAuthor(services::Roost& roost, const std::vector<timelines::Entry>& entries) {
  std::vector<TweetId> ids;
  for (const timelines::Entry& e : entries) ids.push_back(e.id);
  std::map<UserId, int> by_author;
  for (size_t i = 0; i < ids.size(); i += services::kMaxGetIds) {
    const std::vector<TweetId> chunk(ids.begin() + i,
                                     ids.begin() + std::min(ids.size(), i + services::kMaxGetIds));
    absl::StatusOr<std::vector<tweetstore::Tweet>> tweets = roost.GetTweets(chunk);
    if (!tweets.ok()) Die("get", tweets.status());
    for (const tweetstore::Tweet& t : *tweets) ++by_author[t.author];
  }
  return std::max_element(by_author.begin(), by_author.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

void BM_MuteRefillUnmute(benchmark::State& state) {
  Live live(/*read_threshold=*/0);
  services::Roost& roost = *live.roost;
  constexpr int kReaders = 100;
  // The 500 most followed users post about half of the tweets chosen by popularity,
  // enough to fill a timeline; the most followed holds about a seventh of it.
  constexpr UserId kFollowees = 500;
  const UserId first = Users() + 2'000'000;
  InFlight in_flight;
  for (UserId reader = first; reader < first + kReaders; ++reader) {
    for (UserId followee = 1; followee <= kFollowees; ++followee) {
      in_flight.Acquire();
      roost.SetEdge(graph::kFollows, reader, followee, graph::EdgeState::kNormal,
                    [&](absl::StatusOr<LogOffset> r) { in_flight.Release(r.status()); });
    }
  }
  in_flight.Finish();
  WaitApplied(roost);
  const auto [small_author, small_followers] = AuthorWithFollowers(roost, 100);
  Histogram mute, unmute, post, before, after_mute, after_unmute;
  size_t entries = 0, entries_after_mute = 0;
  const int64_t refills_before = Counter(roost, "timelines.refilled");
  for (auto _ : state) {
    for (UserId reader = first; reader < first + kReaders; ++reader) {
      const auto [held, rebuild_ns] = ReadWhole(roost, reader);  // rebuilt: not measured
      entries += held.size();
      const UserId top = TopAuthor(roost, held);
      before.Record(static_cast<uint64_t>(ReadWhole(roost, reader).second));
      post.Record(static_cast<uint64_t>(PostUntilApplied(roost, small_author)));
      mute.Record(static_cast<uint64_t>(
          EdgeUntilApplied(roost, graph::kMutes, reader, top, graph::EdgeState::kNormal)));
      const auto [left, refill_ns] = ReadWhole(roost, reader);
      after_mute.Record(static_cast<uint64_t>(refill_ns));
      entries_after_mute += left.size();
      unmute.Record(static_cast<uint64_t>(
          EdgeUntilApplied(roost, graph::kMutes, reader, top, graph::EdgeState::kRemoved)));
      after_unmute.Record(static_cast<uint64_t>(ReadWhole(roost, reader).second));
    }
  }
  Report(state, "mute_applied_ms", mute, 1e6);
  Report(state, "unmute_applied_ms", unmute, 1e6);
  Report(state, "post_applied_ms", post, 1e6);
  Report(state, "read_whole_before_us", before, 1e3);
  Report(state, "read_whole_after_mute_us", after_mute, 1e3);
  Report(state, "read_whole_after_unmute_us", after_unmute, 1e3);
  state.counters["entries_per_reader"] = static_cast<double>(entries) / kReaders;
  state.counters["entries_after_mute"] = static_cast<double>(entries_after_mute) / kReaders;
  state.counters["refills"] =
      static_cast<double>(Counter(roost, "timelines.refilled") - refills_before);
}
BENCHMARK(BM_MuteRefillUnmute)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_MillionFollowerAuthor(benchmark::State& state) {
  const std::string dir = FreshDataDir("roost-million-follower");
  services::RoostOptions options = BenchOptions(dir, log::SyncPolicy::kAlways);
  options.pipeline.fanout_read_threshold = 0;  // pushed, so a delete retracts from all
  options.timelines.memory_limit_bytes = 0;
  std::unique_ptr<services::Roost> roost = OpenRoost(options);
  MaterializeAll(*roost);
  const UserId star = Users() + 1;
  {
    const int64_t start = NowNs();
    InFlight in_flight;
    for (UserId user = 1; user <= Users(); ++user) {
      in_flight.Acquire();
      roost->SetEdge(graph::kFollows, user, star, graph::EdgeState::kNormal,
                     [&](absl::StatusOr<LogOffset> r) { in_flight.Release(r.status()); });
    }
    in_flight.Finish();
    WaitApplied(*roost);
    std::fprintf(stderr, "%llu follows of the star applied in %.1f s\n",
                 static_cast<unsigned long long>(Users()),
                 static_cast<double>(NowNs() - start) / 1e9);
  }
  const UserId small_author = AuthorWithFollowers(*roost, 100).first;
  Histogram post, del, small_lag, mute, read_after_mute;
  for (auto _ : state) {
    std::vector<TweetId> posted;
    for (int i = 0; i < 20; ++i) {
      absl::Notification done;
      const int64_t start = NowNs();
      int64_t applied_ns = 0;
      roost->Post(
          services::PostArgs{star, "to everyone"}, [&](absl::StatusOr<services::PostResult> r) {
            if (!r.ok()) Die("post", r.status());
            posted.push_back(r->tweet_id);
            roost->WhenApplied(r->position, absl::Now() + absl::Minutes(5), [&](absl::Status s) {
              if (!s.ok()) Die("applied", s);
              applied_ns = NowNs();
              done.Notify();
            });
          });
      done.WaitForNotification();
      post.Record(static_cast<uint64_t>(applied_ns - start));
    }
    // The small author posts every 20 ms while the deletes run.
    std::atomic<bool> stop{false};
    std::thread small([&] {
      while (!stop.load()) {
        small_lag.Record(static_cast<uint64_t>(PostUntilApplied(*roost, small_author)));
        absl::SleepFor(absl::Milliseconds(20));
      }
    });
    for (int i = 0; i < 10; ++i) {
      del.Record(static_cast<uint64_t>(TimeUntilApplied(*roost, [&](auto done) {
        roost->Delete(star, posted[static_cast<size_t>(2 * i)], absl::InfiniteFuture(),
                      std::move(done));
      })));
    }
    stop = true;
    small.join();
    for (UserId reader = 1; reader <= 100; ++reader) {
      mute.Record(static_cast<uint64_t>(
          EdgeUntilApplied(*roost, graph::kMutes, reader, star, graph::EdgeState::kNormal)));
      read_after_mute.Record(static_cast<uint64_t>(ReadWhole(*roost, reader).second));
    }
  }
  Report(state, "post_applied_ms", post, 1e6);
  Report(state, "delete_applied_ms", del, 1e6);
  Report(state, "small_post_lag_during_deletes_ms", small_lag, 1e6);
  Report(state, "mute_applied_ms", mute, 1e6);
  Report(state, "read_whole_after_mute_us", read_after_mute, 1e3);
  state.counters["star_followers"] = static_cast<double>(Users());
  roost->Shutdown();
  roost.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_MillionFollowerAuthor)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace roost::loadgen

BENCHMARK_MAIN();
