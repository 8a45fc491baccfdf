// The fixture of the cluster tests: a Roost cluster of real processes (3 nats-server,
// 3 roostd, 8 partitions on R3 streams) for the tests of one binary, reached through
// gRPC only, and the model's workload run against it.
//
// Writes go to random nodes. Between writes the fixture waits until every partition
// has applied everything appended to it, including what the others derived for it
// (Settle): writes racing across partitions can end in another state than the model's
// in some orders (tests/pipeline/cluster_pipeline_test.cc names them), and so can mass
// changes racing other writes. Event ids are times of different processes: writes a
// millisecond apart (a settle takes longer) order the same by id as by call, as the
// model assumes.
#ifndef ROOST_TESTS_INTEGRATION_CLUSTER_FIXTURE_H_
#define ROOST_TESTS_INTEGRATION_CLUSTER_FIXTURE_H_

#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cluster/cluster_map.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loadgen/roost_cluster.h"
#include "tests/integration/roostd_client.h"
#include "tests/pipeline/timeline_model.h"

namespace roost::testing {

constexpr int kPartitions = 8;
constexpr size_t kCapacity = 40;  // --timeline-max-entries: small, so the cap acts
constexpr uint64_t kUsers = 24;   // the workload's users (FirstUser() on)

class ClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(FreshDir("cluster"));
    started_ = new absl::Status();
    cluster_ = new loadgen::RoostCluster();
    loadgen::RoostClusterOptions options;
    options.roostd = ROOSTD_PATH;
    options.dir = *dir_;
    options.partitions = kPartitions;
    options.roostd_flags = {absl::StrCat("--timeline-max-entries=", kCapacity),
                            "--metrics-listen=127.0.0.1:0"};
    *started_ = cluster_->Start(options);
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
    std::filesystem::remove_all(*dir_);
    delete dir_;
    delete started_;
  }

  void SetUp() override {
    static int tests = 0;
    test_number_ = ++tests;
    // Here rather than in SetUpTestSuite, where a failure would only skip the tests.
    ASSERT_TRUE(started_->ok()) << *started_;
    for (int i = 0; i < cluster_->nodes(); ++i) {
      clients_.push_back(std::make_unique<Client>(
          grpc::CreateChannel(cluster_->address(i), grpc::InsecureChannelCredentials())));
    }
  }

  Client& node(int i) { return *clients_[i]; }
  Client& AnyNode() {
    return *clients_[std::uniform_int_distribution<size_t>(0, clients_.size() - 1)(random_)];
  }

  // A user of partition `p` (its reads wait for that partition's positions), the
  // first from `from` on.
  static uint64_t UserOn(uint32_t p, uint64_t from = 1'000'000) {
    for (uint64_t user = from;; ++user) {
      if (cluster::UserPartition(user, kPartitions) == p) return user;
    }
  }

  // Waits until node 1 answers and reaches every node again after a restart (its
  // channels retry within a second; there is no event to wait for). A call on a
  // channel to a node that was just restarted may fail once.
  void AwaitAllNodes() {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      v1::StatsResponse stats;
      if (node(0).admin()->Stats(Client::Ctx().get(), v1::StatsRequest(), &stats).ok() &&
          stats.partitions_size() == kPartitions) {
        return;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  // Waits until every partition has applied everything appended to it, and nothing was
  // derived meanwhile: a read on each partition with its appended position waits.
  void Settle() {
    std::vector<uint64_t> before;
    for (int round = 0; round < 50; ++round) {
      const v1::StatsResponse stats = node(0).Stats();
      ASSERT_EQ(stats.partitions_size(), kPartitions) << stats.DebugString();
      std::vector<uint64_t> appended;
      for (const v1::PartitionStats& p : stats.partitions()) {
        appended.push_back(p.appended_position());
        AnyNode().Count(v1::FOLLOWS, UserOn(p.partition()), v1::FORWARD, p.appended_position());
      }
      if (appended == before) return;
      before = appended;
    }
    FAIL() << "the partitions never settled";
  }

  // One random write through a random node, recorded in the model when acknowledged.
  void Step() {
    const ModelWrite write = RandomModelWrite(random_, /*mass_percent=*/3);
    if (write.kind == ModelWrite::kPost) return Post();
    if (write.kind == ModelWrite::kDelete) return Delete();
    if (write.kind == ModelWrite::kMass) return Mass(write.graph, write.mass);
    return Edge(write.graph, write.normal);
  }
  uint64_t Uniform(uint64_t n) {
    return std::uniform_int_distribution<uint64_t>(0, n - 1)(random_);
  }
  // The tests of one process share its cluster, each with users of its own.
  uint64_t FirstUser() const { return 1000 * test_number_ + 1; }
  uint64_t RandomUser() { return FirstUser() + Uniform(kUsers); }
  void Post() {
    const uint64_t author = RandomUser();
    model_.Post(AnyNode().MustPost(author, "t").first, author);
  }
  void Delete() {
    const std::map<uint64_t, uint64_t> tweets = model_.AllTweets();
    if (tweets.empty()) return;
    auto it = tweets.begin();
    std::advance(it, static_cast<long>(Uniform(tweets.size())));
    const grpc::Status status = AnyNode().Delete(it->second, it->first);
    if (model_.IsDeleted(it->first)) {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
    } else {
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    model_.Delete(it->first);
  }
  void Edge(ModelGraph graph, bool normal) {
    const uint64_t source = RandomUser(), destination = RandomUser();
    if (source == destination) return;
    const bool accepted = model_.SetEdge(graph, source, destination, normal, ++time_);
    const grpc::Status status =
        AnyNode().Edge(normal, static_cast<v1::GraphKind>(graph), source, destination);
    if (accepted) {
      EXPECT_TRUE(status.ok()) << status.error_message();
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << source << " follows " << destination << " who blocks them";
    }
  }

  void Mass(ModelGraph graph, ModelMass mass) {
    const uint64_t user = RandomUser();
    model_.MassChange(graph, user, MassFrom(mass), MassTo(mass), ++time_);
    v1::MassRequest req;
    req.set_graph(static_cast<v1::GraphKind>(graph));
    req.set_user_id(user);
    v1::WriteResponse resp;
    v1::Graph::Stub* stub = AnyNode().graph();
    const grpc::Status status =
        mass == ModelMass::kArchive     ? stub->Archive(Client::Ctx().get(), req, &resp)
        : mass == ModelMass::kUnarchive ? stub->Unarchive(Client::Ctx().get(), req, &resp)
                                        : stub->RemoveAll(Client::Ctx().get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  // Every user's home, follow lists and counts, each through a random node, against
  // the model.
  void ExpectMatchesModel(const std::string& when) {
    for (uint64_t user = FirstUser(); user < FirstUser() + kUsers; ++user) {
      const HomeVerdict verdict = model_.CheckHome(user, AnyNode().HomeIds(user, 0));
      EXPECT_TRUE(verdict.ok) << when << ": user " << user << " (partition "
                              << cluster::UserPartition(user, kPartitions)
                              << "): " << verdict.error;
      for (const bool forward : {true, false}) {
        const v1::Direction direction = forward ? v1::FORWARD : v1::BACKWARD;
        EXPECT_EQ(AnyNode().Select(v1::FOLLOWS, user, direction, 0),
                  model_.List(ModelGraph::kFollows, user, forward))
            << when << ": user " << user << (forward ? " follows" : " is followed by");
        for (ModelState state : kModelStates) {
          EXPECT_EQ(
              AnyNode().Count(v1::FOLLOWS, user, direction, 0, {static_cast<v1::EdgeState>(state)}),
              model_.Count(ModelGraph::kFollows, user, forward, state))
              << when << ": user " << user << " count, state " << static_cast<int>(state);
        }
      }
    }
  }

  // `steps` writes, each settled; half the users read their home first, so their
  // timelines are kept live from then on (the others' are built by the last read).
  void RunWorkload(int steps) {
    for (uint64_t user = FirstUser(); user < FirstUser() + kUsers; user += 2) {
      AnyNode().HomeIds(user, 0);
    }
    for (int step = 0; step < steps; ++step) {
      Step();
      Settle();
    }
  }

  int test_number_ = 0;
  TimelineModel model_{kCapacity};
  uint64_t time_ = 0;
  inline static loadgen::RoostCluster* cluster_ = nullptr;
  inline static std::string* dir_ = nullptr;
  inline static absl::Status* started_ = nullptr;
  std::vector<std::unique_ptr<Client>> clients_;
  std::mt19937_64 random_{7};
};

// A page of `user`'s home through `client`, after what `token`'s write caused.
inline v1::TimelinePage HomePageAfter(Client& client, uint64_t user, const std::string& token,
                                      bool hydrate) {
  v1::HomeRequest req;
  req.set_user_id(user);
  req.set_limit(200);
  req.set_token(token);
  req.set_hydrate(hydrate);
  v1::TimelinePage page;
  const grpc::Status status = client.timelines()->Home(Client::Ctx().get(), req, &page);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return page;
}
inline std::vector<uint64_t> HomeAfter(Client& client, uint64_t user, const std::string& token) {
  const v1::TimelinePage page = HomePageAfter(client, user, token, /*hydrate=*/false);
  return {page.ids().begin(), page.ids().end()};
}

inline std::string EdgeToken(Client& client, uint64_t source, uint64_t destination) {
  v1::EdgeRequest req;
  req.set_graph(v1::FOLLOWS);
  req.set_source_id(source);
  req.set_destination_id(destination);
  v1::WriteResponse resp;
  const grpc::Status status = client.graph()->Add(Client::Ctx().get(), req, &resp);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return resp.token();
}

}  // namespace roost::testing

#endif  // ROOST_TESTS_INTEGRATION_CLUSTER_FIXTURE_H_
