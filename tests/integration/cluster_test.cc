// A Roost cluster of real processes (cluster_fixture.h), through gRPC only: any node
// serves any call; tokens read a write's effects on any node; the cluster agrees with
// the model a single node is held to, queries over users of several partitions too; a
// node's change feed streams all its partitions; bad cluster files and unreachable
// servers get one-line errors.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "loadgen/free_port.h"
#include "loadgen/grpc_target.h"
#include "roost/v1/feed.grpc.pb.h"
#include "roost/v1/partitions.grpc.pb.h"
#include "tests/integration/cluster_fixture.h"
#include "tests/integration/http_get.h"

namespace roost::testing {
namespace {

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

// A counter of the cluster's Admin.Stats (summed over the nodes).
int64_t Counter(Client& client, const std::string& name) {
  const v1::StatsResponse stats = client.Stats();
  const auto it = stats.counters().find(name);
  return it == stats.counters().end() ? 0 : it->second;
}

TEST_F(ClusterTest, HydratedHomesReadOtherPartitionsTweetsFromTheirCopies) {
  // A reader on one partition follows an author on each other one, who posts.
  const uint64_t reader = UserOn(0, 3'000'000);
  std::vector<std::string> follows;
  for (uint32_t p = 1; p < kPartitions; ++p)
    follows.push_back(EdgeToken(node(p % 3), reader, UserOn(p)));
  for (const std::string& token : follows) HomeAfter(node(0), reader, token);
  std::map<uint64_t, std::string> texts;  // by tweet id
  std::map<uint64_t, std::string> tokens;
  std::map<uint64_t, uint64_t> authors;
  for (uint32_t p = 1; p < kPartitions; ++p) {
    v1::PostResponse post;
    const std::string text = absl::StrCat("from partition ", p);
    ASSERT_TRUE(node(p % 3).Post(UserOn(p), text, &post).ok());
    texts[post.tweet_id()] = text;
    tokens[post.tweet_id()] = post.token();
    authors[post.tweet_id()] = UserOn(p);
  }
  for (const auto& [id, token] : tokens) HomeAfter(node(1), reader, token);
  const int64_t found = Counter(node(0), "tweets.copies.found");
  const int64_t missed = Counter(node(0), "tweets.copies.missed");
  for (int i = 0; i < 3; ++i) {
    const v1::TimelinePage page = HomePageAfter(node(i), reader, "", /*hydrate=*/true);
    std::map<uint64_t, std::string> shown;
    for (const v1::Tweet& tweet : page.tweets()) {
      shown[tweet.id()] = tweet.text();
      EXPECT_EQ(tweet.author_id(), authors[tweet.id()]);
    }
    EXPECT_EQ(shown, texts) << "through node " << i + 1;
  }
  // Every one was found where the reader's home is kept, none asked of its owner.
  EXPECT_EQ(Counter(node(0), "tweets.copies.found"), found + 3 * (kPartitions - 1));
  EXPECT_EQ(Counter(node(0), "tweets.copies.missed"), missed);

  // A deleted tweet is not hydrated once its retraction is applied, on any node.
  const uint64_t gone = texts.begin()->first;
  v1::DeleteRequest del;
  del.set_author_id(authors[gone]);
  del.set_tweet_id(gone);
  v1::DeleteResponse deleted;
  ASSERT_TRUE(node(2).tweets()->Delete(Client::Ctx().get(), del, &deleted).ok());
  texts.erase(gone);
  for (int i = 0; i < 3; ++i) {
    const v1::TimelinePage page = HomePageAfter(node(i), reader, deleted.token(), true);
    std::map<uint64_t, std::string> shown;
    for (const v1::Tweet& tweet : page.tweets()) shown[tweet.id()] = tweet.text();
    EXPECT_EQ(shown, texts) << "through node " << i + 1;
    EXPECT_THAT(page.ids(), ::testing::Not(::testing::Contains(gone)));
  }
}

// Home reads of `users` through `target`, each waited for.
void ReadHomes(loadgen::GrpcTarget* target, const std::vector<uint64_t>& users) {
  absl::BlockingCounter pending(static_cast<int>(users.size()));
  std::vector<absl::Status> statuses(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    loadgen::Op op;
    op.kind = loadgen::OpKind::kHome;
    op.user = users[i];
    target->Issue(op, absl::Now() + absl::Seconds(20), [&, i](loadgen::Outcome outcome) {
      statuses[i] = outcome.status;
      pending.DecrementCount();
    });
  }
  pending.Wait();
  for (const absl::Status& status : statuses) EXPECT_TRUE(status.ok()) << status;
}

TEST_F(ClusterTest, ClientsThatKnowThePartitionMapSendEachCallToItsOwner) {
  // The map any node gives is the cluster file, every owner listed.
  v1::ClusterConfig config;
  ASSERT_TRUE(node(1).admin()->Cluster(Client::Ctx().get(), v1::ClusterRequest(), &config).ok());
  absl::StatusOr<cluster::ClusterMap> map =
      cluster::ClusterMap::FromConfig(config, "Admin.Cluster");
  ASSERT_TRUE(map.ok()) << map.status();
  ASSERT_EQ(map->partitions(), static_cast<uint32_t>(kPartitions));
  ASSERT_EQ(map->nodes().size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(map->node(i + 1)->grpc_address, cluster_->address(i));
  for (uint32_t p = 0; p < kPartitions; ++p) EXPECT_EQ(map->owner(p), p % 3 + 1);

  // Given one node, a routing client reaches every owner itself; one that does not
  // has the node forward the calls on the others' partitions.
  absl::StatusOr<std::unique_ptr<loadgen::GrpcTarget>> routed =
      loadgen::GrpcTarget::Connect({cluster_->address(0), 3, "routed", true}, absl::Seconds(10));
  ASSERT_TRUE(routed.ok()) << routed.status();
  absl::StatusOr<std::unique_ptr<loadgen::GrpcTarget>> spread =
      loadgen::GrpcTarget::Connect({cluster_->address(0), 3, "spread", false}, absl::Seconds(10));
  ASSERT_TRUE(spread.ok()) << spread.status();
  std::vector<uint64_t> users;  // one of each partition
  for (uint32_t p = 0; p < kPartitions; ++p) users.push_back(UserOn(p));
  const int64_t before = Counter(node(0), "cluster.forwarded_calls");
  ReadHomes(routed->get(), users);
  EXPECT_EQ(Counter(node(0), "cluster.forwarded_calls"), before);
  ReadHomes(spread->get(), users);
  int others = 0;
  for (uint32_t p = 0; p < kPartitions; ++p) others += map->owner(p) != 1;
  EXPECT_EQ(Counter(node(0), "cluster.forwarded_calls"), before + others);
}

TEST_F(ClusterTest, AnOwnerGivesTheRecentTweetsOfManyAuthorsInOneCall) {
  // Authors on node 1's partitions (0 and 3), newest first each.
  const uint64_t a = UserOn(0, 4'000'000), b = UserOn(3, 4'000'000);
  const uint64_t a1 = node(1).MustPost(a, "a1").first, b1 = node(2).MustPost(b, "b1").first;
  const uint64_t a2 = node(0).MustPost(a, "a2").first;
  Settle();
  std::unique_ptr<v1::Partitions::Stub> partitions =
      v1::Partitions::NewStub(grpc::CreateChannel(cluster_->address(0),
                                                  grpc::InsecureChannelCredentials()));
  v1::AuthorsRecentTweetsRequest req;
  req.add_author_ids(b);
  req.add_author_ids(a);
  req.set_limit(10);
  v1::AuthorsRecentTweetsResponse resp;
  ASSERT_TRUE(partitions->AuthorsRecentTweets(Client::Ctx().get(), req, &resp).ok());
  ASSERT_EQ(resp.authors_size(), 2);
  ASSERT_EQ(resp.authors(0).entries_size(), 1);
  EXPECT_EQ(resp.authors(0).entries(0).id(), b1);
  ASSERT_EQ(resp.authors(1).entries_size(), 2);
  EXPECT_EQ(resp.authors(1).entries(0).id(), a2);
  EXPECT_EQ(resp.authors(1).entries(1).id(), a1);
  EXPECT_EQ(resp.authors(1).entries(1).author_id(), a);
  // An author it does not own, too many authors, too many tweets: refused.
  req.add_author_ids(UserOn(1, 4'000'000));
  grpc::Status status = partitions->AuthorsRecentTweets(Client::Ctx().get(), req, &resp);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("node 2 at " + cluster_->address(1)));
  v1::AuthorsRecentTweetsRequest many;
  for (int i = 0; i < 1001; ++i) many.add_author_ids(a);
  EXPECT_EQ(partitions->AuthorsRecentTweets(Client::Ctx().get(), many, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::AuthorsRecentTweetsRequest deep;
  deep.add_author_ids(a);
  deep.set_limit(10'001);
  EXPECT_EQ(partitions->AuthorsRecentTweets(Client::Ctx().get(), deep, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ClusterTest, ANodesMetricsEndpointServesEachOfItsPartitionsLabelled) {
  // The port it picked is in its output: "... on http://127.0.0.1:PORT/metrics".
  std::ifstream output(cluster_->output_file(0));
  const std::string text((std::istreambuf_iterator<char>(output)),
                         std::istreambuf_iterator<char>());
  const size_t at = text.rfind("metrics of partitions 0,3,6 on http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << text;
  const size_t port_at = text.find("127.0.0.1:", at) + std::string("127.0.0.1:").size();
  const int port = std::stoi(text.substr(port_at, text.find('/', port_at) - port_at));
  const std::string body = HttpGet(port, "/metrics");
  EXPECT_THAT(body, HasSubstr("200 OK"));
  for (const char* p : {"0", "3", "6"}) {
    EXPECT_THAT(body, HasSubstr(absl::StrCat("roost_timelines_entries{partition=\"", p, "\"}")));
  }
  EXPECT_THAT(body, ::testing::Not(HasSubstr("partition=\"1\"")));
}

TEST_F(ClusterTest, AgreesWithTheModel) {
  RunWorkload(300);
  ExpectMatchesModel("after 300 writes");
}

// Every page of a Graph.Query through `client`, and its total.
std::pair<std::vector<uint64_t>, uint64_t> QueryAll(Client& client, v1::SetOp op,
                                                    const std::vector<v1::QueryTerm>& terms,
                                                    const std::string& token = "") {
  std::vector<uint64_t> ids;
  uint64_t total = 0;
  v1::QueryRequest req;
  req.set_op(op);
  for (const v1::QueryTerm& term : terms) *req.add_terms() = term;
  req.set_limit(7);  // several pages
  req.set_with_total(true);
  req.set_token(token);
  for (int page = 0; page < 100; ++page) {
    v1::QueryResponse resp;
    const grpc::Status status = client.graph()->Query(Client::Ctx().get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    if (page == 0) total = resp.total();
    ids.insert(ids.end(), resp.ids().begin(), resp.ids().end());
    if (resp.next_cursor() == 0) break;
    req.set_cursor(resp.next_cursor());
    req.set_with_total(false);
  }
  return {ids, total};
}

TEST_F(ClusterTest, QueriesOverUsersOfSeveralPartitionsAgreeWithTheModel) {
  RunWorkload(150);
  int spanning = 0;
  for (int q = 0; q < 40; ++q) {
    std::vector<v1::QueryTerm> terms;
    std::vector<std::vector<uint64_t>> lists;  // each term's list, as the model has it
    std::set<uint32_t> partitions;
    for (uint64_t t = 0, n = 2 + Uniform(2); t < n; ++t) {
      v1::QueryTerm& term = terms.emplace_back();
      term.set_graph(v1::FOLLOWS);
      term.set_user_id(RandomUser());
      term.set_direction(Uniform(2) == 0 ? v1::FORWARD : v1::BACKWARD);
      lists.push_back(
          model_.List(ModelGraph::kFollows, term.user_id(), term.direction() == v1::FORWARD));
      partitions.insert(cluster::UserPartition(term.user_id(), kPartitions));
    }
    spanning += partitions.size() > 1;
    // INTERSECT and DIFFERENCE: the first term's ids, in its order, kept by presence
    // in the others.
    for (const bool intersect : {true, false}) {
      std::vector<uint64_t> want;
      for (uint64_t id : lists[0]) {
        bool keep = true;
        for (size_t t = 1; t < lists.size(); ++t) {
          const bool in = std::find(lists[t].begin(), lists[t].end(), id) != lists[t].end();
          if (in != intersect) keep = false;
        }
        if (keep) want.push_back(id);
      }
      const auto [got, total] =
          QueryAll(AnyNode(), intersect ? v1::INTERSECT : v1::DIFFERENCE, terms);
      EXPECT_EQ(got, want) << "query " << q << (intersect ? " intersect" : " difference");
      EXPECT_EQ(total, want.size()) << "query " << q;
    }
    // UNION: every id of every term, once.
    std::set<uint64_t> want;
    for (const std::vector<uint64_t>& list : lists) want.insert(list.begin(), list.end());
    auto [got, total] = QueryAll(AnyNode(), v1::UNION, terms);
    EXPECT_EQ(total, want.size()) << "query " << q;
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, std::vector<uint64_t>(want.begin(), want.end())) << "query " << q << " union";
  }
  EXPECT_GT(spanning, 30) << "most queries should span partitions";

  // With a follow's token, on any node, the query sees the follow; min_position,
  // which names one partition's log, is refused.
  const uint64_t a = UserOn(1) + 3'000'000, b = UserOn(2) + 3'000'000, c = UserOn(4) + 3'000'000;
  node(0).MustEdge(true, v1::FOLLOWS, a, c);
  const std::string token = EdgeToken(node(1), b, c);
  std::vector<v1::QueryTerm> terms(2);
  terms[0].set_graph(v1::FOLLOWS);
  terms[0].set_user_id(a);
  terms[1].set_graph(v1::FOLLOWS);
  terms[1].set_user_id(b);
  EXPECT_EQ(QueryAll(node(2), v1::INTERSECT, terms, token).first, std::vector<uint64_t>{c});
  v1::QueryRequest req;
  req.set_op(v1::INTERSECT);
  for (const v1::QueryTerm& term : terms) *req.add_terms() = term;
  req.set_min_position(1);
  v1::QueryResponse resp;
  const grpc::Status refused = node(0).graph()->Query(Client::Ctx().get(), req, &resp);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("token"));
}

TEST_F(ClusterTest, AFeedOfAllANodesPartitionsNamesEachEventsPartition) {
  // Node 1 owns partitions 0, 3 and 6; from their tails, posts only.
  v1::SubscribeRequest req;
  req.set_all_partitions(true);
  req.add_types("tweet_posted");
  auto context = Client::Ctx(30000);
  auto feed = v1::ChangeFeed::NewStub(
      grpc::CreateChannel(cluster_->address(0), grpc::InsecureChannelCredentials()));
  auto stream = feed->Subscribe(context.get(), req);
  stream->WaitForInitialMetadata();  // positioned: what is written next is streamed
  std::map<uint64_t, uint32_t> posted;  // tweet -> partition
  for (uint32_t p : {1u, 0u, 3u, 6u, 2u}) {
    const uint64_t author = UserOn(p);
    posted[node(p % 3).MustPost(author, "fed").first] = p;
  }
  std::set<uint32_t> seen;
  v1::ChangeEvent event;
  while (seen.size() < 3 && stream->Read(&event)) {
    ASSERT_TRUE(posted.count(event.event().tweet_posted().tweet_id())) << event.DebugString();
    const uint32_t p = posted[event.event().tweet_posted().tweet_id()];
    EXPECT_EQ(event.partition(), p);
    EXPECT_TRUE(p == 0 || p == 3 || p == 6) << "partition " << p << " is node 2's or 3's";
    seen.insert(p);
  }
  EXPECT_EQ(seen, (std::set<uint32_t>{0, 3, 6}));
  context->TryCancel();
  while (stream->Read(&event)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
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
