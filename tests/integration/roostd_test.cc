// End-to-end: a real roostd on an ephemeral loopback port, driven through gRPC only.
// The Graph service's finer points (negate, states, blocks, mutes, paged set algebra)
// are in roostd_graph_test.cc; the Client and the fixture in roostd_client.h.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roost/v1/roost.grpc.pb.h"
#include "tests/integration/roostd_client.h"
#include "tests/integration/roostd_process.h"

namespace roost::testing {
namespace {

constexpr uint64_t kAlice = 1, kBob = 2, kCarol = 3, kDave = 4;

TEST_F(RoostdTest, WalksTheWholeApiAcrossARestart) {
  StartServer();
  Client& c = *client_;

  // Follows and posts; home timelines hold own tweets and followees', newest first.
  c.MustEdge(true, v1::FOLLOWS, kAlice, kBob);
  c.MustEdge(true, v1::FOLLOWS, kAlice, kCarol);
  c.MustEdge(true, v1::FOLLOWS, kBob, kAlice);
  const auto [b1, p1] = c.MustPost(kBob, "bob one");
  const auto [c1, p2] = c.MustPost(kCarol, "carol one");
  const auto [b2, p3] = c.MustPost(kBob, "bob two");
  const auto [a1, p4] = c.MustPost(kAlice, "alice one");
  EXPECT_LT(p1, p2);
  EXPECT_LT(p3, p4);

  // The first read of a timeline rebuilds it from the stores, and says so.
  v1::TimelinePage page;
  ASSERT_TRUE(c.Home(kAlice, p4, &page, 0, 0, 0, /*hydrate=*/true).ok());
  EXPECT_TRUE(page.rebuilt());
  EXPECT_THAT(page.ids(), ElementsAre(a1, b2, c1, b1));
  ASSERT_EQ(page.tweets_size(), 4);
  EXPECT_EQ(page.tweets(1).text(), "bob two");
  EXPECT_EQ(page.tweets(1).author_id(), kBob);
  EXPECT_EQ(page.next_max_id(), 0u);

  // Read-your-writes: a post then an immediate read at its position sees it, through
  // fanout into the now-materialized timeline.
  const auto [b3, p5] = c.MustPost(kBob, "bob three");
  page.Clear();
  ASSERT_TRUE(c.Home(kAlice, p5, &page).ok());
  EXPECT_FALSE(page.rebuilt());
  EXPECT_THAT(page.ids(), ElementsAre(b3, a1, b2, c1, b1));
  EXPECT_THAT(c.HomeIds(kBob, p5), ElementsAre(b3, a1, b2, b1));

  // Paging by max_id and since_id never repeats or skips.
  std::vector<uint64_t> expected = {b3, a1, b2, c1, b1};
  uint64_t last_position = 0;
  for (int i = 0; i < 23; ++i) {
    auto [id, position] = c.MustPost(kCarol, "carol " + std::to_string(i));
    expected.insert(expected.begin(), id);
    last_position = position;
  }
  std::vector<uint64_t> paged;
  uint64_t max_id = 0;
  for (int pages = 0; pages < 10; ++pages) {
    page.Clear();
    ASSERT_TRUE(c.Home(kAlice, last_position, &page, /*limit=*/7, max_id).ok());
    paged.insert(paged.end(), page.ids().begin(), page.ids().end());
    if (page.next_max_id() == 0) break;
    max_id = page.next_max_id();
  }
  EXPECT_THAT(paged, ElementsAreArray(expected));
  page.Clear();
  ASSERT_TRUE(c.Home(kAlice, 0, &page, 200, 0, /*since_id=*/b2).ok());
  EXPECT_THAT(std::vector<uint64_t>(page.ids().begin(), page.ids().end()),
              ElementsAreArray(std::vector<uint64_t>(expected.begin(), expected.end() - 3)));

  // User timelines page too, and hydrate.
  page.Clear();
  ASSERT_TRUE(c.User(kBob, 0, &page, 2).ok());
  EXPECT_THAT(page.ids(), ElementsAre(b3, b2));
  EXPECT_EQ(page.next_max_id(), b2);
  page.Clear();
  ASSERT_TRUE(c.User(kBob, 0, &page, 2, b2).ok());
  EXPECT_THAT(page.ids(), ElementsAre(b1));
  EXPECT_EQ(page.tweets(0).text(), "bob one");

  // Get: request order, unknown ids omitted.
  v1::GetResponse got;
  ASSERT_TRUE(c.Get({c1, 999, b1}, &got).ok());
  ASSERT_EQ(got.tweets_size(), 2);
  EXPECT_EQ(got.tweets(0).id(), c1);
  EXPECT_EQ(got.tweets(1).id(), b1);

  // Delete: only the author; then gone everywhere; twice is NOT_FOUND.
  EXPECT_EQ(c.Delete(kCarol, b2).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(c.Delete(kBob, 424242).error_code(), grpc::StatusCode::NOT_FOUND);
  uint64_t delete_position = 0;
  ASSERT_TRUE(c.Delete(kBob, b2, &delete_position).ok());
  EXPECT_EQ(c.Delete(kBob, b2).error_code(), grpc::StatusCode::NOT_FOUND);
  std::vector<uint64_t> home = c.HomeIds(kAlice, delete_position);
  EXPECT_EQ(std::count(home.begin(), home.end(), b2), 0);
  got.Clear();
  ASSERT_TRUE(c.Get({b2}, &got).ok());
  EXPECT_EQ(got.tweets_size(), 0);

  // Unfollow: carol's tweets leave alice's home timeline.
  const uint64_t unfollow = c.MustEdge(false, v1::FOLLOWS, kAlice, kCarol);
  EXPECT_THAT(c.HomeIds(kAlice, unfollow), ElementsAre(b3, a1, b1));

  // Idempotent retry: the same request id posts once, before and after a restart.
  v1::PostResponse first, retry;
  ASSERT_TRUE(c.Post(kDave, "dave once", &first, "req-1").ok());
  ASSERT_TRUE(c.Post(kDave, "dave once", &retry, "req-1").ok());
  EXPECT_EQ(first.tweet_id(), retry.tweet_id());
  EXPECT_EQ(first.position(), retry.position());
  const std::vector<uint64_t> alice_before = c.HomeIds(kAlice, first.position());

  // Restart in the middle: everything acknowledged is there, timelines rebuild.
  StopServer();
  StartServer();
  Client& d = *client_;
  page.Clear();
  ASSERT_TRUE(d.Home(kAlice, 0, &page, 200).ok());
  EXPECT_TRUE(page.rebuilt());
  EXPECT_THAT(std::vector<uint64_t>(page.ids().begin(), page.ids().end()),
              ElementsAreArray(alice_before));
  ASSERT_TRUE(d.Post(kDave, "dave once", &retry, "req-1").ok());
  EXPECT_EQ(first.tweet_id(), retry.tweet_id());
  page.Clear();
  ASSERT_TRUE(d.User(kDave, 0, &page).ok());
  EXPECT_EQ(page.ids_size(), 1);
  auto [b4, p6] = d.MustPost(kBob, "bob after restart");
  EXPECT_GT(p6, first.position());
  EXPECT_GT(b4, b3);
  EXPECT_EQ(d.HomeIds(kAlice, p6).front(), b4);

  // Block: ends follows both ways; the blocked author leaves the blocker's timeline.
  const uint64_t block = d.MustEdge(true, v1::BLOCKS, kAlice, kBob);
  EXPECT_EQ(d.Count(v1::FOLLOWS, kAlice, v1::FORWARD, block), 0u);
  EXPECT_EQ(d.Count(v1::FOLLOWS, kBob, v1::FORWARD, block), 0u);
  EXPECT_THAT(d.HomeIds(kAlice, block), ElementsAre(a1));
  EXPECT_THAT(d.HomeIds(kBob, block), ElementsAre(b4, b3, b1));
  // Even a follow after the block shows nothing of the blocked user.
  const uint64_t refollow = d.MustEdge(true, v1::FOLLOWS, kAlice, kBob);
  EXPECT_THAT(d.HomeIds(kAlice, refollow), ElementsAre(a1));

  // Mute: hidden at read time, back on unmute.
  d.MustEdge(true, v1::FOLLOWS, kDave, kCarol);
  const uint64_t mute = d.MustEdge(true, v1::MUTES, kDave, kCarol);
  std::vector<uint64_t> muted = d.HomeIds(kDave, mute);
  EXPECT_THAT(muted, ElementsAre(first.tweet_id()));
  const uint64_t unmute = d.MustEdge(false, v1::MUTES, kDave, kCarol);
  EXPECT_EQ(d.HomeIds(kDave, unmute).size(), 1u + 24u);  // dave's own + carol's live 24

  // Graph reads.
  EXPECT_EQ(d.Count(v1::FOLLOWS, kCarol, v1::BACKWARD, unmute), 1u);
  v1::ContainsRequest contains;
  contains.set_graph(v1::FOLLOWS);
  contains.set_source_id(kDave);
  contains.add_destination_ids(kCarol);
  contains.add_destination_ids(kBob);
  v1::ContainsResponse contained;
  ASSERT_TRUE(d.graph()->Contains(Client::Ctx().get(), contains, &contained).ok());
  EXPECT_THAT(contained.contains(), ElementsAre(true, false));

  const v1::StatsResponse stats = d.Stats();
  EXPECT_EQ(stats.applied_position(), stats.appended_position());
  EXPECT_EQ(stats.processed_position(), stats.appended_position());
  EXPECT_GE(stats.appended_position(), unmute);
}

TEST_F(RoostdTest, ReadsWaitForMinPositionWithinTheirDeadline) {
  StartServer();
  Client& c = *client_;
  const auto [id, position] = c.MustPost(kAlice, "hello");
  v1::TimelinePage page;
  ASSERT_TRUE(c.User(kAlice, position, &page).ok());
  EXPECT_THAT(page.ids(), ElementsAre(id));
  // A position the log has not reached is an error at once, not a hang.
  grpc::Status status = c.Home(kAlice, position + 1000, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE) << status.error_message();
}

TEST_F(RoostdTest, BadInputIsRejectedAndChangesNothing) {
  StartServer();
  Client& c = *client_;
  const auto [id, position] = c.MustPost(kAlice, "the one good tweet");
  const uint64_t appended = c.Stats().appended_position();

  auto expect_invalid = [](const grpc::Status& status, const std::string& what) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << what;
    EXPECT_FALSE(status.error_message().empty()) << what;
  };
  v1::PostResponse post;
  expect_invalid(c.Post(0, "no author", &post), "user id 0");
  expect_invalid(c.Post(kAlice, "", &post), "empty text");
  expect_invalid(c.Post(kAlice, std::string(281, 'x'), &post), "281 code points");
  expect_invalid(c.Post(kAlice, "bad \xff utf8", &post), "invalid UTF-8");
  expect_invalid(c.Edge(true, v1::FOLLOWS, kAlice, kAlice), "self-follow");
  expect_invalid(c.Edge(true, v1::GRAPH_UNSPECIFIED, kAlice, kBob), "unspecified graph");
  expect_invalid(c.Edge(true, v1::FOLLOWS, 0, kBob), "source 0");
  expect_invalid(c.Delete(0, id), "delete by user 0");

  std::vector<uint64_t> many(101);
  for (size_t i = 0; i < many.size(); ++i) many[i] = i + 1;
  v1::GetResponse got;
  expect_invalid(c.Get(many, &got), "101 ids");

  v1::QueryRequest query;
  query.set_op(v1::INTERSECT);
  for (int i = 0; i < 9; ++i) {
    v1::QueryTerm* term = query.add_terms();
    term->set_graph(v1::FOLLOWS);
    term->set_user_id(i + 1);
  }
  v1::QueryResponse queried;
  expect_invalid(c.graph()->Query(Client::Ctx().get(), query, &queried), "9 terms");
  query.clear_terms();
  query.add_terms()->set_user_id(kAlice);
  query.mutable_terms(0)->set_graph(v1::FOLLOWS);
  query.set_op(v1::SET_OP_UNSPECIFIED);
  expect_invalid(c.graph()->Query(Client::Ctx().get(), query, &queried), "unspecified op");

  v1::TimelinePage page;
  expect_invalid(c.Home(0, 0, &page), "home of user 0");

  // Limits: 0 means 20, above 200 is clamped to 200.
  for (int i = 0; i < 205; ++i) c.MustPost(kBob, "filler " + std::to_string(i));
  const uint64_t end = c.Stats().appended_position();
  page.Clear();
  ASSERT_TRUE(c.User(kBob, end, &page, 0).ok());
  EXPECT_EQ(page.ids_size(), 20);
  page.Clear();
  ASSERT_TRUE(c.User(kBob, end, &page, 1000).ok());
  EXPECT_EQ(page.ids_size(), 200);

  // Nothing the bad requests carried reached the log.
  EXPECT_EQ(end, appended + 205);
  page.Clear();
  ASSERT_TRUE(c.User(kAlice, end, &page).ok());
  EXPECT_THAT(page.ids(), ElementsAre(id));
}

TEST_F(RoostdTest, StopUnderWriteLoadLosesNoAcknowledgedWrite) {
  StartServer();
  constexpr int kWriters = 8;
  constexpr int kMaxPostsPerWriter = 2000;  // bounds the loop if the stop never lands
  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> acknowledged;
  std::vector<grpc::StatusCode> refusals;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      Client client(server_.channel());
      for (int i = 0; i < kMaxPostsPerWriter; ++i) {
        v1::PostResponse resp;
        grpc::Status status = client.Post(100 + w, "load " + std::to_string(i), &resp);
        std::lock_guard<std::mutex> lock(mu);
        if (!status.ok()) {
          refusals.push_back(status.error_code());
          return;
        }
        acknowledged.push_back(resp.tweet_id());
        cv.notify_all();
      }
    });
  }
  {
    // Stop once the load is well under way.
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return acknowledged.size() >= 200; });
  }
  StopServer();
  for (std::thread& t : writers) t.join();
  // The stop refuses writes with UNAVAILABLE; a call gRPC itself cut at the very end
  // may read CANCELLED. Either way it was not acknowledged, so it may be retried.
  for (grpc::StatusCode code : refusals) {
    EXPECT_TRUE(code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::CANCELLED)
        << "a write failed other than by the stop: code " << code;
  }

  StartServer();
  std::set<uint64_t> found;
  for (size_t i = 0; i < acknowledged.size(); i += 100) {
    std::vector<uint64_t> chunk(acknowledged.begin() + i,
                                acknowledged.begin() + std::min(acknowledged.size(), i + 100));
    v1::GetResponse got;
    ASSERT_TRUE(client_->Get(chunk, &got).ok());
    for (const v1::Tweet& t : got.tweets()) found.insert(t.id());
  }
  EXPECT_EQ(found.size(), acknowledged.size()) << "acknowledged posts lost across the stop";
  EXPECT_GE(acknowledged.size(), 200u);
}

TEST_F(RoostdTest, GraphSelectQueryAndMassOperations) {
  StartServer();
  Client& c = *client_;
  // Users 10..19 follow 1; 10..14 also follow 2.
  uint64_t last = 0;
  for (uint64_t u = 10; u < 20; ++u) last = c.MustEdge(true, v1::FOLLOWS, u, 1);
  for (uint64_t u = 10; u < 15; ++u) last = c.MustEdge(true, v1::FOLLOWS, u, 2);

  // Select pages newest first by cursor, without repeats or skips.
  std::vector<uint64_t> followers;
  int64_t cursor = 0;
  for (int pages = 0; pages < 10; ++pages) {
    v1::SelectRequest req;
    req.set_graph(v1::FOLLOWS);
    req.set_user_id(1);
    req.set_direction(v1::BACKWARD);
    req.set_cursor(cursor);
    req.set_limit(3);
    req.set_min_position(last);
    v1::SelectResponse resp;
    ASSERT_TRUE(c.graph()->Select(Client::Ctx().get(), req, &resp).ok());
    followers.insert(followers.end(), resp.ids().begin(), resp.ids().end());
    if (resp.next_cursor() == 0) break;
    cursor = resp.next_cursor();
  }
  EXPECT_THAT(followers, ElementsAre(19, 18, 17, 16, 15, 14, 13, 12, 11, 10));

  // Set algebra over the two follower lists.
  auto query = [&](v1::SetOp op) {
    v1::QueryRequest req;
    req.set_op(op);
    for (uint64_t user : {1, 2}) {
      v1::QueryTerm* term = req.add_terms();
      term->set_graph(v1::FOLLOWS);
      term->set_user_id(user);
      term->set_direction(v1::BACKWARD);
    }
    req.set_limit(100);
    v1::QueryResponse resp;
    EXPECT_TRUE(c.graph()->Query(Client::Ctx().get(), req, &resp).ok());
    std::vector<uint64_t> ids(resp.ids().begin(), resp.ids().end());
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  EXPECT_THAT(query(v1::INTERSECT), ElementsAre(10, 11, 12, 13, 14));
  EXPECT_THAT(query(v1::DIFFERENCE), ElementsAre(15, 16, 17, 18, 19));
  EXPECT_EQ(query(v1::UNION).size(), 10u);

  // Archive all of user 10's edges, both directions; unarchive restores them.
  v1::MassRequest mass;
  mass.set_graph(v1::FOLLOWS);
  mass.set_user_id(10);
  v1::WriteResponse written;
  ASSERT_TRUE(c.graph()->Archive(Client::Ctx().get(), mass, &written).ok());
  EXPECT_EQ(c.Count(v1::FOLLOWS, 10, v1::FORWARD, written.position()), 0u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::BACKWARD, written.position()), 9u);
  v1::CountRequest archived;
  archived.set_graph(v1::FOLLOWS);
  archived.set_user_id(10);
  archived.set_direction(v1::FORWARD);
  archived.add_states(v1::ARCHIVED);
  v1::CountResponse count;
  ASSERT_TRUE(c.graph()->Count(Client::Ctx().get(), archived, &count).ok());
  EXPECT_EQ(count.count(), 2u);
  ASSERT_TRUE(c.graph()->Unarchive(Client::Ctx().get(), mass, &written).ok());
  EXPECT_EQ(c.Count(v1::FOLLOWS, 10, v1::FORWARD, written.position()), 2u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::BACKWARD, written.position()), 10u);

  // Remove-all ends user 11's edges whatever their state; a re-follow is a new edge.
  mass.set_user_id(11);
  ASSERT_TRUE(c.graph()->Archive(Client::Ctx().get(), mass, &written).ok());
  ASSERT_TRUE(c.graph()->RemoveAll(Client::Ctx().get(), mass, &written).ok());
  EXPECT_EQ(c.Count(v1::FOLLOWS, 11, v1::FORWARD, written.position()), 0u);
  archived.set_user_id(11);
  ASSERT_TRUE(c.graph()->Count(Client::Ctx().get(), archived, &count).ok());
  EXPECT_EQ(count.count(), 0u);
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::BACKWARD, written.position()), 9u);
  const uint64_t refollow = c.MustEdge(true, v1::FOLLOWS, 11, 1);
  v1::SelectRequest newest;
  newest.set_graph(v1::FOLLOWS);
  newest.set_user_id(1);
  newest.set_direction(v1::BACKWARD);
  newest.set_limit(1);
  newest.set_min_position(refollow);
  v1::SelectResponse top;
  ASSERT_TRUE(c.graph()->Select(Client::Ctx().get(), newest, &top).ok());
  EXPECT_THAT(top.ids(), ElementsAre(11)) << "re-followed after remove-all: the newest edge";
}

TEST_F(RoostdTest, SelectByCreationTimeRange) {
  StartServer();
  Client& c = *client_;
  // Three follows of user 1, at least 5 ms apart, so each has its own millisecond.
  std::vector<int64_t> made_ms;
  uint64_t last = 0;
  for (uint64_t u : {21, 22, 23}) {
    const int64_t before = absl::ToUnixMillis(absl::Now());
    last = c.MustEdge(true, v1::FOLLOWS, u, 1);
    made_ms.push_back(before);
    absl::SleepFor(absl::Milliseconds(5));  // separates the creation times, not a sync
  }
  const int64_t end_ms = absl::ToUnixMillis(absl::Now());
  auto select = [&](int64_t after, int64_t before, grpc::Status* status = nullptr) {
    v1::SelectRequest req;
    req.set_graph(v1::FOLLOWS);
    req.set_user_id(1);
    req.set_direction(v1::BACKWARD);
    req.set_created_after_ms(after);
    req.set_created_before_ms(before);
    req.set_min_position(0);
    v1::SelectResponse resp;
    grpc::Status s = c.graph()->Select(Client::Ctx().get(), req, &resp);
    if (status != nullptr) *status = s;
    EXPECT_TRUE(status != nullptr || s.ok()) << s.error_message();
    return std::vector<uint64_t>(resp.ids().begin(), resp.ids().end());
  };
  // The selects below wait for nothing, so wait here for the last follow to apply.
  EXPECT_EQ(c.Count(v1::FOLLOWS, 1, v1::BACKWARD, last), 3u);
  EXPECT_THAT(select(0, 0), ElementsAre(23, 22, 21));
  EXPECT_THAT(select(made_ms[1], 0), ElementsAre(23, 22));
  EXPECT_THAT(select(0, made_ms[1]), ElementsAre(21));
  EXPECT_THAT(select(made_ms[1], made_ms[2]), ElementsAre(22));
  EXPECT_THAT(select(end_ms + 1, 0), IsEmpty());
  grpc::Status status;
  select(made_ms[2], made_ms[1], &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  select(-1, 0, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RoostdTest, ASecondServerOnTheSameDataDirIsRefused) {
  StartServer();
  std::string output;
  const int code =
      testing::RunRoostdToExit({"--listen=127.0.0.1:0", "--data-dir=" + dir_}, &output);
  EXPECT_NE(code, 0);
  EXPECT_THAT(output, HasSubstr("in use"));
}

TEST_F(RoostdTest, APortInUseIsRefused) {
  StartServer();
  const std::string other_dir = dir_ + "_other";
  std::string output;
  const int code = testing::RunRoostdToExit(
      {"--listen=127.0.0.1:" + std::to_string(server_.port()), "--data-dir=" + other_dir}, &output);
  std::filesystem::remove_all(other_dir);
  EXPECT_NE(code, 0);
  EXPECT_THAT(output, HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(server_.port())));
}

TEST_F(RoostdTest, ServesHealthAndKeepsDataOwnerOnly) {
  StartServer();
  // grpc.health.v1.Health/Check with an empty request; SERVING is field 1 = 1.
  grpc::GenericStub stub(server_.channel());
  std::string bytes;
  const grpc::Status status =
      testing::RawCall(stub, "/grpc.health.v1.Health/Check", "", {}, &bytes);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
  // A single roostd is no cluster: its map is empty, so clients send it everything.
  v1::ClusterConfig config;
  ASSERT_TRUE(client_->admin()->Cluster(Client::Ctx().get(), v1::ClusterRequest(), &config).ok());
  EXPECT_EQ(config.partitions(), 0u);
  EXPECT_TRUE(config.nodes().empty());

  // Some data in every store, then every directory and file (log, RocksDB's) checked.
  client_->MustEdge(true, v1::FOLLOWS, 1, 2);
  client_->MustPost(2, "private enough");
  StopServer();
  struct stat st;
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u) << "data dir must be owner-only";
  int checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0077, 0u) << entry.path() << " must be owner-only";
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

}  // namespace
}  // namespace roost::testing
