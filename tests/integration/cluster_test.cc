// A Roost cluster of real processes (3 nats-server, 3 roostd, 8 partitions on R3
// streams), through gRPC only: any node serves any call; the cluster agrees with the
// model a single node is held to; a node killed (under load too), or wiped, comes back
// with exactly what was acknowledged and clean graph stores; a node that consumes its
// streams again from earlier sequences appends nothing twice and changes nothing; bad
// cluster files and unreachable servers get one-line errors.
//
// Writes go to random nodes. Between writes the test waits until every partition has
// applied everything appended to it, including what the others derived for it
// (Settle): writes racing across partitions can end in another state than the model's
// in some orders (tests/pipeline/cluster_pipeline_test.cc names them), and so can mass
// changes racing other writes. Event ids are times of different processes: writes a
// millisecond apart (a settle takes longer) order the same by id as by call, as the model assumes.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cluster/cluster_map.h"
#include "common/subprocess.h"
#include "jetstream/connection.h"
#include "jetstream/jetstream_log.h"
#include "log/log_reader.h"
#include "roost/v1/events.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loadgen/roost_cluster.h"
#include "tests/integration/roostd_client.h"
#include "tests/pipeline/timeline_model.h"

namespace roost::testing {
namespace {

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
    options.roostd_flags = {absl::StrCat("--timeline-max-entries=", kCapacity)};
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

  // A user of partition `p` (its reads wait for that partition's positions).
  static uint64_t UserOn(uint32_t p) {
    for (uint64_t user = 1'000'000;; ++user) {
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
  static loadgen::RoostCluster* cluster_;
  static std::string* dir_;
  static absl::Status* started_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::mt19937_64 random_{7};
};

loadgen::RoostCluster* ClusterTest::cluster_ = nullptr;
std::string* ClusterTest::dir_ = nullptr;
absl::Status* ClusterTest::started_ = nullptr;

TEST_F(ClusterTest, AnyNodeServesEveryCall) {
  // A reader on one partition follows authors on every other.
  const uint64_t reader = UserOn(0);
  std::vector<uint64_t> posted;
  for (uint32_t p = 1; p < kPartitions; ++p) {
    const uint64_t author = UserOn(p);
    node(p % 3).MustEdge(true, v1::FOLLOWS, reader, author);
    Settle();
    posted.insert(posted.begin(), node((p + 1) % 3).MustPost(author, "hello").first);
    Settle();
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(node(i).HomeIds(reader, 0), posted) << "through node " << i + 1;
    v1::GetResponse got;
    ASSERT_TRUE(node(i).Get(posted, &got).ok());
    ASSERT_EQ(got.tweets_size(), static_cast<int>(posted.size()));
    for (size_t t = 0; t < posted.size(); ++t) EXPECT_EQ(got.tweets(t).id(), posted[t]);
    EXPECT_EQ(node(i).Count(v1::FOLLOWS, reader, v1::FORWARD, 0), kPartitions - 1);
    EXPECT_EQ(node(i).Count(v1::FOLLOWS, UserOn(3), v1::BACKWARD, 0), 1u);
  }
  const v1::StatsResponse stats = node(2).Stats();
  ASSERT_EQ(stats.partitions_size(), kPartitions);
  for (int p = 0; p < kPartitions; ++p) {
    EXPECT_EQ(stats.partitions(p).partition(), static_cast<uint32_t>(p));
    EXPECT_EQ(stats.partitions(p).owner(), static_cast<uint32_t>(p % 3 + 1));
  }
  EXPECT_THAT(stats.unavailable_nodes(), IsEmpty());
}

// A page of `user`'s home through `client`, after what `token`'s write caused.
std::vector<uint64_t> HomeAfter(Client& client, uint64_t user, const std::string& token) {
  v1::HomeRequest req;
  req.set_user_id(user);
  req.set_limit(200);
  req.set_token(token);
  v1::TimelinePage page;
  const grpc::Status status = client.timelines()->Home(Client::Ctx().get(), req, &page);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return {page.ids().begin(), page.ids().end()};
}

std::string EdgeToken(Client& client, uint64_t source, uint64_t destination) {
  v1::EdgeRequest req;
  req.set_graph(v1::FOLLOWS);
  req.set_source_id(source);
  req.set_destination_id(destination);
  v1::WriteResponse resp;
  const grpc::Status status = client.graph()->Add(Client::Ctx().get(), req, &resp);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return resp.token();
}

TEST_F(ClusterTest, TokensReadTheirWritesOnAnyNode) {
  // Followers and authors on different partitions; nothing settles in between.
  for (uint32_t p = 0; p < kPartitions; ++p) {
    const uint64_t follower = UserOn(p) + 2'000'000, author = UserOn((p + 3) % kPartitions);
    Client& writer = node(p % 3);
    Client& reader = node((p + 1) % 3);
    // A post reaches a follower's home on another partition.
    EdgeToken(writer, follower, author);
    v1::PostResponse post;
    ASSERT_TRUE(writer.Post(author, "first", &post).ok());
    EXPECT_THAT(HomeAfter(reader, follower, post.token()), ::testing::Contains(post.tweet_id()))
        << "partition " << p;
    // A new follower's home shows what the author posted before (two steps: the
    // follow's copy on the author's partition, the author's tweets back).
    const uint64_t late = follower + 1'000;
    const std::string followed = EdgeToken(writer, late, author);
    EXPECT_THAT(HomeAfter(node((p + 2) % 3), late, followed), ::testing::Contains(post.tweet_id()))
        << "partition " << p;
    // The author's followers list has the follower.
    v1::CountRequest count;
    count.set_graph(v1::FOLLOWS);
    count.set_user_id(author);
    count.set_direction(v1::BACKWARD);
    count.set_token(followed);
    v1::CountResponse counted;
    ASSERT_TRUE(reader.graph()->Count(Client::Ctx().get(), count, &counted).ok());
    EXPECT_GE(counted.count(), 2u);
    // A delete leaves the homes.
    v1::DeleteRequest del;
    del.set_author_id(author);
    del.set_tweet_id(post.tweet_id());
    v1::DeleteResponse deleted;
    ASSERT_TRUE(writer.tweets()->Delete(Client::Ctx().get(), del, &deleted).ok());
    EXPECT_THAT(HomeAfter(reader, follower, deleted.token()),
                ::testing::Not(::testing::Contains(post.tweet_id())));
    EXPECT_THAT(HomeAfter(reader, late, deleted.token()),
                ::testing::Not(::testing::Contains(post.tweet_id())));
  }
  // A token that is not one is refused.
  v1::HomeRequest req;
  req.set_user_id(1);
  req.set_token("yesterday");
  v1::TimelinePage page;
  EXPECT_EQ(node(0).timelines()->Home(Client::Ctx().get(), req, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_token("99:1");
  EXPECT_EQ(node(0).timelines()->Home(Client::Ctx().get(), req, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ClusterTest, AgreesWithTheModel) {
  RunWorkload(300);
  ExpectMatchesModel("after 300 writes");
}

TEST_F(ClusterTest, KilledNodeResumesFromItsStreams) {
  RunWorkload(150);
  cluster_->KillNode(1);
  // A call on a partition node 2 owns, through another node, fails fast, naming it.
  const uint64_t user = UserOn(1);
  v1::TimelinePage page;
  const absl::Time start = absl::Now();
  const grpc::Status status = node(0).Home(user, 0, &page, 20);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(),
              HasSubstr("partition 1's owner, node 2 at " + cluster_->address(1)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  const absl::Status restarted = cluster_->StartNode(1);
  ASSERT_TRUE(restarted.ok()) << restarted;
  AwaitAllNodes();
  Settle();
  ExpectMatchesModel("after node 2 was killed and restarted");
  RunWorkload(100);
  ExpectMatchesModel("after 100 more writes");
}

TEST_F(ClusterTest, WipedNodeRebuildsFromItsStreams) {
  RunWorkload(200);
  EXPECT_EQ(cluster_->StopNode(2), 0);
  std::filesystem::remove_all(cluster_->data_dir(2));
  const absl::Status restarted = cluster_->StartNode(2);
  ASSERT_TRUE(restarted.ok()) << restarted;
  AwaitAllNodes();
  Settle();
  ExpectMatchesModel("after node 3's data dir was wiped");
}

TEST_F(ClusterTest, KilledNatsServerLosesNoAcknowledgedWrite) {
  // Posts with request ids through random nodes, each retried with its id until it is
  // acknowledged (bounded); a NATS server is SIGKILLed a third of the way in and
  // started again at two thirds.
  constexpr int kPosts = 150;
  std::map<uint64_t, std::vector<uint64_t>> acknowledged;  // author -> tweet ids
  for (int i = 0; i < kPosts; ++i) {
    if (i == kPosts / 3) cluster_->nats().server(0).Kill();
    if (i == 2 * kPosts / 3) {
      loadgen::NatsServer& server = cluster_->nats().server(0);
      const absl::Status restarted = server.Start(server.config());
      ASSERT_TRUE(restarted.ok()) << restarted;
    }
    const uint64_t author = FirstUser() + i % kUsers;
    const std::string request = absl::StrCat("post-", i);
    v1::PostResponse resp;
    grpc::Status status;
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    do {
      status = AnyNode().Post(author, "t", &resp, request);
    } while (!status.ok() && absl::Now() < give_up);
    ASSERT_TRUE(status.ok()) << "post " << i << ": " << status.error_message();
    acknowledged[author].push_back(resp.tweet_id());
  }
  AwaitAllNodes();
  Settle();
  for (const auto& [author, ids] : acknowledged) {
    v1::TimelinePage page;
    ASSERT_TRUE(AnyNode().User(author, 0, &page, 200).ok());
    const std::vector<uint64_t> got(page.ids().begin(), page.ids().end());
    for (uint64_t id : ids) {
      EXPECT_THAT(got, ::testing::Contains(id)) << "author " << author << " lost tweet " << id;
    }
    // A retry whose first attempt was stored after all posted nothing more.
    EXPECT_EQ(got.size(), ids.size()) << "author " << author;
  }
}

// The logical events other partitions derived into partition `p`'s stream that are
// there more than once: an edge or mass change copied, an author shown to a user, a
// tweet delivered to (or retracted from) one user, each keyed by its origin (source
// partition and offset). Read from the stream itself.
std::vector<std::string> DerivedTwice(const std::vector<std::string>& nats,
                                      const cluster::ClusterMap& map, uint32_t p) {
  jetstream::ConnectionOptions options;
  options.servers = nats;
  absl::StatusOr<std::unique_ptr<jetstream::Connection>> connection =
      jetstream::Connection::Connect(options);
  EXPECT_TRUE(connection.ok()) << connection.status();
  if (!connection.ok()) return {"no connection"};
  jetstream::JetStreamLogOptions log_options;
  log_options.stream = map.StreamName(p);
  log_options.subject = map.Subject(p);
  absl::StatusOr<std::unique_ptr<jetstream::JetStreamLog>> log =
      jetstream::OpenJetStreamLog(connection->get(), log_options);
  EXPECT_TRUE(log.ok()) << log.status();
  if (!log.ok()) return {"no stream"};
  const LogOffset end = (*log)->WaitForDurable(0, absl::Now());
  absl::StatusOr<std::unique_ptr<log::LogReader>> reader = (*log)->NewReader(1);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return {"no reader"};
  std::map<std::string, int> seen;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (LogOffset read = 0; read < end && absl::Now() < deadline;) {
    std::vector<log::LogRecord> batch;
    EXPECT_TRUE((*reader)->ReadBatch(512, deadline, &batch).ok());
    for (const log::LogRecord& record : batch) {
      read = record.offset;
      v1::events::Event event;
      EXPECT_TRUE(event.ParseFromString(record.payload)) << "offset " << record.offset;
      if (!event.has_origin()) continue;  // a client's write
      const std::string origin =
          absl::StrCat("from ", event.origin().partition(), ":", event.origin().offset(), " ");
      if (event.has_home_delivery()) {
        const v1::events::HomeDelivery& d = event.home_delivery();
        for (uint64_t user : d.user_ids()) {
          ++seen[absl::StrCat(origin, d.retract() ? "retraction" : "delivery", " of ",
                              d.tweet_id(), " to ", user)];
        }
      } else if (event.has_author_shown()) {
        ++seen[absl::StrCat(origin, "author ", event.author_shown().author_id(), " shown to ",
                            event.author_shown().user_id())];
      } else {
        ++seen[absl::StrCat(origin, "copy")];
      }
    }
  }
  EXPECT_GE(seen.size(), 1u) << "partition " << p << " holds no derived event";
  std::vector<std::string> twice;
  for (const auto& [key, count] : seen) {
    if (count > 1) twice.push_back(absl::StrCat(key, " (", count, " times)"));
  }
  return twice;
}

TEST_F(ClusterTest, ReconsumingStreamsFromEarlierSequencesChangesNothing) {
  RunWorkload(60);
  // A copy of node 3's data dir as it is now...
  EXPECT_EQ(cluster_->StopNode(2), 0);
  const std::string saved = *dir_ + "/node3-earlier";
  std::filesystem::copy(cluster_->data_dir(2), saved, std::filesystem::copy_options::recursive);
  ASSERT_TRUE(cluster_->StartNode(2).ok());
  AwaitAllNodes();
  RunWorkload(60);
  // ...put back: its partitions consume their streams again from the sequences the
  // copy recorded, and derive again everything they derived since. (What is derived
  // depends on timing too: a post's follower list may hold a follow that came after
  // it, or an edge a pending mass change has not reached; such a derivation is new,
  // and the model check shows its partition decides it as the log's order says.)
  EXPECT_EQ(cluster_->StopNode(2), 0);
  std::filesystem::remove_all(cluster_->data_dir(2));
  std::filesystem::rename(saved, cluster_->data_dir(2));
  const absl::Status restarted = cluster_->StartNode(2);
  ASSERT_TRUE(restarted.ok()) << restarted;
  AwaitAllNodes();
  Settle();
  absl::StatusOr<cluster::ClusterMap> map = cluster::ClusterMap::Load(cluster_->cluster_file());
  ASSERT_TRUE(map.ok()) << map.status();
  for (uint32_t p = 0; p < kPartitions; ++p) {
    EXPECT_THAT(DerivedTwice(cluster_->nats().urls(), *map, p), IsEmpty()) << "partition " << p;
  }
  ExpectMatchesModel("after node 3 consumed its streams again");
}

TEST_F(ClusterTest, NodeKilledUnderLoadLosesNothingAndVerifiesClean) {
  RunWorkload(60);
  // The load: authors apart from the model's users, each followed by two of the
  // others (on other partitions), posting with request ids through every node in turn,
  // each post retried with its id until acknowledged (bounded).
  constexpr int kAuthors = 12, kPosts = 240;
  const uint64_t first = FirstUser() + 500;
  TimelineModel load_model(kCapacity);
  for (uint64_t a = 0; a < kAuthors; ++a) {
    for (uint64_t k : {1, 5}) {
      const uint64_t follower = first + (a + k) % kAuthors;
      node(a % 3).MustEdge(true, v1::FOLLOWS, follower, first + a);
      load_model.SetEdge(ModelGraph::kFollows, follower, first + a, true, ++time_);
    }
  }
  absl::Mutex mu;
  int acknowledged = 0;
  std::vector<std::pair<uint64_t, uint64_t>> posted;  // (tweet, author), in order
  std::thread load([&] {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < cluster_->nodes(); ++i) {
      clients.push_back(std::make_unique<Client>(
          grpc::CreateChannel(cluster_->address(i), grpc::InsecureChannelCredentials())));
    }
    for (int i = 0; i < kPosts; ++i) {
      const uint64_t author = first + i % kAuthors;
      v1::PostResponse resp;
      grpc::Status status;
      const absl::Time give_up = absl::Now() + absl::Seconds(60);
      int attempt = 0;
      do {
        status = clients[(i + attempt++) % clients.size()]->Post(
            author, "t", &resp, absl::StrCat("load-", test_number_, "-", i));
      } while (!status.ok() && absl::Now() < give_up);
      EXPECT_TRUE(status.ok()) << "post " << i << ": " << status.error_message();
      absl::MutexLock lock(&mu);
      ++acknowledged;
      if (status.ok()) posted.push_back({resp.tweet_id(), author});
    }
  });
  // SIGKILL node 2 once a quarter of the load is acknowledged, and start it again at once.
  {
    absl::MutexLock lock(&mu);
    const auto quarter = [&acknowledged]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return acknowledged >= kPosts / 4;
    };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&quarter), absl::Seconds(60)));
  }
  cluster_->KillNode(1);
  const absl::Status restarted = cluster_->StartNode(1);
  load.join();
  ASSERT_TRUE(restarted.ok()) << restarted;
  AwaitAllNodes();
  Settle();
  for (const auto& [tweet, author] : posted) load_model.Post(tweet, author);
  for (uint64_t user = first; user < first + kAuthors; ++user) {
    v1::TimelinePage page;
    ASSERT_TRUE(AnyNode().User(user, 0, &page, 200).ok());
    EXPECT_EQ(std::vector<uint64_t>(page.ids().begin(), page.ids().end()),
              load_model.AuthorTweets(user))
        << "author " << user << ": every acknowledged post, once";
    const HomeVerdict verdict = load_model.CheckHome(user, AnyNode().HomeIds(user, 0));
    EXPECT_TRUE(verdict.ok) << "user " << user << ": " << verdict.error;
  }
  ExpectMatchesModel("after node 2 was killed under load");
  // Every node's graph stores verify clean (each node stopped for it, then started).
  for (int i = 0; i < cluster_->nodes(); ++i) {
    EXPECT_EQ(cluster_->StopNode(i), 0);
    const ProcessOutcome verify = RunProcess(
        {ROOSTCTL_PATH, "graph", "verify", "--data-dir=" + cluster_->data_dir(i)},
        absl::Now() + absl::Seconds(60));
    EXPECT_EQ(verify.code, 0) << "node " << i + 1 << ": " << verify.output;
    EXPECT_THAT(verify.output, HasSubstr(absl::StrCat("partition ", i, ": ok")));
    const absl::Status started = cluster_->StartNode(i);
    ASSERT_TRUE(started.ok()) << started;
  }
  AwaitAllNodes();
}

// roostd with `flags`, expected to fail at once: its exit code and its one line.
std::pair<int, std::string> FailingRoostd(const std::vector<std::string>& flags) {
  std::vector<std::string> args = {ROOSTD_PATH};
  args.insert(args.end(), flags.begin(), flags.end());
  const ProcessOutcome outcome = RunProcess(args, absl::Now() + absl::Seconds(60));
  return {outcome.code, outcome.output};
}

std::string WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

TEST_F(ClusterTest, BadClusterFilesAndServersGetOneLineErrors) {
  const std::string dir = *dir_ + "/bad";
  std::filesystem::create_directories(dir);
  const std::string data = "--data-dir=" + dir + "/data";
  std::string nats;
  for (const std::string& url : cluster_->nats().urls()) absl::StrAppend(&nats, "\"", url, "\",");
  const std::string good = absl::StrCat(
      "name: \"test\" nats_servers: [", nats.substr(0, nats.size() - 1),
      "] partitions: 8 nodes { id: 1 grpc_address: \"", cluster_->address(0), "\" }\n");
  struct Case {
    std::string name, text, node, expected;
  };
  const std::vector<Case> cases = {
      {"syntax", "name: \"test\"\npartitions: eight\n", "1", "syntax.txtpb:2:"},
      {"node", good, "9", "node id 9 is not in cluster test (its nodes are 1)"},
      {"partitions", absl::StrReplaceAll(good, {{"partitions: 8", "partitions: 16"}}), "1",
       "cluster test was created with 8 partitions but the cluster file says 16"},
      {"nats",
       absl::StrCat("name: \"test\" nats_servers: \"nats://127.0.0.1:", loadgen::FreeLoopbackPort(),
                    "\" partitions: 8 nodes { id: 1 ", "grpc_address: \"127.0.0.1:1\" }"),
       "1", "127.0.0.1"},
  };
  for (const Case& c : cases) {
    const std::string file = WriteFile(absl::StrCat(dir, "/", c.name, ".txtpb"), c.text);
    const auto [code, output] = FailingRoostd({"--cluster=" + file, "--node-id=" + c.node, data});
    EXPECT_EQ(code, 1) << c.name << ": " << output;
    EXPECT_THAT(output, HasSubstr(c.expected)) << c.name;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << c.name << ": " << output;
  }
}

}  // namespace
}  // namespace roost::testing
