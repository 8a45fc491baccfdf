// What the tests of a real roostd share: a Client over every roost.v1 service, and
// RoostdTest, a fixture that runs one roostd per test with a Client on it.
#ifndef ROOST_TESTS_INTEGRATION_ROOSTD_CLIENT_H_
#define ROOST_TESTS_INTEGRATION_ROOSTD_CLIENT_H_

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roost/v1/roost.grpc.pb.h"
#include "tests/integration/roostd_process.h"

namespace roost::testing {

namespace v1 = ::roost::v1;
// The matchers every roostd test uses.
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

inline std::string FreshDir(const std::string& name) {
  const std::string dir =
      ::testing::TempDir() + "roostd_test_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

// A client over every roost.v1 service with short, typed helpers. Every call has a
// deadline so a broken server fails the test instead of hanging it.
class Client {
 public:
  explicit Client(std::shared_ptr<grpc::Channel> channel)
      : tweets_(v1::Tweets::NewStub(channel)),
        timelines_(v1::Timelines::NewStub(channel)),
        graph_(v1::Graph::NewStub(channel)),
        admin_(v1::Admin::NewStub(channel)),
        channel_(channel) {}

  static std::unique_ptr<grpc::ClientContext> Ctx(int ms = 20000) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
    return ctx;
  }

  grpc::Status Post(uint64_t author, const std::string& text, v1::PostResponse* resp,
                    const std::string& request_id = "", uint64_t reply_to = 0) {
    v1::PostRequest req;
    req.set_author_id(author);
    req.set_text(text);
    req.set_request_id(request_id);
    req.set_reply_to_id(reply_to);
    return tweets_->Post(Ctx().get(), req, resp);
  }
  // Posts and returns (tweet id, position), failing the test on error.
  std::pair<uint64_t, uint64_t> MustPost(uint64_t author, const std::string& text) {
    v1::PostResponse resp;
    grpc::Status status = Post(author, text, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {resp.tweet_id(), resp.position()};
  }
  grpc::Status Delete(uint64_t author, uint64_t id, uint64_t* position = nullptr) {
    v1::DeleteRequest req;
    req.set_author_id(author);
    req.set_tweet_id(id);
    v1::DeleteResponse resp;
    grpc::Status status = tweets_->Delete(Ctx().get(), req, &resp);
    if (position != nullptr) *position = resp.position();
    return status;
  }
  grpc::Status Get(const std::vector<uint64_t>& ids, v1::GetResponse* resp) {
    v1::GetRequest req;
    for (uint64_t id : ids) req.add_ids(id);
    return tweets_->Get(Ctx().get(), req, resp);
  }
  grpc::Status Home(uint64_t user, uint64_t min_position, v1::TimelinePage* page,
                    uint32_t limit = 0, uint64_t max_id = 0, uint64_t since_id = 0,
                    bool hydrate = false, int deadline_ms = 20000) {
    v1::HomeRequest req;
    req.set_user_id(user);
    req.set_min_position(min_position);
    req.set_limit(limit);
    req.set_max_id(max_id);
    req.set_since_id(since_id);
    req.set_hydrate(hydrate);
    return timelines_->Home(Ctx(deadline_ms).get(), req, page);
  }
  // One page of the home timeline after `min_position`, failing the test on error.
  v1::TimelinePage MustHome(uint64_t user, uint64_t min_position, uint32_t limit = 200,
                            uint64_t max_id = 0, uint64_t since_id = 0, bool hydrate = false) {
    v1::TimelinePage page;
    grpc::Status status = Home(user, min_position, &page, limit, max_id, since_id, hydrate);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return page;
  }
  // The whole home timeline's ids (one page of 200), after `min_position`.
  std::vector<uint64_t> HomeIds(uint64_t user, uint64_t min_position) {
    v1::TimelinePage page;
    grpc::Status status = Home(user, min_position, &page, 200);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {page.ids().begin(), page.ids().end()};
  }
  grpc::Status User(uint64_t user, uint64_t min_position, v1::TimelinePage* page,
                    uint32_t limit = 0, uint64_t max_id = 0) {
    v1::UserTimelineRequest req;
    req.set_user_id(user);
    req.set_min_position(min_position);
    req.set_limit(limit);
    req.set_max_id(max_id);
    req.set_hydrate(true);
    return tweets_->UserTimeline(Ctx().get(), req, page);
  }
  grpc::Status Edge(bool add, v1::GraphKind graph, uint64_t source, uint64_t destination,
                    uint64_t* position = nullptr) {
    v1::EdgeRequest req;
    req.set_graph(graph);
    req.set_source_id(source);
    req.set_destination_id(destination);
    v1::WriteResponse resp;
    grpc::Status status =
        add ? graph_->Add(Ctx().get(), req, &resp) : graph_->Remove(Ctx().get(), req, &resp);
    if (position != nullptr) *position = resp.position();
    return status;
  }
  uint64_t MustEdge(bool add, v1::GraphKind graph, uint64_t source, uint64_t destination) {
    uint64_t position = 0;
    grpc::Status status = Edge(add, graph, source, destination, &position);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return position;
  }
  // Graph.Negate: the edge stays, marked NEGATIVE.
  grpc::Status Negate(v1::GraphKind graph, uint64_t source, uint64_t destination,
                      uint64_t* position = nullptr) {
    v1::EdgeRequest req;
    req.set_graph(graph);
    req.set_source_id(source);
    req.set_destination_id(destination);
    v1::WriteResponse resp;
    grpc::Status status = graph_->Negate(Ctx().get(), req, &resp);
    if (position != nullptr) *position = resp.position();
    return status;
  }
  uint64_t MustNegate(v1::GraphKind graph, uint64_t source, uint64_t destination) {
    uint64_t position = 0;
    grpc::Status status = Negate(graph, source, destination, &position);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return position;
  }
  // Empty `states` means NORMAL, as in the API.
  uint64_t Count(v1::GraphKind graph, uint64_t user, v1::Direction direction, uint64_t min_position,
                 const std::vector<v1::EdgeState>& states = {}) {
    v1::CountRequest req;
    req.set_graph(graph);
    req.set_user_id(user);
    req.set_direction(direction);
    for (v1::EdgeState state : states) req.add_states(state);
    req.set_min_position(min_position);
    v1::CountResponse resp;
    grpc::Status status = graph_->Count(Ctx().get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp.count();
  }
  // The first page (up to 200) of a list, newest first.
  std::vector<uint64_t> Select(v1::GraphKind graph, uint64_t user, v1::Direction direction,
                               uint64_t min_position,
                               const std::vector<v1::EdgeState>& states = {}) {
    v1::SelectRequest req;
    req.set_graph(graph);
    req.set_user_id(user);
    req.set_direction(direction);
    for (v1::EdgeState state : states) req.add_states(state);
    req.set_limit(200);
    req.set_min_position(min_position);
    v1::SelectResponse resp;
    grpc::Status status = graph_->Select(Ctx().get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {resp.ids().begin(), resp.ids().end()};
  }
  // Whether source has a NORMAL edge to each destination, in order.
  std::vector<bool> Contains(v1::GraphKind graph, uint64_t source,
                             const std::vector<uint64_t>& destinations, uint64_t min_position,
                             grpc::Status* status_out = nullptr) {
    v1::ContainsRequest req;
    req.set_graph(graph);
    req.set_source_id(source);
    for (uint64_t id : destinations) req.add_destination_ids(id);
    req.set_min_position(min_position);
    v1::ContainsResponse resp;
    grpc::Status status = graph_->Contains(Ctx().get(), req, &resp);
    if (status_out != nullptr) *status_out = status;
    EXPECT_TRUE(status_out != nullptr || status.ok()) << status.error_message();
    return {resp.contains().begin(), resp.contains().end()};
  }
  v1::StatsResponse Stats() {
    v1::StatsResponse resp;
    grpc::Status status = admin_->Stats(Ctx().get(), v1::StatsRequest(), &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp;
  }
  // One counter or gauge of Admin.Stats (say "timelines.evicted"); a missing one fails
  // the test and reads as 0.
  int64_t Counter(const std::string& name) {
    const v1::StatsResponse stats = Stats();
    auto it = stats.counters().find(name);
    EXPECT_TRUE(it != stats.counters().end()) << name << " is not in Admin.Stats";
    return it == stats.counters().end() ? 0 : it->second;
  }

  v1::Tweets::Stub* tweets() { return tweets_.get(); }
  v1::Timelines::Stub* timelines() { return timelines_.get(); }
  v1::Graph::Stub* graph() { return graph_.get(); }
  v1::Admin::Stub* admin() { return admin_.get(); }
  grpc::Channel* channel() { return channel_.get(); }

 private:
  std::unique_ptr<v1::Tweets::Stub> tweets_;
  std::unique_ptr<v1::Timelines::Stub> timelines_;
  std::unique_ptr<v1::Graph::Stub> graph_;
  std::unique_ptr<v1::Admin::Stub> admin_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Calls `method` ("/package.Service/Method") with `request` as the raw message bytes,
// with `metadata` added, within `deadline_ms`; the response's bytes go to *response.
// For calls no typed stub can make: malformed messages, methods chosen at run time.
inline grpc::Status RawCall(grpc::GenericStub& stub, const std::string& method,
                            const std::string& request,
                            const std::vector<std::pair<std::string, std::string>>& metadata = {},
                            std::string* response = nullptr, int deadline_ms = 10000) {
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1), response_buffer;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  for (const auto& [key, value] : metadata) ctx.AddMetadata(key, value);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = std::move(s);
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (response != nullptr && status.ok()) {
    std::vector<grpc::Slice> slices;
    response->clear();
    if (response_buffer.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        response->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
  }
  return status;
}

// Runs one roostd per test on a fresh data directory, with a Client on it.
class RoostdTest : public ::testing::Test {
 protected:
  void StartServer(const std::vector<std::string>& flags = {}) {
    std::string output;
    ASSERT_TRUE(server_.Start(dir_, flags, &output)) << output;
    client_ = std::make_unique<Client>(server_.channel());
  }
  // Stops roostd with the client still connected, as a real deployment would.
  void StopServer() {
    std::string output;
    EXPECT_EQ(server_.Stop(&output), 0) << output;
    client_.reset();
  }
  void TearDown() override {
    if (client_ != nullptr) StopServer();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_ = FreshDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  RoostdProcess server_;
  std::unique_ptr<Client> client_;
};

}  // namespace roost::testing

#endif  // ROOST_TESTS_INTEGRATION_ROOSTD_CLIENT_H_
