// Convergence, as a property over many seeds: a random interleaving of posts, deletes,
// follows, unfollows, blocks, unblocks, mutes and unmutes among a few dozen users (so
// that writes to the same users and pairs collide all the time), and now and then a
// mass change (archive, unarchive, remove-all of a user's edges in one graph), goes
// through a real log, real RocksDB stores and the real pipeline. Once it is applied,
// every home timeline (read as the server reads it), every graph list and count, and
// every tweet must agree exactly with TimelineModel built from the same events
// (tests/pipeline/timeline_model.h): every home timeline is the newest 800 tweets its
// user's home shows, however much the cap, deletes, unfollows, blocks and mutes took
// out of it before.
//
// A few hundred fans besides follow a few star users, so that a star has hundreds of
// edges and a mass change of them runs as a background job of several slices, with
// writes to the star's pairs (fans following, unfollowing, following again after a
// remove-all) arriving while it is pending.
//
// Half of the users, and some fans, read their home timeline early in the stream, so
// their timelines are then kept by the pipeline's fanout inserts, follow merges and
// unfollow, block, delete and mass removals, racing the writes; they are checked at a
// few quiescent checkpoints during the stream and at the end. The other half, and
// other fans, are read only at the end, by the rebuild on a miss.
//
// Seeds: ROOST_CONVERGENCE_SEEDS (default 20) seeds from ROOST_CONVERGENCE_FIRST_SEED
// (default 1); a failure names its seed, user, and expected vs got.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/ids.h"
#include "gtest/gtest.h"
#include "ingest/pipeline.h"
#include "ingest/pipeline_timeline_source.h"
#include "roost/v1/events.pb.h"
#include "tests/log/log_test_util.h"
#include "tests/pipeline/timeline_model.h"

namespace roost::ingest {
namespace {

namespace v1 = ::roost::v1;
namespace events = ::roost::v1::events;
using ::roost::testing::HomeVerdict;
using ::roost::testing::ModelGraph;
using ::roost::testing::ModelState;
using ::roost::testing::TimelineModel;

// The cap production uses (timelines/home_timelines.h), so the test covers it as is.
const size_t kCap = timelines::HomeTimelinesOptions{}.max_entries;
// The server's page size limit for reads (services/validation.h).
constexpr size_t kMaxPage = 200;

// ---------------------------------------------------------------------------
// The workload

struct Workload {
  std::vector<UserId> users;
  std::vector<UserId> fans;           // who only follow and unfollow the stars
  std::vector<events::Event> events;  // in log order
  int mass_changes = 0;
};

// Weights of the operations. The seed picks the weight of posts, so that some seeds
// keep most timelines within the cap and others push many far past it.
struct Mix {
  int post, del, follow, unfollow, block, unblock, mute, unmute;
};

// Generates events as the server builds them (services/roost.cc): Snowflake event ids
// from a clock that advances a few milliseconds at a time, given in the same critical
// section as the append, so the log is in id order; a post's tweet id is its event id;
// a delete names an undeleted tweet of its author and comes after the post; and no
// follow of a user who blocks the follower (the server refuses those before the log).
Workload Generate(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&rng](uint64_t n) { return rng() % n; };
  auto chance = [&rng](double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; };

  Workload w;
  const int user_count = 30 + static_cast<int>(uniform(21));
  for (int i = 0; i < user_count; ++i) w.users.push_back(1000 + 17 * i);
  const int event_count = 10000 + static_cast<int>(uniform(2001));
  const Mix mix{8 + static_cast<int>(uniform(43)), 6, 22, 8, 4, 3, 5, 3};
  const int fan_count = 250 + static_cast<int>(uniform(151));
  for (int i = 0; i < fan_count; ++i) w.fans.push_back(100000 + 3 * i);

  // Activity is skewed: a few users post (and are followed) far more than the rest,
  // and a few follow, block and mute far more than the rest, so that some timelines
  // stay within the cap and others go far past it.
  std::vector<double> weights;
  const double skew = 0.3 + 0.1 * static_cast<double>(uniform(10));
  for (int i = 0; i < user_count; ++i) weights.push_back(1.0 / std::pow(i + 1.0, skew));
  std::vector<UserId> by_posting = w.users, by_following = w.users;
  std::shuffle(by_posting.begin(), by_posting.end(), rng);
  std::shuffle(by_following.begin(), by_following.end(), rng);
  std::discrete_distribution<int> skewed(weights.begin(), weights.end());
  auto active_user = [&] { return by_following[skewed(rng)]; };
  auto uniform_user = [&] { return w.users[uniform(w.users.size())]; };
  auto popular_user = [&] { return by_posting[skewed(rng)]; };
  auto other_than = [&](UserId u, UserId v) {
    return v != u ? v
                  : w.users[(std::find(w.users.begin(), w.users.end(), v) - w.users.begin() + 1) %
                            w.users.size()];
  };
  // The stars are the most followed posters. Early on, fans follow them in a shuffled
  // sweep of every (fan, star) pair, so that each star soon has a few hundred followers.
  const std::vector<UserId> stars(by_posting.begin(),
                                  by_posting.begin() + 2 + static_cast<int>(uniform(2)));
  std::vector<std::pair<UserId, UserId>> fan_sweep;
  for (UserId fan : w.fans) {
    for (UserId star : stars) fan_sweep.push_back({fan, star});
  }
  std::shuffle(fan_sweep.begin(), fan_sweep.end(), rng);

  // Generation-order state, only to pick meaningful operations (unfollow a followee,
  // delete an undeleted tweet); the expected state comes from TimelineModel. `gen`
  // is one, fed as the events are made, to leave out the follows the server refuses.
  TimelineModel gen(timelines::HomeTimelinesOptions{}.max_entries);
  std::set<std::pair<UserId, UserId>> follows, blocks, mutes;
  auto pairs_of = [&](v1::GraphKind graph) -> std::set<std::pair<UserId, UserId>>& {
    return graph == v1::FOLLOWS ? follows : graph == v1::BLOCKS ? blocks : mutes;
  };
  // What each archive took out of the pairs above, by (graph, user), for unarchive.
  std::map<std::pair<v1::GraphKind, UserId>, std::vector<std::pair<UserId, UserId>>> archived;
  std::map<UserId, std::vector<TweetId>> live;  // by author
  auto pick_from = [&](const std::set<std::pair<UserId, UserId>>& set)
      -> std::optional<std::pair<UserId, UserId>> {
    // Sometimes a random pair instead, often a no-op (removing what is not there).
    if (set.empty() || chance(0.2)) return std::nullopt;
    auto it = set.begin();
    std::advance(it, uniform(set.size()));
    return *it;
  };

  ManualClock clock(1700000000000 + static_cast<int64_t>(seed) * 86400000);
  SnowflakeGenerator ids(static_cast<uint32_t>(seed % 1024), &clock);
  const int total = mix.post + mix.del + mix.follow + mix.unfollow + mix.block + mix.unblock +
                    mix.mute + mix.unmute;
  // Adds `event` to the stream, and to `gen`; false (and nothing added) for a follow
  // the server would refuse.
  const auto add = [&](events::Event event) {
    if (event.has_edge_changed()) {
      const events::EdgeChanged& e = event.edge_changed();
      if (!gen.SetEdge(static_cast<ModelGraph>(e.graph()), e.source_id(), e.destination_id(),
                       e.state() == v1::NORMAL, event.event_id())) {
        return false;
      }
    } else if (event.has_edges_mass_changed()) {
      const events::EdgesMassChanged& m = event.edges_mass_changed();
      std::vector<ModelState> from;
      for (int state : m.from_states()) from.push_back(static_cast<ModelState>(state));
      gen.MassChange(static_cast<ModelGraph>(m.graph()), m.user_id(), from,
                     static_cast<ModelState>(m.to_state()), event.event_id());
    }
    w.events.push_back(std::move(event));
    return true;
  };
  while (static_cast<int>(w.events.size()) < event_count) {
    clock.Advance(static_cast<int64_t>(uniform(4)));  // 0: the same millisecond
    events::Event event;
    event.set_event_id(ids.Next());
    int roll = static_cast<int>(uniform(total));
    auto edge = [&](v1::GraphKind graph, UserId source, UserId destination, bool normal) {
      events::EdgeChanged* e = event.mutable_edge_changed();
      e->set_graph(graph);
      e->set_source_id(source);
      e->set_destination_id(destination);
      e->set_state(normal ? v1::NORMAL : v1::REMOVED);
    };
    // Fans follow the stars mostly in the first quarter of the stream (the sweep);
    // later ones follow again what a remove-all or an unfollow ended, or unfollow.
    const bool early = w.events.size() < static_cast<size_t>(event_count / 4);
    if (chance(early ? 0.3 : 0.04)) {
      UserId fan = w.fans[uniform(w.fans.size())];
      UserId star = stars[uniform(stars.size())];
      if (early && !fan_sweep.empty()) {
        fan = fan_sweep.back().first;
        star = fan_sweep.back().second;
        fan_sweep.pop_back();
      }
      const bool follow = early || chance(0.8);
      edge(v1::FOLLOWS, fan, star, follow);
      if (!add(std::move(event))) continue;
      if (follow) {
        follows.insert({fan, star});
      } else {
        follows.erase({fan, star});
      }
      continue;
    }
    // About 30 mass changes a stream: most of follows, half of those a star's.
    if (chance(0.003)) {
      events::EdgesMassChanged* mass = event.mutable_edges_mass_changed();
      if (!archived.empty() && chance(0.5)) {  // unarchive what an archive took
        auto it = archived.begin();
        std::advance(it, uniform(archived.size()));
        mass->set_graph(it->first.first);
        mass->set_user_id(it->first.second);
        mass->add_from_states(v1::ARCHIVED);
        mass->set_to_state(v1::NORMAL);
        for (const auto& pair : it->second) pairs_of(it->first.first).insert(pair);
        archived.erase(it);
      } else {
        const int graph_roll = static_cast<int>(uniform(10));
        const v1::GraphKind graph = graph_roll < 7   ? v1::FOLLOWS
                                    : graph_roll < 9 ? v1::MUTES
                                                     : v1::BLOCKS;
        const UserId user = graph == v1::FOLLOWS && chance(0.5) ? stars[uniform(stars.size())]
                            : chance(0.5)                       ? active_user()
                                                                : popular_user();
        mass->set_graph(graph);
        mass->set_user_id(user);
        std::set<std::pair<UserId, UserId>>& pairs = pairs_of(graph);
        std::vector<std::pair<UserId, UserId>> taken;
        for (auto it = pairs.begin(); it != pairs.end();) {
          if (it->first == user || it->second == user) {
            taken.push_back(*it);
            it = pairs.erase(it);
          } else {
            ++it;
          }
        }
        if (chance(0.65)) {
          mass->add_from_states(v1::NORMAL);
          mass->set_to_state(v1::ARCHIVED);
          std::vector<std::pair<UserId, UserId>>& was = archived[{graph, user}];
          was.insert(was.end(), taken.begin(), taken.end());
        } else {
          for (v1::EdgeState from : {v1::NORMAL, v1::ARCHIVED, v1::NEGATIVE}) {
            mass->add_from_states(from);
          }
          mass->set_to_state(v1::REMOVED);
          archived.erase({graph, user});
        }
      }
      ++w.mass_changes;
      add(std::move(event));
      continue;
    }
    auto choose_pair = [&](const std::set<std::pair<UserId, UserId>>& set, bool popular_target) {
      if (auto pair = pick_from(set)) return *pair;
      const UserId source = active_user();
      return std::make_pair(source,
                            other_than(source, popular_target ? popular_user() : uniform_user()));
    };

    if ((roll -= mix.post) < 0) {
      const UserId author = popular_user();
      events::TweetPosted* post = event.mutable_tweet_posted();
      post->set_tweet_id(event.event_id());
      post->set_author_id(author);
      post->set_text(absl::StrCat("tweet ", event.event_id(), " by ", author));
      post->set_created_at_ms(SnowflakeTimeMs(event.event_id()));
      live[author].push_back(event.event_id());
    } else if ((roll -= mix.del) < 0) {
      const UserId author = popular_user();
      std::vector<TweetId>& tweets = live[author];
      if (tweets.empty()) continue;
      // Mostly recent tweets, sometimes any.
      const size_t recent = std::min<size_t>(tweets.size(), 30);
      const size_t index =
          chance(0.7) ? tweets.size() - 1 - uniform(recent) : uniform(tweets.size());
      const TweetId id = tweets[index];
      tweets.erase(tweets.begin() + static_cast<std::ptrdiff_t>(index));
      event.mutable_tweet_deleted()->set_tweet_id(id);
      event.mutable_tweet_deleted()->set_author_id(author);
    } else if ((roll -= mix.follow) < 0) {
      const UserId source = active_user();
      const UserId destination = other_than(source, popular_user());
      edge(v1::FOLLOWS, source, destination, true);
      if (!gen.Accepts(ModelGraph::kFollows, source, destination, true)) continue;
      follows.insert({source, destination});
    } else if ((roll -= mix.unfollow) < 0) {
      const auto [source, destination] = choose_pair(follows, true);
      edge(v1::FOLLOWS, source, destination, false);
      follows.erase({source, destination});
    } else if ((roll -= mix.block) < 0) {
      const UserId source = active_user();
      const UserId destination = other_than(source, uniform_user());
      edge(v1::BLOCKS, source, destination, true);
      blocks.insert({source, destination});
      follows.erase({source, destination});
      follows.erase({destination, source});
    } else if ((roll -= mix.unblock) < 0) {
      const auto [source, destination] = choose_pair(blocks, false);
      edge(v1::BLOCKS, source, destination, false);
      blocks.erase({source, destination});
    } else if ((roll -= mix.mute) < 0) {
      const UserId source = active_user();
      const UserId destination = other_than(source, popular_user());
      edge(v1::MUTES, source, destination, true);
      mutes.insert({source, destination});
    } else {
      const auto [source, destination] = choose_pair(mutes, true);
      edge(v1::MUTES, source, destination, false);
      mutes.erase({source, destination});
    }
    add(std::move(event));
  }
  return w;
}

// ---------------------------------------------------------------------------
// The test

// The stores' TimelineSource, made to race. On the reader thread (rebuilds and refills
// on read) each list read lets the pipeline apply up to kLagEvents more of the log
// before it returns, so writes (removals above all) land while a timeline is rebuilt
// or refilled from a read that is by then stale: the race HomeTimelines guards against
// (home_timelines.h) made common rather than rare. Reads on the pipeline's threads (a
// show's merge) pass straight through, as waiting there for the pipeline would only
// stall it.
class RacingSource : public timelines::TimelineSource {
 public:
  static constexpr LogOffset kLagEvents = 8;

  RacingSource(timelines::TimelineSource* stores, const log::Log* log)
      : stores_(stores), log_(log) {}
  // Reads on `reader` race `pipeline` from now on.
  void Race(std::thread::id reader, const Pipeline* pipeline) {
    reader_.store(reader);
    pipeline_.store(pipeline);
  }

  absl::StatusOr<std::vector<UserId>> Followees(UserId user) override {
    return Racing(stores_->Followees(user));
  }
  absl::StatusOr<bool> Follows(UserId user, UserId author) override {
    return stores_->Follows(user, author);
  }
  absl::StatusOr<std::vector<UserId>> HiddenAuthors(UserId user) override {
    return Racing(stores_->HiddenAuthors(user));
  }
  absl::StatusOr<bool> IsHidden(UserId user, UserId author) override {
    return stores_->IsHidden(user, author);
  }
  absl::StatusOr<std::vector<timelines::Entry>> RecentTweets(UserId author, TweetId before,
                                                             size_t limit) override {
    return Racing(stores_->RecentTweets(author, before, limit));
  }

 private:
  // Answers `read`, made stale first by LetThePipelineMoveOn.
  template <typename T>
  T Racing(T read) {
    LetThePipelineMoveOn();
    return read;
  }
  void LetThePipelineMoveOn() {
    const Pipeline* pipeline = pipeline_.load();
    if (pipeline == nullptr || std::this_thread::get_id() != reader_.load()) return;
    const LogOffset target =
        std::min(pipeline->applied_offset() + kLagEvents, log_->durable_offset());
    // Bounded: the pipeline may be slow to get there, and that is no error.
    pipeline->WaitForApplied(target, absl::Now() + absl::Milliseconds(20));
  }

  timelines::TimelineSource* const stores_;
  const log::Log* const log_;
  std::atomic<std::thread::id> reader_;
  std::atomic<const Pipeline*> pipeline_{nullptr};
};

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : fallback;
}

// Each seed's events run twice: with every tweet pushed, and with hybrid fanout (users
// with more than 30 followers, the stars and a few of the busiest users, pulled at read
// time from their first tweet past that on). Both must agree with the model, and so
// with each other wherever the cap cannot have acted.
struct Run {
  uint64_t seed = 0;
  bool hybrid = false;
};
constexpr uint64_t kHybridReadThreshold = 30;

std::vector<Run> Runs() {
  std::vector<Run> runs;
  const int first = EnvInt("ROOST_CONVERGENCE_FIRST_SEED", 1);
  const int count = EnvInt("ROOST_CONVERGENCE_SEEDS", 20);
  for (int i = 0; i < count; ++i) {
    for (bool hybrid : {false, true}) runs.push_back({static_cast<uint64_t>(first + i), hybrid});
  }
  return runs;
}

class ConvergenceTest : public ::testing::TestWithParam<Run> {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "convergence_test_", GetParam().seed,
                        GetParam().hybrid ? "h_" : "p_", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    log_ = log::testing::OpenUnsyncedLog(dir_ + "/log");
    tweets_ = *tweetstore::TweetStore::Open(dir_ + "/tweets", {});
    graph_ = *graph::GraphStore::Open(dir_ + "/graph", {});
    source_ = std::make_unique<StoreTimelineSource>(graph_.get(), tweets_.get());
    racing_source_ = std::make_unique<RacingSource>(source_.get(), log_.get());
    timelines_ = std::make_unique<timelines::HomeTimelines>(timelines::HomeTimelinesOptions{},
                                                            racing_source_.get());
    PipelineOptions options;
    options.fanout_read_threshold = GetParam().hybrid ? kHybridReadThreshold : 0;
    auto pipeline = Pipeline::Start(
        {log_.get(), tweets_.get(), graph_.get(), timelines_.get(), nullptr}, options);
    ASSERT_TRUE(pipeline.ok()) << pipeline.status();
    pipeline_ = *std::move(pipeline);
    reader_ = std::thread([this] { ReaderLoop(); });
    racing_source_->Race(reader_.get_id(), pipeline_.get());
  }
  void TearDown() override {
    {
      absl::MutexLock lock(&reads_mu_);
      stop_reader_ = true;
    }
    if (reader_.joinable()) reader_.join();
    pipeline_.reset();
    timelines_.reset();
    racing_source_.reset();
    source_.reset();
    graph_.reset();
    tweets_.reset();
    log_.reset();
    std::filesystem::remove_all(dir_);
  }

  struct HomeRead {
    std::vector<TweetId> ids;
    bool rebuilt = false;
  };

  // Every page of the user's home timeline, read as the server reads it
  // (Roost::HomeTimeline): pages of `limit` follow each other by max_id, a short page
  // is the end.
  absl::StatusOr<HomeRead> ReadHome(UserId user, size_t limit) {
    HomeRead read;
    TweetId max_id = 0;
    for (size_t page = 0; page <= kCap / limit + 1; ++page) {
      absl::StatusOr<timelines::ReadResult> result =
          timelines_->Read(user, max_id, /*since_id=*/0, limit);
      if (!result.ok()) return result.status();
      if (page == 0) read.rebuilt = result->rebuilt;
      for (const timelines::Entry& entry : result->entries) read.ids.push_back(entry.id);
      if (result->entries.size() < limit) return read;
      max_id = result->entries.back().id;
    }
    return absl::InternalError(absl::StrCat("user ", user, ": more pages than the cap allows"));
  }

  // Reads on the reader thread race both the pipeline and the appends; their results
  // are not judged (they are of no defined moment), only that they succeed.
  void QueueRead(UserId user) {
    absl::MutexLock lock(&reads_mu_);
    queued_reads_.push_back(user);
  }
  // Waits until every queued read is done; the first one that failed, if any.
  absl::Status FinishReads() {
    absl::MutexLock lock(&reads_mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(reads_mu_) { return queued_reads_.empty(); };
    if (!reads_mu_.AwaitWithDeadline(absl::Condition(&idle), absl::Now() + absl::Seconds(60))) {
      return absl::DeadlineExceededError("queued home timeline reads did not finish in 60 s");
    }
    return read_error_;
  }
  void ReaderLoop() {
    absl::MutexLock lock(&reads_mu_);
    while (true) {
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(reads_mu_) {
        return stop_reader_ || !queued_reads_.empty();
      };
      reads_mu_.Await(absl::Condition(&ready));
      if (queued_reads_.empty()) return;  // stopping
      const UserId user = queued_reads_.front();
      reads_mu_.Unlock();
      const absl::Status status = ReadHome(user, kMaxPage).status();
      reads_mu_.Lock();
      if (!status.ok() && read_error_.ok()) read_error_ = status;
      queued_reads_.pop_front();  // only now, so that FinishReads waits for this read
    }
  }

  LogOffset Append(const events::Event& event) {
    absl::StatusOr<LogOffset> offset = log_->Append(event.SerializeAsString());
    EXPECT_TRUE(offset.ok()) << offset.status();
    return offset.ok() ? *offset : 0;
  }

  void WaitApplied(LogOffset offset, uint64_t seed) {
    ASSERT_TRUE(pipeline_->WaitForApplied(offset, absl::Now() + absl::Seconds(60)))
        << "seed " << seed << ": applied " << pipeline_->applied_offset() << " of " << offset
        << "; pipeline status: " << pipeline_->status();
    ASSERT_TRUE(pipeline_->status().ok()) << "seed " << seed << ": " << pipeline_->status();
  }

  // Checks the users' home timelines against the model; counts them into *stats.
  // `first_read`: the timelines are not materialized, so this read rebuilds them from
  // the quiescent stores, and must say so.
  struct Stats {
    int checked = 0, capped = 0;  // capped: more eligible tweets than the cap
  };
  void CheckHomes(uint64_t seed, const std::string& when, const std::vector<UserId>& users,
                  bool first_read, const TimelineModel& model, std::mt19937_64& rng, Stats* stats) {
    for (UserId user : users) {
      // Mostly full pages of the server's maximum; sometimes small ones, so that page
      // boundaries fall anywhere, refills included.
      const size_t limit = rng() % 4 == 0 ? 1 + rng() % 60 : kMaxPage;
      absl::StatusOr<HomeRead> read = ReadHome(user, limit);
      ASSERT_TRUE(read.ok()) << "seed " << seed << ", " << when << ", user " << user << ": "
                             << read.status();
      const HomeVerdict verdict = model.CheckHome(user, read->ids);
      EXPECT_TRUE(verdict.ok) << "seed " << seed << ", " << when << " (page limit " << limit
                              << "): " << verdict.error;
      EXPECT_EQ(read->rebuilt, first_read) << "seed " << seed << ", " << when << ", user " << user;
      ++stats->checked;
      stats->capped += model.EligibleCount(user) > kCap;
    }
  }

  void CheckGraph(uint64_t seed, const std::vector<UserId>& users, const TimelineModel& model) {
    for (UserId user : users) {
      for (ModelGraph g : ::roost::testing::kModelGraphs) {
        const graph::GraphId id = static_cast<graph::GraphId>(g);
        for (graph::Direction dir : {graph::Direction::kForward, graph::Direction::kBackward}) {
          const bool forward = dir == graph::Direction::kForward;
          const std::string what =
              absl::StrCat("seed ", seed, ", user ", user, ", graph ", static_cast<int>(id),
                           forward ? " forward" : " backward");
          absl::StatusOr<std::vector<UserId>> list =
              graph_->SelectAll(id, user, dir, graph::kNormalOnly);
          ASSERT_TRUE(list.ok()) << what << ": " << list.status();
          EXPECT_EQ(*list, model.List(g, user, forward)) << what << ": list (newest first)";
          for (ModelState state : ::roost::testing::kModelStates) {
            absl::StatusOr<uint64_t> count =
                graph_->Count(id, user, dir, graph::StateBit(static_cast<graph::EdgeState>(state)));
            ASSERT_TRUE(count.ok()) << what << ": " << count.status();
            EXPECT_EQ(*count, model.Count(g, user, forward, state))
                << what << ": count of edges in state " << static_cast<int>(state);
          }
        }
      }
    }
  }

  void CheckTweets(uint64_t seed, const std::vector<UserId>& users, const TimelineModel& model) {
    std::vector<TweetId> ids;
    for (const auto& [id, author] : model.AllTweets()) ids.push_back(id);
    for (size_t begin = 0; begin < ids.size(); begin += 1000) {
      const std::vector<TweetId> chunk(ids.begin() + begin,
                                       ids.begin() + std::min(ids.size(), begin + 1000));
      absl::StatusOr<std::vector<std::optional<tweetstore::Tweet>>> found =
          tweets_->MultiGet(chunk);
      ASSERT_TRUE(found.ok()) << found.status();
      for (size_t i = 0; i < chunk.size(); ++i) {
        ASSERT_TRUE((*found)[i].has_value())
            << "seed " << seed << ": tweet " << chunk[i] << " lost";
        EXPECT_EQ((*found)[i]->author, model.AuthorOf(chunk[i])) << "seed " << seed;
        EXPECT_EQ((*found)[i]->deleted, model.IsDeleted(chunk[i]))
            << "seed " << seed << ": tweet " << chunk[i];
      }
    }
    for (UserId user : users) {
      absl::StatusOr<std::vector<TweetId>> own = tweets_->AuthorTweets(user, 0, 0, ids.size() + 1);
      ASSERT_TRUE(own.ok()) << own.status();
      EXPECT_EQ(*own, model.AuthorTweets(user)) << "seed " << seed << ", user timeline of " << user;
    }
  }

  std::string dir_;
  std::unique_ptr<log::Log> log_;
  std::unique_ptr<tweetstore::TweetStore> tweets_;
  std::unique_ptr<graph::GraphStore> graph_;
  std::unique_ptr<StoreTimelineSource> source_;
  std::unique_ptr<RacingSource> racing_source_;
  std::unique_ptr<timelines::HomeTimelines> timelines_;
  std::unique_ptr<Pipeline> pipeline_;

  std::thread reader_;
  absl::Mutex reads_mu_;
  std::deque<UserId> queued_reads_ ABSL_GUARDED_BY(reads_mu_);
  bool stop_reader_ ABSL_GUARDED_BY(reads_mu_) = false;
  absl::Status read_error_ ABSL_GUARDED_BY(reads_mu_);
};

TEST_P(ConvergenceTest, EveryTimelineAndEdgeMatchesTheModel) {
  const uint64_t seed = GetParam().seed;
  const absl::Time start = absl::Now();
  const Workload w = Generate(seed);
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15);
  const size_t n = w.events.size();

  // Half the users, and kFansRead fans, are read early (each at its own moment in the
  // first 30% of the stream) and so kept incrementally; the rest of the users, and
  // kFansRead other fans, only at the end.
  constexpr size_t kFansRead = 20;
  std::vector<UserId> shuffled = w.users;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  std::vector<UserId> early(shuffled.begin(), shuffled.begin() + shuffled.size() / 2);
  std::vector<UserId> late(shuffled.begin() + shuffled.size() / 2, shuffled.end());
  std::vector<UserId> fans = w.fans;
  std::shuffle(fans.begin(), fans.end(), rng);
  early.insert(early.end(), fans.begin(), fans.begin() + kFansRead);
  late.insert(late.end(), fans.begin() + kFansRead, fans.begin() + 2 * kFansRead);
  std::multimap<size_t, UserId> first_read;  // event index -> user
  for (UserId user : early) first_read.emplace(rng() % (n * 3 / 10), user);
  // Quiescent checkpoints: wait until applied, then check every timeline read so far.
  std::set<size_t> checkpoints;
  for (int i = 0; i < 3; ++i) checkpoints.insert(n / 5 + rng() % (n * 3 / 4));

  TimelineModel model(kCap);
  std::vector<UserId> materialized;
  Stats stats;
  LogOffset last = 0;
  // The most mass changes seen in progress at once while the stream was appended: a
  // sign that jobs ran between other writes rather than only after them.
  size_t most_mass_jobs_pending = 0;
  for (size_t i = 0; i < n; ++i) {
    const events::Event& event = w.events[i];
    last = Append(event);
    if (event.has_tweet_posted()) {
      model.Post(event.tweet_posted().tweet_id(), event.tweet_posted().author_id());
    } else if (event.has_tweet_deleted()) {
      model.Delete(event.tweet_deleted().tweet_id());
    } else if (event.has_edges_mass_changed()) {
      const events::EdgesMassChanged& m = event.edges_mass_changed();
      std::vector<ModelState> from;
      for (int state : m.from_states()) from.push_back(static_cast<ModelState>(state));
      model.MassChange(static_cast<ModelGraph>(m.graph()), m.user_id(), from,
                       static_cast<ModelState>(m.to_state()), event.event_id());
    } else {
      const events::EdgeChanged& e = event.edge_changed();
      model.SetEdge(static_cast<ModelGraph>(e.graph()), e.source_id(), e.destination_id(),
                    e.state() == v1::NORMAL, event.event_id());
    }
    most_mass_jobs_pending = std::max(most_mass_jobs_pending, pipeline_->mass_jobs_pending());

    // These reads materialize timelines (or re-read them) at whatever point the
    // pipeline has reached, while the appends go on; only the checkpoints judge them.
    for (auto [it, end] = first_read.equal_range(i); it != end; ++it) {
      QueueRead(it->second);
      materialized.push_back(it->second);
    }
    if (!materialized.empty() && rng() % 200 == 0) {
      QueueRead(materialized[rng() % materialized.size()]);
    }
    if (checkpoints.contains(i)) {
      const absl::Status reads = FinishReads();
      ASSERT_TRUE(reads.ok()) << "seed " << seed << ": " << reads;
      WaitApplied(last, seed);
      CheckHomes(seed, absl::StrCat("checkpoint after event ", i + 1, " of ", n), materialized,
                 /*first_read=*/false, model, rng, &stats);
      if (::testing::Test::HasFailure()) return;
    }
  }
  const absl::Status reads = FinishReads();
  ASSERT_TRUE(reads.ok()) << "seed " << seed << ": " << reads;
  WaitApplied(last, seed);

  // Early users' reads must find the incrementally kept timelines (rebuilt = false),
  // or the test would not be testing incremental maintenance.
  CheckHomes(seed, "end, kept incrementally", early, /*first_read=*/false, model, rng, &stats);
  CheckHomes(seed, "end, rebuilt on first read", late, /*first_read=*/true, model, rng, &stats);
  CheckGraph(seed, w.users, model);
  CheckGraph(seed, w.fans, model);
  CheckTweets(seed, w.users, model);
  EXPECT_TRUE(pipeline_->status().ok()) << pipeline_->status();
  // Hybrid seeds must have pulled someone, or they test nothing the others do not.
  const size_t pulled = timelines_->pulled_author_count();
  if (GetParam().hybrid) {
    EXPECT_GT(pulled, 0u) << "seed " << seed;
  }

  std::printf(
      "seed %llu (%s): %zu events (%d mass changes, at most %zu in progress at once), "
      "%zu users and %zu fans, %zu authors pulled, %d timeline checks (%d with more "
      "eligible tweets than the cap), %llu refills, %.1f s\n",
      static_cast<unsigned long long>(seed), GetParam().hybrid ? "hybrid" : "pushed", n,
      w.mass_changes, most_mass_jobs_pending, w.users.size(), w.fans.size(), pulled, stats.checked,
      stats.capped, static_cast<unsigned long long>(timelines_->refilled_count()),
      absl::ToDoubleSeconds(absl::Now() - start));
}

// The checker itself: each thing it exists to catch is caught, and above all a
// timeline that did not refill after a removal, or that counted a hidden author
// against the cap.
TEST(TimelineModelTest, CatchesWhatConvergenceMustNotLose) {
  constexpr UserId kAlice = 1, kBob = 2, kCarol = 3, kDan = 4;
  TimelineModel model(/*capacity=*/3);
  model.SetEdge(ModelGraph::kFollows, kAlice, kBob, true, 1);
  for (TweetId id : {10, 20, 30, 40, 50}) model.Post(id, kBob);
  EXPECT_EQ(model.Home(kAlice), (std::vector<TweetId>{50, 40, 30}));
  EXPECT_TRUE(model.CheckHome(kAlice, {50, 40, 30}).ok);
  EXPECT_FALSE(model.CheckHome(kAlice, {50, 30, 20}).ok);      // lost 40, a recent tweet
  EXPECT_FALSE(model.CheckHome(kAlice, {40, 50, 30}).ok);      // out of order
  EXPECT_FALSE(model.CheckHome(kAlice, {50, 40, 30, 20}).ok);  // past the cap

  model.Delete(40);
  EXPECT_FALSE(model.CheckHome(kAlice, {50, 40, 30}).ok);  // a deleted tweet
  const HomeVerdict not_refilled = model.CheckHome(kAlice, {50, 30});
  EXPECT_FALSE(not_refilled.ok);  // 20 is among the newest 3 now
  EXPECT_NE(not_refilled.error.find("misses tweet 20"), std::string::npos) << not_refilled.error;
  EXPECT_TRUE(model.CheckHome(kAlice, {50, 30, 20}).ok);

  // A muted prolific author leaves the others' tweets, however old.
  model.SetEdge(ModelGraph::kFollows, kAlice, kCarol, true, 2);
  model.Post(5, kCarol);
  model.SetEdge(ModelGraph::kMutes, kAlice, kBob, true, 3);
  EXPECT_FALSE(model.CheckHome(kAlice, {50}).ok);  // a muted author
  EXPECT_FALSE(model.CheckHome(kAlice, {}).ok);    // emptied by the mute
  EXPECT_TRUE(model.CheckHome(kAlice, {5}).ok);
  model.SetEdge(ModelGraph::kMutes, kAlice, kBob, false, 4);
  EXPECT_TRUE(model.CheckHome(kAlice, {50, 30, 20}).ok);

  // A block ends follows both ways and hides each from the other; the blocked cannot
  // follow back, the blocker may (and still does not see the blocked).
  model.SetEdge(ModelGraph::kFollows, kDan, kAlice, true, 5);
  model.Post(60, kAlice);
  EXPECT_TRUE(model.CheckHome(kDan, {60}).ok);
  model.SetEdge(ModelGraph::kBlocks, kAlice, kDan, true, 6);
  EXPECT_FALSE(model.Contains(ModelGraph::kFollows, kDan, kAlice));
  EXPECT_FALSE(model.SetEdge(ModelGraph::kFollows, kDan, kAlice, true, 7));
  EXPECT_FALSE(model.Contains(ModelGraph::kFollows, kDan, kAlice));
  EXPECT_TRUE(model.CheckHome(kDan, {}).ok);
  EXPECT_TRUE(model.SetEdge(ModelGraph::kFollows, kAlice, kDan, true, 8));
  model.Post(70, kDan);
  EXPECT_FALSE(model.CheckHome(kAlice, {70, 60, 50}).ok);  // Alice blocks Dan
  model.SetEdge(ModelGraph::kBlocks, kAlice, kDan, false, 9);
  EXPECT_TRUE(model.CheckHome(kAlice, {70, 60, 50}).ok);
  EXPECT_TRUE(model.SetEdge(ModelGraph::kFollows, kDan, kAlice, true, 10));
}

// Mass changes: archive and unarchive keep positions, an edge written after the
// change's time keeps its state, and a follow after a remove-all is a new edge.
TEST(TimelineModelTest, AppliesMassChangesAsTheGraphWritersDo) {
  constexpr UserId kStar = 1, kAnn = 2, kBen = 3, kCid = 4;
  const std::vector<ModelState> kArchive = {ModelState::kNormal};
  const std::vector<ModelState> kUnarchive = {ModelState::kArchived};
  const std::vector<ModelState> kRemoveAll = {ModelState::kNormal, ModelState::kArchived,
                                              ModelState::kNegative};
  TimelineModel model(/*capacity=*/10);
  model.SetEdge(ModelGraph::kFollows, kAnn, kStar, true, 10);
  model.SetEdge(ModelGraph::kFollows, kBen, kStar, true, 20);
  model.SetEdge(ModelGraph::kFollows, kStar, kCid, true, 30);
  model.Post(100, kStar);
  EXPECT_EQ(model.Home(kAnn), (std::vector<TweetId>{100}));

  // Both directions; Ben's unfollow at 35 is newer than the archive at 33.
  model.MassChange(ModelGraph::kFollows, kStar, kArchive, ModelState::kArchived, 33);
  model.SetEdge(ModelGraph::kFollows, kBen, kStar, false, 35);
  EXPECT_EQ(model.List(ModelGraph::kFollows, kStar, /*forward=*/false), std::vector<UserId>{});
  EXPECT_EQ(model.Count(ModelGraph::kFollows, kStar, false, ModelState::kArchived), 1u);
  EXPECT_EQ(model.Count(ModelGraph::kFollows, kStar, false, ModelState::kRemoved), 1u);
  EXPECT_EQ(model.Count(ModelGraph::kFollows, kStar, true, ModelState::kArchived), 1u);
  EXPECT_EQ(model.Home(kAnn), std::vector<TweetId>{});  // as after an unfollow

  // Unarchive restores Ann at her position, older than Ben's, who follows again.
  model.SetEdge(ModelGraph::kFollows, kBen, kStar, true, 40);
  model.MassChange(ModelGraph::kFollows, kStar, kUnarchive, ModelState::kNormal, 45);
  EXPECT_EQ(model.List(ModelGraph::kFollows, kStar, false), (std::vector<UserId>{kBen, kAnn}));
  EXPECT_EQ(model.Home(kAnn), (std::vector<TweetId>{100}));
  EXPECT_EQ(model.List(ModelGraph::kFollows, kStar, true), std::vector<UserId>{kCid});

  // A mass change older than an edge's last write leaves the edge alone.
  model.MassChange(ModelGraph::kFollows, kStar, kArchive, ModelState::kArchived, 42);
  EXPECT_EQ(model.List(ModelGraph::kFollows, kStar, false), (std::vector<UserId>{kAnn}))
      << "Ann's edge was last written at 45, Ben's at 40";

  // Remove-all, then Ann follows again: a new edge at the new position, ahead of Ben.
  model.MassChange(ModelGraph::kFollows, kStar, kRemoveAll, ModelState::kRemoved, 50);
  EXPECT_EQ(model.Count(ModelGraph::kFollows, kStar, false, ModelState::kRemoved), 2u);
  model.SetEdge(ModelGraph::kFollows, kBen, kStar, true, 55);
  model.SetEdge(ModelGraph::kFollows, kAnn, kStar, true, 60);
  EXPECT_EQ(model.List(ModelGraph::kFollows, kStar, false), (std::vector<UserId>{kAnn, kBen}));

  // Unarchiving blocks hides the author again but ends no follow.
  model.SetEdge(ModelGraph::kBlocks, kAnn, kStar, true, 70);  // ends Ann's follow
  model.SetEdge(ModelGraph::kFollows, kAnn, kStar, true, 71);
  model.MassChange(ModelGraph::kBlocks, kAnn, kArchive, ModelState::kArchived, 72);
  EXPECT_EQ(model.Home(kAnn), (std::vector<TweetId>{100}));
  model.MassChange(ModelGraph::kBlocks, kAnn, kUnarchive, ModelState::kNormal, 73);
  EXPECT_TRUE(model.Contains(ModelGraph::kFollows, kAnn, kStar));
  EXPECT_EQ(model.Home(kAnn), std::vector<TweetId>{});
}

INSTANTIATE_TEST_SUITE_P(convergence, ConvergenceTest, ::testing::ValuesIn(Runs()),
                         [](const ::testing::TestParamInfo<Run>& info) {
                           return absl::StrCat("Seed", info.param.seed,
                                               info.param.hybrid ? "Hybrid" : "Pushed");
                         });

}  // namespace
}  // namespace roost::ingest
