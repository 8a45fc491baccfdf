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
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "roost/v1/feed.grpc.pb.h"
#include "tests/integration/cluster_fixture.h"

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
