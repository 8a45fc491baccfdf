// The pipeline of a cluster's partitions, in process: P partitions, each with its own
// log (in memory), RocksDB stores, home timelines and pipeline, and a PartitionScope
// that appends what one derives for another straight to that partition's log (as the
// JetStream log does across machines), storing a repeated derivation id once. A user
// lives on partition user mod P.
//
// A random stream of posts, deletes, follows, unfollows, blocks, mutes (and their
// undoing) and mass changes among a few dozen users, each appended to the partition of
// the user who acts, as the server routes it, and carried to every partition it
// concerns before the next is appended; then every user's home timeline (read on the
// user's partition), follow lists and counts must agree exactly with TimelineModel
// built from the same events: the answers a single node gives. And so they must when
// every derived event comes twice, the second time after later events (a partition
// that consumes its stream again, beyond the duplicate window, derives it again).
//
// One at a time, because writes racing across partitions do not yet converge to the
// model in every case: a follow revived on the follower's partition before the copy
// of a block's removal reaches it keeps the old position; a timeline rebuilt from a
// new followee's tweets before the followee's partition has the follow misses the
// retraction of a tweet deleted meanwhile.
//
// Nor would mass changes racing other writes: a mass change (conditional on an edge's
// state) and a copy of an older write to one of its pairs can reach a partition in
// either order, and the graph store's last-write-wins keeps one state per edge, not
// the direct write a late copy must be judged against, so two partitions can end apart.
#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ingest/pipeline.h"
#include "ingest/pipeline_timeline_source.h"
#include "roost/v1/events.pb.h"
#include "tests/common/test_dir.h"
#include "tests/log/memory_log.h"
#include "tests/pipeline/timeline_model.h"

namespace roost::ingest {
namespace {

namespace v1 = ::roost::v1;
namespace events = ::roost::v1::events;
using roost::testing::MassFrom;
using roost::testing::MassTo;
using roost::testing::ModelGraph;
using roost::testing::ModelMass;
using roost::testing::ModelState;
using roost::testing::ModelWrite;
using roost::testing::RandomModelWrite;
using roost::testing::TimelineModel;

constexpr uint32_t kPartitions = 3;
constexpr size_t kCapacity = 30;  // small, so the cap and refills are exercised
constexpr UserId kUsers = 24;

class LocalCluster;

// What a partition's pipeline reaches of the others: appends to their logs.
class InProcessScope : public PartitionScope {
 public:
  InProcessScope(LocalCluster* cluster, uint32_t partition)
      : cluster_(cluster), partition_(partition) {}
  uint32_t partition() const override { return partition_; }
  uint32_t partitions() const override { return kPartitions; }
  uint32_t PartitionOf(UserId user) const override {
    return static_cast<uint32_t>(user % kPartitions);
  }
  void Publish(uint32_t target, std::string id, std::string event) override;
  absl::Status Flush(absl::Time deadline) override { return absl::OkStatus(); }

 private:
  LocalCluster* const cluster_;
  const uint32_t partition_;
};

struct Partition {
  std::shared_ptr<log::testing::MemoryLog::Records> records =
      std::make_shared<log::testing::MemoryLog::Records>();
  std::unique_ptr<log::testing::MemoryLog> log;
  std::unique_ptr<tweetstore::TweetStore> tweets;
  std::unique_ptr<graph::GraphStore> graph;
  std::unique_ptr<StoreTimelineSource> local_source;
  std::unique_ptr<PartitionTimelineSource> source;
  std::unique_ptr<timelines::HomeTimelines> timelines;
  std::unique_ptr<InProcessScope> scope;
  std::unique_ptr<Pipeline> pipeline;
};

class LocalCluster {
 public:
  explicit LocalCluster(const std::string& dir) {
    for (uint32_t p = 0; p < kPartitions; ++p) {
      auto part = std::make_unique<Partition>();
      const std::string base = absl::StrCat(dir, "/p", p);
      std::filesystem::create_directories(base);
      part->log = std::make_unique<log::testing::MemoryLog>(part->records);
      part->tweets = *tweetstore::TweetStore::Open(base + "/tweets", {});
      part->graph = *graph::GraphStore::Open(base + "/graph", {});
      part->local_source =
          std::make_unique<StoreTimelineSource>(part->graph.get(), part->tweets.get());
      part->scope = std::make_unique<InProcessScope>(this, p);
      // An author's tweets are read on the author's partition (across machines, from
      // its owner).
      part->source = std::make_unique<PartitionTimelineSource>(
          part->local_source.get(), part->scope.get(),
          [this](UserId author, TweetId before, size_t limit) {
            return of(author).local_source->RecentTweets(author, before, limit);
          },
          [this](absl::Span<const UserId> authors, TweetId before,
                 size_t limit) -> absl::StatusOr<std::vector<std::vector<timelines::Entry>>> {
            std::vector<std::vector<timelines::Entry>> lists;
            for (UserId author : authors) {
              absl::StatusOr<std::vector<timelines::Entry>> recent =
                  of(author).local_source->RecentTweets(author, before, limit);
              if (!recent.ok()) return recent.status();
              lists.push_back(*std::move(recent));
            }
            return lists;
          });
      timelines::HomeTimelinesOptions options;
      options.max_entries = kCapacity;
      part->timelines = std::make_unique<timelines::HomeTimelines>(options, part->source.get());
      parts_.push_back(std::move(part));
    }
  }
  ~LocalCluster() {
    for (auto& part : parts_) part->pipeline.reset();
  }

  void Start() {
    for (auto& part : parts_) {
      PipelineParts parts{
          part->log.get(), part->tweets.get(), part->graph.get(),       part->timelines.get(),
          nullptr,         part->scope.get(),  part->local_source.get()};
      PipelineOptions options;
      options.worker_threads = 2;
      auto pipeline = Pipeline::Start(parts, options);
      ASSERT_TRUE(pipeline.ok()) << pipeline.status();
      part->pipeline = *std::move(pipeline);
    }
  }

  Partition& of(UserId user) { return *parts_[user % kPartitions]; }
  Partition& partition(uint32_t p) { return *parts_[p]; }

  // Appends once per id and target (JetStream deduplicates by id within a stream);
  // with `repeat`, appends it again at the end of the next Settle, after what came
  // meanwhile, as a partition replaying its stream beyond the duplicate window does.
  void AppendDerived(uint32_t target, const std::string& id, std::string event) {
    {
      absl::MutexLock lock(&mu_);
      if (!derived_ids_.insert({target, id}).second) return;
      if (repeat_) repeats_.push_back({target, event});
    }
    ASSERT_TRUE(parts_[target]->log->Append(std::move(event)).ok());
  }
  void RepeatDerivations() {
    absl::MutexLock lock(&mu_);
    repeat_ = true;
  }

  // Waits until every partition has applied its whole log and no derivation added to
  // any log meanwhile; then appends the repeated derivations, and waits again.
  void Settle() {
    for (int round = 0; round < 100; ++round) {
      std::vector<LogOffset> ends;
      for (auto& part : parts_) ends.push_back(part->log->durable_offset());
      for (size_t p = 0; p < parts_.size(); ++p) {
        ASSERT_TRUE(parts_[p]->pipeline->WaitForApplied(ends[p], absl::Now() + absl::Seconds(30)))
            << "partition " << p << " applied " << parts_[p]->pipeline->applied_offset() << " of "
            << ends[p];
      }
      bool grew = false;
      for (size_t p = 0; p < parts_.size(); ++p) {
        grew |= parts_[p]->log->durable_offset() != ends[p];
      }
      if (grew) continue;
      std::vector<std::pair<uint32_t, std::string>> repeats;
      {
        absl::MutexLock lock(&mu_);
        repeats.swap(repeats_);
      }
      if (repeats.empty()) return;
      for (auto& [target, event] : repeats) {
        ASSERT_TRUE(parts_[target]->log->Append(std::move(event)).ok());
      }
    }
    FAIL() << "the partitions never settled";
  }

 private:
  std::vector<std::unique_ptr<Partition>> parts_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::pair<uint32_t, std::string>> derived_ids_ ABSL_GUARDED_BY(mu_);
  bool repeat_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::pair<uint32_t, std::string>> repeats_ ABSL_GUARDED_BY(mu_);
};

void InProcessScope::Publish(uint32_t target, std::string id, std::string event) {
  cluster_->AppendDerived(target, id, std::move(event));
}

// The random writes, applied to the model and appended to the acting user's partition.
class Workload {
 public:
  Workload(LocalCluster* cluster, uint32_t seed) : cluster_(cluster), random_(seed) {}

  void Step() {
    const ModelWrite write = RandomModelWrite(random_, /*mass_percent=*/3);
    if (write.kind == ModelWrite::kPost) return Post();
    if (write.kind == ModelWrite::kDelete) return Delete();
    if (write.kind == ModelWrite::kMass) return Mass(write.graph, write.mass);
    return Edge(write.graph, write.normal);
  }
  const TimelineModel& model() const { return model_; }

 private:
  uint64_t Uniform(uint64_t n) {
    return std::uniform_int_distribution<uint64_t>(0, n - 1)(random_);
  }
  UserId User() { return 1 + Uniform(kUsers); }

  void Append(UserId actor, events::Event event) {
    event.set_event_id(++time_);
    ASSERT_TRUE(cluster_->of(actor).log->Append(event.SerializeAsString()).ok());
  }
  void Post() {
    const UserId author = User();
    events::Event event;
    events::TweetPosted* post = event.mutable_tweet_posted();
    post->set_tweet_id(time_ + 1);
    post->set_author_id(author);
    post->set_text("t");
    model_.Post(time_ + 1, author);
    Append(author, std::move(event));
  }
  void Delete() {
    const std::map<uint64_t, uint64_t> tweets = model_.AllTweets();
    if (tweets.empty()) return;
    auto it = tweets.begin();
    std::advance(it, static_cast<long>(Uniform(tweets.size())));
    events::Event event;
    event.mutable_tweet_deleted()->set_tweet_id(it->first);
    event.mutable_tweet_deleted()->set_author_id(it->second);
    model_.Delete(it->first);
    Append(it->second, std::move(event));
  }
  void Edge(ModelGraph graph, bool normal) {
    const UserId source = User(), destination = User();
    if (source == destination) return;
    if (!model_.SetEdge(graph, source, destination, normal, time_ + 1)) return;  // refused
    events::Event event;
    events::EdgeChanged* edge = event.mutable_edge_changed();
    edge->set_graph(static_cast<v1::GraphKind>(graph));
    edge->set_source_id(source);
    edge->set_destination_id(destination);
    edge->set_state(normal ? v1::NORMAL : v1::REMOVED);
    Append(source, std::move(event));
  }
  void Mass(ModelGraph graph, ModelMass mass) {
    const UserId user = User();
    events::Event event;
    events::EdgesMassChanged* m = event.mutable_edges_mass_changed();
    m->set_graph(static_cast<v1::GraphKind>(graph));
    m->set_user_id(user);
    for (ModelState from : MassFrom(mass)) m->add_from_states(static_cast<v1::EdgeState>(from));
    m->set_to_state(static_cast<v1::EdgeState>(MassTo(mass)));
    model_.MassChange(graph, user, MassFrom(mass), MassTo(mass), time_ + 1);
    Append(user, std::move(event));
  }
  LocalCluster* const cluster_;
  std::mt19937_64 random_;
  TimelineModel model_{kCapacity};
  uint64_t time_ = 1000;
};

std::vector<uint64_t> ReadHome(LocalCluster& cluster, UserId user) {
  absl::StatusOr<timelines::ReadResult> read =
      cluster.of(user).timelines->Read(user, 0, 0, kCapacity);
  EXPECT_TRUE(read.ok()) << read.status();
  std::vector<uint64_t> ids;
  if (read.ok()) {
    for (const timelines::Entry& e : read->entries) ids.push_back(e.id);
  }
  return ids;
}

void ExpectMatchesModel(LocalCluster& cluster, const TimelineModel& model, uint32_t seed) {
  for (UserId user = 1; user <= kUsers; ++user) {
    const auto verdict = model.CheckHome(user, ReadHome(cluster, user));
    EXPECT_TRUE(verdict.ok) << "seed " << seed << ", partition " << user % kPartitions << ": "
                            << verdict.error;
    graph::GraphStore& graph = *cluster.of(user).graph;
    for (const bool forward : {true, false}) {
      const auto direction = forward ? graph::Direction::kForward : graph::Direction::kBackward;
      absl::StatusOr<std::vector<UserId>> list =
          graph.SelectAll(graph::kFollows, user, direction, graph::kNormalOnly);
      ASSERT_TRUE(list.ok()) << list.status();
      const std::vector<uint64_t> got(list->begin(), list->end());
      EXPECT_EQ(got, model.List(ModelGraph::kFollows, user, forward))
          << "seed " << seed << ": user " << user << (forward ? " follows" : " is followed by");
      for (ModelState state : roost::testing::kModelStates) {
        absl::StatusOr<uint64_t> count =
            graph.Count(graph::kFollows, user, direction,
                        graph::StateBit(static_cast<graph::EdgeState>(state)));
        ASSERT_TRUE(count.ok());
        EXPECT_EQ(*count, model.Count(ModelGraph::kFollows, user, forward, state))
            << "seed " << seed << ": user " << user << " count, state " << static_cast<int>(state);
      }
    }
  }
}

// A seed, and whether every derived event is appended twice.
class ClusterPipelineTest : public ::testing::TestWithParam<std::tuple<uint32_t, bool>> {};

TEST_P(ClusterPipelineTest, EveryPartitionAgreesWithTheModel) {
  const auto [seed, repeat] = GetParam();
  const std::string dir = roost::testing::FreshTestDir("cluster_pipeline");
  {
    LocalCluster cluster(dir);
    if (repeat) cluster.RepeatDerivations();
    cluster.Start();
    Workload workload(&cluster, seed);
    // Half the users read their home early, so the pipeline keeps it from then on;
    // the others' are rebuilt by the read at the end.
    for (UserId user = 1; user <= kUsers; user += 2) ReadHome(cluster, user);
    for (int step = 0; step < 800; ++step) {
      workload.Step();
      cluster.Settle();
      if (step % 200 == 199) ExpectMatchesModel(cluster, workload.model(), seed);
    }
    cluster.Settle();
    ExpectMatchesModel(cluster, workload.model(), seed);
  }
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ClusterPipelineTest,
                         ::testing::Combine(::testing::Range<uint32_t>(1, 17), ::testing::Bool()));

}  // namespace
}  // namespace roost::ingest
