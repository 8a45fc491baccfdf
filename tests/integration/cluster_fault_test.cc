// A Roost cluster of real processes (cluster_fixture.h) under faults: a node killed
// (under load too), or wiped, comes back with exactly what was acknowledged and clean
// graph stores; a killed nats-server loses no acknowledged write; a node that consumes
// its streams again from earlier sequences derives nothing twice and changes nothing.
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "jetstream/connection.h"
#include "jetstream/jetstream_log.h"
#include "log/log_reader.h"
#include "roost/v1/events.pb.h"
#include "tests/integration/cluster_fixture.h"

namespace roost::testing {
namespace {

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
          ++seen[absl::StrCat(origin, d.retract() ? "retraction" : "delivery", " of ", d.tweet_id(),
                              " to ", user)];
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
    const ProcessOutcome verify =
        RunProcess({ROOSTCTL_PATH, "graph", "verify", "--data-dir=" + cluster_->data_dir(i)},
                   absl::Now() + absl::Seconds(60));
    EXPECT_EQ(verify.code, 0) << "node " << i + 1 << ": " << verify.output;
    EXPECT_THAT(verify.output, HasSubstr(absl::StrCat("partition ", i, ": ok")));
    const absl::Status started = cluster_->StartNode(i);
    ASSERT_TRUE(started.ok()) << started;
  }
  AwaitAllNodes();
}

}  // namespace
}  // namespace roost::testing
