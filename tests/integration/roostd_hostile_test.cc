// Hostile input over gRPC: a real roostd gets ROOST_HOSTILE_REQUESTS (default 100,000)
// malformed or extreme requests, and must answer each with a documented status, stay
// up, and change nothing.
//
// Every write request carries at least one poison (user id 0, unknown graph, bad text,
// an edge to oneself, another author's tweet), so none may be applied; reads may
// succeed. Random bytes that happen to parse as a write get a poison field appended.
#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/stubs/logging.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roost/v1/roost.grpc.pb.h"
#include "tests/integration/roostd_client.h"

namespace roost::testing {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// Under ThreadSanitizer (`make test-tsan`) 20,000 by default: the full count took 445 s
// of the 600 s test timeout there, and the races TSan looks for need concurrency, not
// volume.
int RequestCount() {
#if defined(__SANITIZE_THREAD__)
  constexpr int kDefault = 20'000;
#else
  constexpr int kDefault = 100'000;
#endif
  const char* value = std::getenv("ROOST_HOSTILE_REQUESTS");
  return value != nullptr && *value != '\0' ? std::atoi(value) : kDefault;
}

// One request: the method, its bytes, and whether it is a write (must not apply).
struct Request {
  std::string method;
  std::string bytes;
};

class Generator {
 public:
  explicit Generator(uint64_t seed, std::vector<uint64_t> tweets)
      : rng_(seed), tweets_(std::move(tweets)) {}

  Request Next() {
    Request r = Structured();
    const int mode = Pick(10);
    if (mode < 2) {
      r.bytes = RandomBytes();  // garbage for that method
      Poison(&r);
    } else if (mode < 4) {
      Mutate(&r.bytes);  // a structured request with bytes flipped, cut or grown
      Poison(&r);
    }
    return r;
  }

 private:
  int Pick(int n) { return static_cast<int>(rng_() % n); }
  template <typename T>
  T OneOf(std::initializer_list<T> values) {
    return *(values.begin() + Pick(static_cast<int>(values.size())));
  }
  uint64_t Id() {
    return OneOf<uint64_t>({0, 1, 2, 3, 4, kMax, kMax - 1, uint64_t{1} << 63, rng_()});
  }
  uint64_t NonZeroId() {
    return OneOf<uint64_t>({1, 2, 3, 4, kMax, uint64_t{1} << 63, rng_() | 1});
  }
  int64_t Signed() {
    return OneOf<int64_t>({0, -1, 1, std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max(), static_cast<int64_t>(rng_())});
  }
  uint32_t Limit() {
    return OneOf<uint32_t>({0, 1, 200, 201, std::numeric_limits<uint32_t>::max()});
  }
  int Enum() {
    return OneOf<int>(
        {0, 1, 2, 3, 4, -1, 99, std::numeric_limits<int>::max(), std::numeric_limits<int>::min()});
  }
  int BadGraph() { return OneOf<int>({0, 4, -1, 99, std::numeric_limits<int>::min()}); }
  uint64_t Position() { return OneOf<uint64_t>({0, 0, 1, 2, kMax, uint64_t{1} << 40}); }
  std::string Text() {
    switch (Pick(9)) {
      case 0:
        return "";
      case 1:
        return std::string(64 << 10, 'a');  // 64 KiB
      case 2:
        return "\xff\xfe\xfd";
      case 3:
        return "ok \xc0\xaf overlong";
      case 4:
        return "\xed\xa0\x80 surrogate";
      case 5:
        return std::string(5, '\0');
      case 6: {
        std::string s;
        for (int i = 0; i < 281; ++i) s += "\xf0\x9f\x90\xa6";
        return s;
      }
      case 7:
        return "\xf4\x90\x80\x80 above U+10FFFF";
      default:
        return "hello";
    }
  }
  // Text the validator refuses.
  std::string BadText() {
    std::string text;
    do text = Text();
    while (text == "hello" || text == std::string(5, '\0'));
    return text;
  }
  std::string RandomBytes() {
    std::string bytes(Pick(4) == 0 ? Pick(4096) : Pick(64), '\0');
    for (char& c : bytes) c = static_cast<char>(rng_());
    return bytes;
  }
  void Mutate(std::string* bytes) {
    if (bytes->empty()) *bytes = RandomBytes();
    for (int i = 0, n = 1 + Pick(4); i < n && !bytes->empty(); ++i) {
      switch (Pick(3)) {
        case 0:
          (*bytes)[Pick(static_cast<int>(bytes->size()))] ^= static_cast<char>(1 << Pick(8));
          break;
        case 1:
          bytes->resize(Pick(static_cast<int>(bytes->size())));
          break;
        default:
          bytes->insert(Pick(static_cast<int>(bytes->size())), 1, static_cast<char>(rng_()));
      }
    }
  }
  // Bytes that parse as the write's request get a field appended that makes it
  // invalid (a later occurrence of a field wins): author_id or source/user id 0.
  void Poison(Request* r) {
    auto parses = [&](google::protobuf::Message&& m) { return m.ParseFromString(r->bytes); };
    const std::string& m = r->method;
    if (m == "/roost.v1.Tweets/Post" && parses(v1::PostRequest()))
      r->bytes += std::string("\x08\x00", 2);
    if (m == "/roost.v1.Tweets/Delete" && parses(v1::DeleteRequest()))
      r->bytes += std::string("\x08\x00", 2);
    if ((m == "/roost.v1.Graph/Add" || m == "/roost.v1.Graph/Remove" ||
         m == "/roost.v1.Graph/Negate") &&
        parses(v1::EdgeRequest())) {
      r->bytes += std::string("\x10\x00", 2);
    }
    if ((m == "/roost.v1.Graph/Archive" || m == "/roost.v1.Graph/Unarchive" ||
         m == "/roost.v1.Graph/RemoveAll") &&
        parses(v1::MassRequest())) {
      r->bytes += std::string("\x10\x00", 2);
    }
  }

  Request Structured() {
    switch (Pick(14)) {
      case 0: {  // Post: one poison, the rest extreme
        v1::PostRequest q;
        q.set_author_id(NonZeroId());
        q.set_text("hello");
        q.set_reply_to_id(Id());
        q.set_retweet_of_id(Pick(2) ? 0 : Id());
        q.set_request_id(OneOf<std::string>({"", "r", std::string(64 << 10, 'x')}));
        switch (Pick(3)) {
          case 0:
            q.set_author_id(0);
            break;
          case 1:
            q.set_text(BadText());
            q.set_retweet_of_id(0);
            break;
          default:
            q.set_request_id(std::string(129 + Pick(1000), 'q'));
        }
        return {"/roost.v1.Tweets/Post", q.SerializeAsString()};
      }
      case 1: {  // Delete: author 0, tweet 0, or another author's tweet
        v1::DeleteRequest q;
        q.set_author_id(Pick(2) ? 0 : 1);  // the seed's tweets are user 2's
        q.set_tweet_id(Pick(2) ? 0 : tweets_[Pick(static_cast<int>(tweets_.size()))]);
        if (q.author_id() == 1 && q.tweet_id() == 0) q.set_author_id(0);
        return {"/roost.v1.Tweets/Delete", q.SerializeAsString()};
      }
      case 2: {
        v1::GetRequest q;
        const int n = OneOf<int>({0, 1, 100, 101, 10'000});
        for (int i = 0; i < n; ++i) q.add_ids(Id());
        return {"/roost.v1.Tweets/Get", q.SerializeAsString()};
      }
      case 3:
      case 4: {
        v1::HomeRequest q;  // UserTimelineRequest has the same fields and numbers
        q.set_user_id(Id());
        q.set_max_id(Id());
        q.set_since_id(Id());
        q.set_limit(Limit());
        q.set_hydrate(Pick(2));
        q.set_min_position(Position());
        return {Pick(2) ? "/roost.v1.Timelines/Home" : "/roost.v1.Tweets/UserTimeline",
                q.SerializeAsString()};
      }
      case 5:
      case 6: {
        v1::EdgeRequest q;
        q.set_graph(static_cast<v1::GraphKind>(Enum()));
        q.set_source_id(Id());
        q.set_destination_id(Id());
        switch (Pick(4)) {
          case 0:
            q.set_graph(static_cast<v1::GraphKind>(BadGraph()));
            break;
          case 1:
            q.set_source_id(0);
            break;
          case 2:
            q.set_destination_id(0);
            break;
          default:
            q.set_destination_id(q.source_id());
        }
        return {OneOf<const char*>(
                    {"/roost.v1.Graph/Add", "/roost.v1.Graph/Remove", "/roost.v1.Graph/Negate"}),
                q.SerializeAsString()};
      }
      case 7: {
        v1::MassRequest q;
        q.set_graph(static_cast<v1::GraphKind>(Enum()));
        q.set_user_id(Id());
        if (Pick(2))
          q.set_user_id(0);
        else
          q.set_graph(static_cast<v1::GraphKind>(BadGraph()));
        return {OneOf<const char*>({"/roost.v1.Graph/Archive", "/roost.v1.Graph/Unarchive",
                                    "/roost.v1.Graph/RemoveAll"}),
                q.SerializeAsString()};
      }
      case 8:
      case 9: {
        v1::SelectRequest q;
        q.set_graph(static_cast<v1::GraphKind>(Enum()));
        q.set_user_id(Id());
        q.set_direction(static_cast<v1::Direction>(Enum()));
        for (int i = 0, n = OneOf<int>({0, 1, 3, 1000}); i < n; ++i) {
          q.add_states(static_cast<v1::EdgeState>(Enum()));
        }
        q.set_cursor(Signed());
        q.set_limit(Limit());
        q.set_min_position(Position());
        q.set_created_after_ms(Signed());
        q.set_created_before_ms(Signed());
        return {"/roost.v1.Graph/Select", q.SerializeAsString()};
      }
      case 10: {
        v1::CountRequest q;
        q.set_graph(static_cast<v1::GraphKind>(Enum()));
        q.set_user_id(Id());
        q.set_direction(static_cast<v1::Direction>(Enum()));
        q.add_states(static_cast<v1::EdgeState>(Enum()));
        q.set_min_position(Position());
        return {"/roost.v1.Graph/Count", q.SerializeAsString()};
      }
      case 11: {
        v1::ContainsRequest q;
        q.set_graph(static_cast<v1::GraphKind>(Enum()));
        q.set_source_id(Id());
        for (int i = 0, n = OneOf<int>({0, 1, 1000, 1001, 100'000}); i < n; ++i) {
          q.add_destination_ids(Id());
        }
        q.set_min_position(Position());
        return {"/roost.v1.Graph/Contains", q.SerializeAsString()};
      }
      case 12: {  // deep and wide set algebra
        v1::QueryRequest q;
        q.set_op(static_cast<v1::SetOp>(Enum()));
        for (int i = 0, n = OneOf<int>({0, 1, 8, 9, 1000}); i < n; ++i) {
          v1::QueryTerm* term = q.add_terms();
          term->set_graph(static_cast<v1::GraphKind>(Enum()));
          term->set_user_id(Id());
          term->set_direction(static_cast<v1::Direction>(Enum()));
        }
        q.set_cursor(Signed());
        q.set_limit(Limit());
        q.set_min_position(Position());
        q.set_with_total(Pick(2));
        return {"/roost.v1.Graph/Query", q.SerializeAsString()};
      }
      default:
        return {OneOf<const char*>({"/roost.v1.Admin/Stats", "/roost.v1.Admin/Ping",
                                    "/roost.v1.NoSuch/Method", "/roost.v1.Graph/NoSuchMethod"}),
                ""};
    }
  }

  std::mt19937_64 rng_;
  const std::vector<uint64_t> tweets_;
};

// What a client can see of the state: the log's end and the seed's reads.
std::string Observe(Client& client) {
  std::string seen;
  v1::TimelinePage page;
  EXPECT_TRUE(client.Home(1, 0, &page, 200).ok());
  seen += page.ShortDebugString() + "\n";
  EXPECT_TRUE(client.User(2, 0, &page, 200).ok());
  seen += page.ShortDebugString() + "\n";
  for (uint64_t user : {1, 2, 3}) {
    for (v1::GraphKind g : {v1::FOLLOWS, v1::BLOCKS, v1::MUTES}) {
      absl::StrAppend(&seen, user, "/", g, ": ", client.Select(g, user, v1::FORWARD, 0).size(), " ",
                      client.Select(g, user, v1::BACKWARD, 0).size(), "\n");
    }
  }
  return seen;
}

TEST_F(RoostdTest, HostileRequestsGetDocumentedErrorsAndChangeNothing) {
  // This process's own parses of garbage (to poison writes) would log each invalid
  // UTF-8 string; nothing it logs matters here.
  google::protobuf::SetLogHandler(nullptr);
  StartServer();
  client_->MustEdge(true, v1::FOLLOWS, 1, 2);
  client_->MustEdge(true, v1::BLOCKS, 3, 1);
  std::vector<uint64_t> tweets;
  uint64_t position = 0;
  for (int i = 0; i < 5; ++i)
    std::tie(tweets.emplace_back(), position) = client_->MustPost(2, "seed");
  client_->HomeIds(1, position);  // applied
  const uint64_t appended = client_->Stats().appended_position();
  const std::string before = Observe(*client_);

  // roostd's output (protobuf logs a line per string field with invalid UTF-8) is
  // drained meanwhile, so a full pipe cannot stall it.
  std::atomic<bool> stop_draining{false};
  std::thread drain([&] {
    std::string sink;
    while (!stop_draining.load()) {
      server_.ReadOutput(absl::Now() + absl::Milliseconds(200), &sink);
      if (sink.size() > (1 << 20)) sink.erase(0, sink.size() - 4096);
    }
  });

  const int total = RequestCount();
  Generator generator(/*seed=*/20261205, tweets);
  grpc::GenericStub stub(server_.channel());
  std::mutex mu;
  std::condition_variable cv;
  int in_flight = 0, finished = 0;
  std::map<grpc::StatusCode, int> codes;
  std::map<std::string, int> unexpected;  // method: code, message
  const absl::Time began = absl::Now();
  constexpr int kWindow = 64;
  struct Call {
    grpc::ClientContext ctx;
    grpc::ByteBuffer request, response;
    std::string method;
  };
  for (int i = 0; i < total; ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return in_flight < kWindow; });
      ++in_flight;
    }
    Request r = generator.Next();
    auto* call = new Call;
    call->method = r.method;
    grpc::Slice slice(r.bytes);
    call->request = grpc::ByteBuffer(&slice, 1);
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    stub.UnaryCall(&call->ctx, r.method, grpc::StubOptions(), &call->request, &call->response,
                   [&, call](grpc::Status status) {
                     std::lock_guard<std::mutex> lock(mu);
                     ++codes[status.error_code()];
                     switch (status.error_code()) {
                       case grpc::StatusCode::OK:  // a read that was fine
                       // ours, naming the field, or bytes that do not parse as the
                       // request (parse_error_interceptor.h)
                       case grpc::StatusCode::INVALID_ARGUMENT:
                       case grpc::StatusCode::OUT_OF_RANGE:       // min_position past the log
                       case grpc::StatusCode::NOT_FOUND:          // delete of no such tweet
                       case grpc::StatusCode::PERMISSION_DENIED:  // another author's tweet
                       case grpc::StatusCode::UNIMPLEMENTED:      // gRPC's: no such method
                         break;
                       default:
                         ++unexpected[absl::StrCat(call->method, ": ", status.error_code(), " ",
                                                   status.error_message())];
                     }
                     --in_flight;
                     ++finished;
                     cv.notify_one();
                     delete call;
                   });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - began);
  stop_draining.store(true);
  drain.join();

  EXPECT_EQ(finished, total);
  for (const auto& [what, count] : unexpected) ADD_FAILURE() << count << " x " << what;
  EXPECT_EQ(client_->Stats().appended_position(), appended) << "a hostile request was logged";
  EXPECT_EQ(Observe(*client_), before);
  EXPECT_TRUE(RawCall(stub, "/roost.v1.Admin/Ping", "").ok()) << "roostd is still up";

  std::string summary;
  for (const auto& [code, count] : codes)
    absl::StrAppend(&summary, " code ", code, ": ", count, ";");
  std::printf(
      "%d hostile requests in %.1f s (%.0f/s):%s 0 unexpected, log position unchanged "
      "at %" PRIu64 "\n",
      total, seconds, total / seconds, summary.c_str(), appended);
}

// A hand-built PostRequest whose text is not UTF-8 (no language's protobuf encodes a
// string so): what a raw client gets back, and nothing is logged.
TEST_F(RoostdTest, ATextThatIsNotUtf8GetsInvalidArgumentFromARawClient) {
  google::protobuf::SetLogHandler(nullptr);
  StartServer();
  const uint64_t appended = client_->Stats().appended_position();
  grpc::GenericStub stub(server_.channel());
  // author_id = 7 (field 1, varint), text = "\xff\xfe" (field 2, length-delimited).
  const std::string request("\x08\x07\x12\x02\xff\xfe", 6);
  const grpc::Status status = RawCall(stub, "/roost.v1.Tweets/Post", request);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("UTF-8"));
  EXPECT_EQ(client_->Stats().appended_position(), appended);
  // The same text, valid: posted.
  const std::string valid("\x08\x07\x12\x02ok", 6);
  EXPECT_TRUE(RawCall(stub, "/roost.v1.Tweets/Post", valid).ok());
}

}  // namespace
}  // namespace roost::testing
