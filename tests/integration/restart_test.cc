// Restart at any moment: a real roostd is driven through gRPC with a generated
// workload (posts, deletes, follows, unfollows, blocks, unblocks, mutes, unmutes among
// a few dozen users, and now and then an archive, unarchive or remove-all of a user's
// edges) and SIGKILLed at seeded random moments, with writes in flight and the
// pipeline part way through the log, then restarted on the same data directory. It
// must resume from the committed offsets and converge (idempotent sinks): every
// acknowledged write is reflected, and every home timeline, graph list and count, and
// tweet agrees with TimelineModel (tests/pipeline/timeline_model.h) built from the
// acknowledged writes, and with a `roostd --rebuild` of the same log.
//
// A crowd of kCrowd users follows one celebrity first, and several kills come shortly
// after an archive, unarchive or remove-all of the celebrity's follows (as soon as its
// job is seen running, if it is): a background job of thousands of edges that the kill
// leaves pending (recorded in the graph store, or only in the log), for the restart to
// resume or replay. The summary line counts those kills that found a job recorded.
//
// A write that was in flight at the kill may or may not have reached the log. The
// client does what a real one would: it retries it after the restart (a post with its
// request id, so a post that did reach the log is answered with its first id; a
// delete that did is answered NOT_FOUND; a mass change that did runs again and finds
// nothing left to move). Writes are sent in batches of concurrent calls that touch
// different user pairs and tweets, and a mass change shares its batch with no edge
// write of its user, so their order within a batch, which the test cannot know,
// decides nothing; batches follow each other.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/functional/any_invocable.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "graph/graph_store.h"
#include "gtest/gtest.h"
#include "roost/v1/roost.grpc.pb.h"
#include "tests/integration/roostd_process.h"
#include "tests/pipeline/timeline_model.h"

namespace roost {
namespace {

namespace v1 = ::roost::v1;
using ::roost::testing::HomeVerdict;
using ::roost::testing::MassFrom;
using ::roost::testing::MassTo;
using ::roost::testing::ModelGraph;
using ::roost::testing::ModelMass;
using ::roost::testing::ModelState;
using ::roost::testing::TimelineModel;

constexpr int kUsers = 30;
// Kills per seed: ROOST_RESTART_KILLS (default 10; scripts/crash-loop.sh runs more).
int KillsPerSeed();
constexpr int kBatch = 16;         // concurrent writes
constexpr int kFinalWrites = 600;  // after the last restart, with no kill
// Users kFirstCrowdUser.. follow the celebrity (a multiple of kBatch, so the crowd's
// follows fill whole batches) and, now and then, unfollow and follow it again.
constexpr int kCrowd = 2400;
constexpr uint64_t kFirstCrowdUser = 1001;
// Crowd users whose home timelines and graph lists are checked like the users'.
constexpr int kCrowdChecked = 8;
// The celebrity's mass changes, each issued a few batches before one of the kills.
using Mass = ModelMass;
constexpr Mass kCelebrityMasses[] = {Mass::kArchive,   Mass::kUnarchive, Mass::kArchive,
                                     Mass::kRemoveAll, Mass::kArchive,   Mass::kUnarchive};
// A small cap (passed to roostd) so that this workload drives many timelines past it.
constexpr size_t kCap = 200;
constexpr uint32_t kPage = 200;  // the server's largest page
const std::vector<std::string> kFlags = {"--log-sync=none",
                                         absl::StrCat("--timeline-max-entries=", kCap)};

std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 20) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

v1::GraphKind Kind(ModelGraph g) { return static_cast<v1::GraphKind>(g); }

// One write the client wants made.
struct Op {
  enum class Type { kPost, kDelete, kEdge, kMass };
  Type type = Type::kPost;
  uint64_t user = 0;   // author, edge source, or the user of a mass change
  uint64_t other = 0;  // edge destination
  uint64_t tweet = 0;  // kDelete
  ModelGraph graph = ModelGraph::kFollows;
  bool add = true;
  Mass mass = Mass::kArchive;
  std::string request_id;  // kPost

  std::string ToString() const {
    switch (type) {
      case Type::kPost:
        return absl::StrCat("post by ", user, " (", request_id, ")");
      case Type::kDelete:
        return absl::StrCat("delete of ", tweet, " by ", user);
      case Type::kEdge:
        return absl::StrCat(add ? "add " : "remove ", "graph ", static_cast<int>(graph), " ", user,
                            " -> ", other);
      case Type::kMass:
        return absl::StrCat(mass == Mass::kArchive     ? "archive"
                            : mass == Mass::kUnarchive ? "unarchive"
                                                       : "remove-all",
                            " of graph ", static_cast<int>(graph), " of ", user);
    }
    return "";
  }
};

// What the writes of one batch have claimed, so that no two of them decide each
// other's outcome by their order in the log.
struct BatchClaims {
  std::set<std::pair<uint64_t, uint64_t>> pairs;  // (lower, higher) user of an edge write
  std::set<uint64_t> tweets;                      // deleted
  std::set<uint64_t> edge_users;                  // an end of an edge write
  uint64_t mass_user = 0;                         // of the mass change, if any

  // One edge write per pair (a block also ends follows both ways), none to the pairs
  // of the mass change's user.
  bool ClaimEdge(uint64_t source, uint64_t destination) {
    if (source == mass_user || destination == mass_user ||
        !pairs.insert(std::minmax(source, destination)).second) {
      return false;
    }
    edge_users.insert({source, destination});
    return true;
  }
  // One mass change a batch: two could both move an edge between their users.
  bool ClaimMass(uint64_t user) {
    if (mass_user != 0 || edge_users.contains(user)) return false;
    mass_user = user;
    return true;
  }
};

// One asynchronous call and what it returned.
struct Call {
  Op op;
  grpc::ClientContext ctx;
  v1::PostRequest post;
  v1::PostResponse posted;
  v1::DeleteRequest del;
  v1::DeleteResponse deleted;
  v1::EdgeRequest edge;
  v1::MassRequest mass;
  v1::WriteResponse written;
  grpc::Status status;
};

class RestartTest : public ::testing::TestWithParam<uint64_t> {
 protected:
  void TearDown() override {
    if (running_) server_.Stop();
    std::filesystem::remove_all(dir_);
  }

  void Start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags = kFlags;
    flags.insert(flags.end(), extra.begin(), extra.end());
    std::string output;
    ASSERT_TRUE(server_.Start(dir_, flags, &output)) << output;
    running_ = true;
    channel_ = server_.channel();
    tweets_ = v1::Tweets::NewStub(channel_);
    timelines_ = v1::Timelines::NewStub(channel_);
    graph_ = v1::Graph::NewStub(channel_);
    admin_ = v1::Admin::NewStub(channel_);
    read_since_start_.clear();
  }
  // Reaps a killed roostd (or stops a live one with SIGTERM) and returns its exit code.
  int Reap() {
    std::string output;
    const int code = server_.Stop(&output);
    running_ = false;
    last_output_ = output;
    return code;
  }

  // ---- The workload.

  // A write among the users that the batch's `claims` allow: first the crowd's
  // follows of the celebrity, until all are made.
  Op NextOp(BatchClaims* claims) {
    auto user = [&](bool popular) {
      return popular ? by_posting_[skewed_(rng_)] : 1 + rng_() % kUsers;
    };
    if (crowd_to_follow_ < kCrowd) {
      Op op;
      op.type = Op::Type::kEdge;
      op.user = kFirstCrowdUser + crowd_to_follow_++;
      op.other = celebrity_;
      EXPECT_TRUE(claims->ClaimEdge(op.user, op.other));
      return op;
    }
    for (int attempt = 0; attempt < 20; ++attempt) {
      Op op;
      // A crowd user unfollows the celebrity, or follows it again (after a remove-all,
      // a new edge), while the celebrity's mass changes may be running.
      if (rng_() % 25 == 0) {
        op.type = Op::Type::kEdge;
        op.user = kFirstCrowdUser + rng_() % kCrowd;
        op.other = celebrity_;
        op.add = rng_() % 10 < 7;
        if (!claims->ClaimEdge(op.user, op.other)) continue;
        return op;
      }
      // Now and then a mass change of one of the users' few edges.
      if (rng_() % 300 == 0) {
        op.type = Op::Type::kMass;
        op.user = user(rng_() % 2 == 0);
        const int graph_roll = static_cast<int>(rng_() % 10);
        op.graph = graph_roll < 6   ? ModelGraph::kFollows
                   : graph_roll < 8 ? ModelGraph::kMutes
                                    : ModelGraph::kBlocks;
        const int mass_roll = static_cast<int>(rng_() % 20);
        op.mass = mass_roll < 9    ? Mass::kArchive
                  : mass_roll < 16 ? Mass::kUnarchive
                                   : Mass::kRemoveAll;
        if (!claims->ClaimMass(op.user)) continue;
        return op;
      }
      const int roll = static_cast<int>(rng_() % 100);
      if (roll < 40) {
        op.type = Op::Type::kPost;
        op.user = user(true);
        op.request_id = absl::StrCat("req-", ++requests_);
        return op;
      }
      if (roll < 47) {
        op.type = Op::Type::kDelete;
        op.user = user(true);
        const std::vector<uint64_t>& tweets = live_[op.user];
        if (tweets.empty()) continue;
        op.tweet = tweets[tweets.size() - 1 - rng_() % std::min<size_t>(tweets.size(), 40)];
        if (!claims->tweets.insert(op.tweet).second) continue;
        return op;
      }
      op.type = Op::Type::kEdge;
      op.user = user(false);
      op.other = user(roll < 90);
      if (op.other == op.user) continue;
      // Mostly: follow 25, unfollow 10, block 4, unblock 3, mute 6, unmute 5.
      const int edge_roll = roll - 47;
      if (edge_roll < 25) {
        op.graph = ModelGraph::kFollows;
      } else if (edge_roll < 35) {
        op.graph = ModelGraph::kFollows, op.add = false;
      } else if (edge_roll < 39) {
        op.graph = ModelGraph::kBlocks;
      } else if (edge_roll < 42) {
        op.graph = ModelGraph::kBlocks, op.add = false;
      } else if (edge_roll < 48) {
        op.graph = ModelGraph::kMutes;
      } else {
        op.graph = ModelGraph::kMutes, op.add = false;
      }
      // A removal mostly of an edge that exists, so removals do something.
      if (!op.add && rng_() % 5 != 0) {
        const std::vector<uint64_t> existing = model_.List(op.graph, op.user, /*forward=*/true);
        if (!existing.empty()) op.other = existing[rng_() % existing.size()];
      }
      if (!claims->ClaimEdge(op.user, op.other)) continue;
      return op;
    }
    Op post;
    post.user = user(true);
    post.request_id = absl::StrCat("req-", ++requests_);
    return post;
  }

  // Whether `status` is the refusal the server owes `op`: a follow of a user who
  // blocks its source (the batch's claims keep the rest of the batch from deciding it).
  bool RefusedAsItShouldBe(const Op& op, const grpc::Status& status) {
    if (op.type != Op::Type::kEdge || model_.Accepts(op.graph, op.user, op.other, op.add)) {
      return false;
    }
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << op.ToString() << ": " << status.error_message();
    ++refused_follows_;
    return true;
  }

  // Records an acknowledged write in the model.
  void Confirm(const Op& op, uint64_t tweet_id) {
    switch (op.type) {
      case Op::Type::kPost:
        model_.Post(tweet_id, op.user);
        live_[op.user].push_back(tweet_id);
        break;
      case Op::Type::kDelete:
        model_.Delete(op.tweet);
        std::erase(live_[op.user], op.tweet);
        break;
      case Op::Type::kEdge:
        EXPECT_TRUE(model_.SetEdge(op.graph, op.user, op.other, op.add, ++model_time_))
            << op.ToString() << " was acknowledged, though the user blocks its source";
        break;
      case Op::Type::kMass:
        model_.MassChange(op.graph, op.user, MassFrom(op.mass), MassTo(op.mass), ++model_time_);
        ++mass_changes_;
        break;
    }
    ++acknowledged_;
  }

  void Issue(Call* call, absl::AnyInvocable<void(grpc::Status)> done) {
    const Op& op = call->op;
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto callback = [done = std::make_shared<decltype(done)>(std::move(done))](
                        grpc::Status status) { (*done)(std::move(status)); };
    switch (op.type) {
      case Op::Type::kPost:
        call->post.set_author_id(op.user);
        call->post.set_text(absl::StrCat("tweet by ", op.user, " ", op.request_id));
        call->post.set_request_id(op.request_id);
        tweets_->async()->Post(&call->ctx, &call->post, &call->posted, callback);
        break;
      case Op::Type::kDelete:
        call->del.set_author_id(op.user);
        call->del.set_tweet_id(op.tweet);
        tweets_->async()->Delete(&call->ctx, &call->del, &call->deleted, callback);
        break;
      case Op::Type::kEdge:
        call->edge.set_graph(Kind(op.graph));
        call->edge.set_source_id(op.user);
        call->edge.set_destination_id(op.other);
        if (op.add) {
          graph_->async()->Add(&call->ctx, &call->edge, &call->written, callback);
        } else {
          graph_->async()->Remove(&call->ctx, &call->edge, &call->written, callback);
        }
        break;
      case Op::Type::kMass:
        call->mass.set_graph(Kind(op.graph));
        call->mass.set_user_id(op.user);
        switch (op.mass) {
          case Mass::kArchive:
            graph_->async()->Archive(&call->ctx, &call->mass, &call->written, callback);
            break;
          case Mass::kUnarchive:
            graph_->async()->Unarchive(&call->ctx, &call->mass, &call->written, callback);
            break;
          case Mass::kRemoveAll:
            graph_->async()->RemoveAll(&call->ctx, &call->mass, &call->written, callback);
            break;
        }
        break;
    }
  }

  // Sends writes in batches until `kill_after` of them are acknowledged in this run,
  // then SIGKILLs roostd: from the completion of that write (the rest of its batch is
  // in flight, some of it perhaps in the log), or, with `kill_when_sent`, just after
  // the next batch is sent (all of it in flight). With kill_after < 0, sends `count`
  // writes. Returns the writes whose fate the kill left unknown.
  //
  // `mass` (if any, with kill_after >= 0) leads the first batch sent once at most
  // `lead` writes short of kill_after. Once it is acknowledged, the kill comes sooner
  // if a check between batches finds its job in progress (processed, not yet
  // applied): just after the next batch is sent.
  std::vector<Op> Drive(int count, int kill_after, bool kill_when_sent = false,
                        std::optional<Op> mass = std::nullopt, int lead = 0) {
    std::vector<Op> unknown;
    absl::Mutex mu;
    int acknowledged_this_run = 0;
    bool killed = false;
    Call* mass_call = nullptr;
    uint64_t mass_position = 0;  // of `mass` once acknowledged, until seen applied
    for (int sent = 0; sent < count && !killed;) {
      BatchClaims claims;
      std::vector<std::unique_ptr<Call>> calls;
      bool mass_now = false;
      if (mass.has_value()) {
        absl::MutexLock lock(&mu);
        mass_now = acknowledged_this_run + lead >= kill_after;
      }
      if (mass_now) {
        EXPECT_TRUE(claims.ClaimMass(mass->user));
        calls.push_back(std::make_unique<Call>());
        calls.back()->op = *std::exchange(mass, std::nullopt);
        mass_call = calls.back().get();
      }
      while (calls.size() < static_cast<size_t>(kBatch)) {
        calls.push_back(std::make_unique<Call>());
        calls.back()->op = NextOp(&claims);
      }
      bool kill_mid_job = false;
      if (mass_position != 0) {
        const v1::StatsResponse stats = Stats();
        if (stats.applied_position() >= mass_position) {
          mass_position = 0;  // done already: the kill comes as planned
        } else {
          kill_mid_job = stats.processed_position() >= mass_position;
        }
      }
      int pending = kBatch;
      for (auto& call : calls) {
        Issue(call.get(), [&, c = call.get()](grpc::Status status) {
          absl::MutexLock lock(&mu);
          c->status = std::move(status);
          --pending;
          if (c->status.ok() && ++acknowledged_this_run == kill_after && !kill_when_sent) {
            server_.Kill();
            killed = true;
          }
        });
      }
      if ((kill_when_sent && kill_after >= 0) || kill_mid_job) {
        absl::MutexLock lock(&mu);
        if (kill_mid_job || acknowledged_this_run >= kill_after) {
          server_.Kill();
          killed = true;
        }
      }
      {
        absl::MutexLock lock(&mu);
        // Every call has a 20 s deadline, so this wait is bounded by it.
        mu.Await(absl::Condition(
            +[](int* n) { return *n == 0; }, &pending));
      }
      sent += kBatch;
      if (mass_call != nullptr && mass_call->status.ok()) {
        mass_position = mass_call->written.position();
      }
      mass_call = nullptr;
      for (auto& call : calls) {
        if (call->status.ok()) {
          Confirm(call->op, call->posted.tweet_id());
        } else if (killed) {
          unknown.push_back(call->op);
        } else if (RefusedAsItShouldBe(call->op, call->status)) {
          // Nothing changed, as the model says.
        } else {
          ADD_FAILURE() << call->op.ToString()
                        << " failed with roostd running: " << call->status.error_message();
        }
      }
    }
    return unknown;
  }

  // Retries, after a restart, the writes a kill left unknown, as a client would.
  void Retry(const std::vector<Op>& unknown) {
    for (const Op& op : unknown) {
      Call call;
      call.op = op;
      absl::Mutex mu;
      bool done = false;
      Issue(&call, [&](grpc::Status status) {
        absl::MutexLock lock(&mu);
        call.status = std::move(status);
        done = true;
      });
      {
        absl::MutexLock lock(&mu);
        mu.Await(absl::Condition(&done));
      }
      // A delete that reached the log before the kill finds its tweet gone.
      if (!call.status.ok() && RefusedAsItShouldBe(op, call.status)) continue;
      const bool ok = call.status.ok() || (op.type == Op::Type::kDelete &&
                                           call.status.error_code() == grpc::StatusCode::NOT_FOUND);
      ASSERT_TRUE(ok) << "retry of " << op.ToString() << ": " << call.status.error_message();
      Confirm(op, call.posted.tweet_id());
    }
  }

  // ---- Reads.

  v1::StatsResponse Stats() {
    v1::StatsResponse stats;
    grpc::Status status = admin_->Stats(Ctx().get(), v1::StatsRequest(), &stats);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return stats;
  }

  // Events the stores' writers executed since this roostd started (replayed ones
  // included).
  int64_t Executed() {
    const v1::StatsResponse stats = Stats();
    int64_t executed = 0;
    for (const char* counter : {"topology.tweets.executed", "topology.graph.executed"}) {
      auto it = stats.counters().find(counter);
      if (it != stats.counters().end()) executed += it->second;
    }
    return executed;
  }

  uint64_t Appended() { return Stats().appended_position(); }

  struct HomeRead {
    std::vector<uint64_t> ids;
    bool rebuilt = false;
  };
  // Every page of a home timeline; the first waits for `min_position`.
  HomeRead Home(uint64_t user, uint64_t min_position) {
    HomeRead read;
    uint64_t max_id = 0;
    for (size_t page = 0; page <= kCap / kPage + 1; ++page) {
      v1::HomeRequest request;
      request.set_user_id(user);
      request.set_max_id(max_id);
      request.set_limit(kPage);
      request.set_min_position(page == 0 ? min_position : 0);
      v1::TimelinePage response;
      grpc::Status status = timelines_->Home(Ctx().get(), request, &response);
      EXPECT_TRUE(status.ok()) << "home of " << user << ": " << status.error_message();
      if (page == 0) read.rebuilt = response.rebuilt();
      read.ids.insert(read.ids.end(), response.ids().begin(), response.ids().end());
      if (!status.ok() || response.next_max_id() == 0) return read;
      max_id = response.next_max_id();
    }
    ADD_FAILURE() << "home of " << user << " has more pages than the cap allows";
    return read;
  }

  // Checks one home timeline against the model. A first read since the start
  // rebuilds it from the stores, and must say so.
  void CheckHome(uint64_t user, uint64_t min_position, const std::string& when) {
    const bool first_read = read_since_start_.insert(user).second;
    const HomeRead read = Home(user, min_position);
    const HomeVerdict verdict = model_.CheckHome(user, read.ids);
    EXPECT_TRUE(verdict.ok) << "seed " << seed_ << ", " << when << ": " << verdict.error;
    EXPECT_EQ(read.rebuilt, first_read) << "seed " << seed_ << ", " << when << ", user " << user;
    ++home_checks_;
    capped_homes_ += model_.EligibleCount(user) > kCap;
  }

  // Everything a client can observe of the graph and the tweets of the checked users,
  // by a readable key, each checked against the model on the way (graph lists as sets:
  // a write retried after a kill may have created its edge at the first attempt's
  // position). The celebrity's lists hold every crowd user's edge.
  std::map<std::string, std::vector<uint64_t>> ObserveAndCheck(uint64_t min_position) {
    std::map<std::string, std::vector<uint64_t>> seen;
    for (uint64_t user : checked_users_) {
      for (ModelGraph g : ::roost::testing::kModelGraphs) {
        for (bool forward : {true, false}) {
          const std::string key = absl::StrCat("user ", user, " graph ", static_cast<int>(g),
                                               forward ? " forward" : " backward");
          std::vector<uint64_t>& list = seen[key];
          int64_t cursor = 0;
          for (int page = 0; page < 3 + (kUsers + kCrowd) / static_cast<int>(kPage); ++page) {
            v1::SelectRequest request;
            request.set_graph(Kind(g));
            request.set_user_id(user);
            request.set_direction(forward ? v1::FORWARD : v1::BACKWARD);
            request.set_cursor(cursor);
            // Several pages for the larger lists, then the largest for the celebrity's.
            request.set_limit(page < 3 ? 7 : kPage);
            request.set_min_position(min_position);
            v1::SelectResponse response;
            grpc::Status status = graph_->Select(Ctx().get(), request, &response);
            EXPECT_TRUE(status.ok()) << key << ": " << status.error_message();
            list.insert(list.end(), response.ids().begin(), response.ids().end());
            cursor = response.next_cursor();
            if (!status.ok() || cursor == 0) break;
          }
          std::vector<uint64_t> got = list, expected = model_.List(g, user, forward);
          std::sort(got.begin(), got.end());
          std::sort(expected.begin(), expected.end());
          EXPECT_EQ(got, expected) << "seed " << seed_ << ", " << key;
          for (v1::EdgeState state : {v1::NORMAL, v1::REMOVED, v1::ARCHIVED}) {
            v1::CountRequest request;
            request.set_graph(Kind(g));
            request.set_user_id(user);
            request.set_direction(forward ? v1::FORWARD : v1::BACKWARD);
            request.add_states(state);
            v1::CountResponse response;
            grpc::Status status = graph_->Count(Ctx().get(), request, &response);
            EXPECT_TRUE(status.ok()) << key << ": " << status.error_message();
            EXPECT_EQ(response.count(),
                      model_.Count(g, user, forward, static_cast<ModelState>(state)))
                << "seed " << seed_ << ", " << key << ", count of state " << state;
            seen[absl::StrCat(key, " count ", state)] = {response.count()};
          }
        }
      }

      // The user timeline: every undeleted tweet, newest first.
      std::vector<uint64_t>& own = seen[absl::StrCat("user ", user, " tweets")];
      uint64_t max_id = 0;
      for (int page = 0; page < 1000; ++page) {
        v1::UserTimelineRequest request;
        request.set_user_id(user);
        request.set_max_id(max_id);
        request.set_limit(kPage);
        v1::TimelinePage response;
        grpc::Status status = tweets_->UserTimeline(Ctx().get(), request, &response);
        EXPECT_TRUE(status.ok()) << status.error_message();
        own.insert(own.end(), response.ids().begin(), response.ids().end());
        max_id = response.next_max_id();
        if (!status.ok() || max_id == 0) break;
      }
      EXPECT_EQ(own, model_.AuthorTweets(user)) << "seed " << seed_ << ", user timeline of " << user
                                                << " (a duplicate or lost post, or a lost delete)";
    }

    // Every tweet ever acknowledged: present unless deleted.
    std::vector<uint64_t> ids;
    for (const auto& [id, author] : model_.AllTweets()) ids.push_back(id);
    std::vector<uint64_t>& live = seen["live tweets"];
    for (size_t begin = 0; begin < ids.size(); begin += 100) {
      v1::GetRequest request;
      for (size_t i = begin; i < std::min(ids.size(), begin + 100); ++i) request.add_ids(ids[i]);
      v1::GetResponse response;
      grpc::Status status = tweets_->Get(Ctx().get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      for (const v1::Tweet& tweet : response.tweets()) {
        live.push_back(tweet.id());
        EXPECT_EQ(tweet.author_id(), model_.AuthorOf(tweet.id()));
      }
    }
    std::vector<uint64_t> expected_live;
    for (uint64_t id : ids) {
      if (model_.IsLive(id)) expected_live.push_back(id);
    }
    EXPECT_EQ(live, expected_live) << "seed " << seed_ << ": live tweets";
    return seen;
  }

  // The mass jobs the graph store holds as pending (roostd must not be running): those
  // a kill interrupted, which the restart resumes.
  size_t PendingMassJobsOnDisk() {
    graph::GraphStoreOptions options;
    options.create_if_missing = false;
    options.read_only = true;
    absl::StatusOr<std::unique_ptr<graph::GraphStore>> store =
        graph::GraphStore::Open(dir_ + "/graph", options);
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return 0;
    absl::StatusOr<std::vector<graph::MassJob>> jobs = (*store)->PendingMassJobs();
    EXPECT_TRUE(jobs.ok()) << jobs.status();
    return jobs.ok() ? jobs->size() : 0;
  }

  const uint64_t seed_ = GetParam();
  const std::string dir_ =
      absl::StrCat(::testing::TempDir(), "restart_test_", seed_, "_", getpid());
  testing::RoostdProcess server_;
  bool running_ = false;
  std::string last_output_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Tweets::Stub> tweets_;
  std::unique_ptr<v1::Timelines::Stub> timelines_;
  std::unique_ptr<v1::Graph::Stub> graph_;
  std::unique_ptr<v1::Admin::Stub> admin_;

  std::mt19937_64 rng_{seed_};
  // Posting is skewed: a few users post far more (and are followed more) than the rest.
  std::vector<uint64_t> by_posting_ = [this] {
    std::vector<uint64_t> users;
    for (uint64_t u = 1; u <= kUsers; ++u) users.push_back(u);
    std::shuffle(users.begin(), users.end(), rng_);
    return users;
  }();
  std::discrete_distribution<int> skewed_ = [] {
    std::vector<double> weights;
    for (int i = 0; i < kUsers; ++i) weights.push_back(1.0 / std::pow(i + 1.0, 0.8));
    return std::discrete_distribution<int>(weights.begin(), weights.end());
  }();
  // A poster of middling activity: enough tweets for the crowd's timelines to show
  // what the mass changes do, few enough that fanning each out to the whole crowd
  // does not dominate the run (or the rebuild).
  const uint64_t celebrity_ = by_posting_[kUsers * 2 / 3];
  int crowd_to_follow_ = 0;  // the crowd users who have not been sent their follow yet
  // The users whose home timelines, lists and tweets are checked: all of them, and
  // kCrowdChecked of the crowd.
  const std::vector<uint64_t> checked_users_ = [this] {
    std::vector<uint64_t> users;
    for (uint64_t u = 1; u <= kUsers; ++u) users.push_back(u);
    for (int i = 0; i < kCrowdChecked; ++i) users.push_back(kFirstCrowdUser + rng_() % kCrowd);
    std::sort(users.begin(), users.end());
    users.erase(std::unique(users.begin(), users.end()), users.end());
    return users;
  }();

  TimelineModel model_{kCap};
  uint64_t model_time_ = 0;
  int requests_ = 0;
  int acknowledged_ = 0;
  int mass_changes_ = 0;                            // acknowledged
  std::map<uint64_t, std::vector<uint64_t>> live_;  // acknowledged undeleted tweets by author
  std::set<uint64_t> read_since_start_;  // users whose home timeline this roostd has built
  int home_checks_ = 0, capped_homes_ = 0, refused_follows_ = 0;
};

TEST_P(RestartTest, ResumesFromTheCommittedOffsetsAndConvergesAfterEveryKill) {
  const absl::Time began = absl::Now();
  std::filesystem::remove_all(dir_);
  ASSERT_NO_FATAL_FAILURE(Start());
  // The crowd follows the celebrity first (NextOp sends those follows before anything).
  ASSERT_TRUE(Drive(kCrowd, /*kill_after=*/-1).empty());
  ASSERT_EQ(model_.List(ModelGraph::kFollows, celebrity_, /*forward=*/false).size(),
            static_cast<size_t>(kCrowd));

  // The kills that come shortly after one of the celebrity's mass changes, in order.
  const int kKills = KillsPerSeed();
  std::vector<int> mass_kills(kKills);
  std::iota(mass_kills.begin(), mass_kills.end(), 0);
  std::shuffle(mass_kills.begin(), mass_kills.end(), rng_);
  mass_kills.resize(std::size(kCelebrityMasses));
  std::sort(mass_kills.begin(), mass_kills.end());
  int kills = 0, unknown_writes = 0, kills_with_jobs_pending = 0;
  int64_t replayed = 0;
  for (; kills < kKills && !HasFailure(); ++kills) {
    // Kill at a random moment: after a random number of acknowledged writes, from
    // the last one's completion or once the next batch is sent, with writes in flight
    // and the pipeline somewhere behind the log.
    const int kill_after = 100 + static_cast<int>(rng_() % 1500);
    const bool kill_when_sent = rng_() % 2 == 0;
    // For some kills, a mass change of the celebrity's thousands of edges is sent 0 to
    // 2 batches ahead of the kill, and the kill comes early if its job is seen in
    // progress: so the kill finds it in flight (to be retried), in the log only (to be
    // replayed), or recorded and part way (to be resumed), and now and then done.
    std::optional<Op> mass;
    int lead = 0;
    if (auto it = std::find(mass_kills.begin(), mass_kills.end(), kills); it != mass_kills.end()) {
      mass.emplace();
      mass->type = Op::Type::kMass;
      mass->user = celebrity_;
      mass->mass = kCelebrityMasses[it - mass_kills.begin()];
      constexpr int kLeadBatches[] = {0, 1, 1, 2};
      lead = kBatch * kLeadBatches[rng_() % std::size(kLeadBatches)];
    }
    const std::vector<Op> unknown =
        Drive(/*count=*/1 << 20, kill_after, kill_when_sent, mass, lead);
    const int code = Reap();
    ASSERT_EQ(code, 128 + SIGKILL) << "roostd did not die by the kill: " << last_output_;
    if (mass.has_value()) kills_with_jobs_pending += PendingMassJobsOnDisk() > 0;

    ASSERT_NO_FATAL_FAILURE(Start());
    // Roost::Open applies the log from the committed offsets before serving: what it
    // executed is the replayed tail (the offsets are persisted every 200 ms, so a kill
    // nearly always leaves one).
    replayed += Executed();
    unknown_writes += static_cast<int>(unknown.size());
    ASSERT_NO_FATAL_FAILURE(Retry(unknown));
    // Everything durable was applied before roostd served (Roost::Open); the position
    // wait makes the check independent of that. Half the users read now (rebuilding
    // their timelines), and their timelines are then kept by the pipeline.
    const uint64_t position = Appended();
    for (uint64_t user : checked_users_) {
      if (rng_() % 2 == 0) {
        CheckHome(user, position, absl::StrCat("after restart ", kills + 1, ", user ", user));
      }
    }
  }
  ASSERT_FALSE(HasFailure());
  // Otherwise no restart resumed below the log's end, and resuming went untested.
  EXPECT_GT(replayed, 0);

  const std::vector<Op> unknown = Drive(kFinalWrites, /*kill_after=*/-1);
  ASSERT_TRUE(unknown.empty());
  const uint64_t position = Appended();
  for (uint64_t user : checked_users_) {
    CheckHome(user, position, absl::StrCat("end, user ", user));
  }
  const auto live = ObserveAndCheck(position);

  // The same log replayed from scratch into fresh stores answers the same, lists in
  // the same order (positions included): the crash replays left no trace.
  ASSERT_EQ(Reap(), 0) << last_output_;
  // Counts kept incrementally across the kills match a full recount.
  {
    const ProcessOutcome verify = RunProcess(
        {ROOSTCTL_PATH, "graph", "verify", "--data-dir=" + dir_}, absl::Now() + absl::Seconds(60));
    EXPECT_EQ(verify.code, 0) << verify.output;
    EXPECT_NE(verify.output.find("counts: 0 drifted"), std::string::npos) << verify.output;
  }
  ASSERT_NO_FATAL_FAILURE(Start({"--rebuild"}));
  const uint64_t rebuilt_position = Appended();
  EXPECT_EQ(rebuilt_position, position);
  const auto rebuilt = ObserveAndCheck(rebuilt_position);
  for (const auto& [key, values] : live) {
    EXPECT_EQ(rebuilt.at(key), values) << "live vs --rebuild: " << key;
  }
  for (uint64_t user : checked_users_) {
    CheckHome(user, rebuilt_position, absl::StrCat("after --rebuild, user ", user));
  }
  ASSERT_EQ(Reap(), 0) << last_output_;

  std::printf(
      "seed %llu: %d kills (%d with a mass job pending in the graph store), %d writes "
      "acknowledged (%d mass changes, %d retried after a kill), %lld events replayed "
      "on restarts, %d follows refused for a block, %zu tweets, %d home timeline "
      "checks (%d with more eligible tweets than the cap), %.1f s\n",
      static_cast<unsigned long long>(seed_), kills, kills_with_jobs_pending, acknowledged_,
      mass_changes_, unknown_writes, static_cast<long long>(replayed), refused_follows_,
      model_.AllTweets().size(), home_checks_, capped_homes_,
      absl::ToDoubleSeconds(absl::Now() - began));
}

int EnvInt(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : fallback;
}

int KillsPerSeed() {
  // At least one kill for each of the celebrity's mass changes.
  return std::max<int>(EnvInt("ROOST_RESTART_KILLS", 10), std::size(kCelebrityMasses));
}

// ROOST_RESTART_SEEDS (default 3) seeds from ROOST_RESTART_FIRST_SEED (default 1).
std::vector<uint64_t> Seeds() {
  auto env = EnvInt;
  std::vector<uint64_t> seeds;
  const int first = env("ROOST_RESTART_FIRST_SEED", 1);
  for (int i = 0; i < env("ROOST_RESTART_SEEDS", 3); ++i) seeds.push_back(first + i);
  return seeds;
}

INSTANTIATE_TEST_SUITE_P(restart, RestartTest, ::testing::ValuesIn(Seeds()),
                         [](const ::testing::TestParamInfo<uint64_t>& info) {
                           return absl::StrCat("Seed", info.param);
                         });

}  // namespace
}  // namespace roost
