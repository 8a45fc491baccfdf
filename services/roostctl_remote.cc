#include "services/roostctl_remote.h"

#include <cstdio>
#include <iterator>
#include <map>
#include <utility>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "roost/v1/feed.grpc.pb.h"
#include "roost/v1/roost.grpc.pb.h"

namespace roost::services::ctl {
namespace {

namespace v1 = ::roost::v1;

using Args = std::vector<std::string>;

// The canonical name of a status code, as grpcurl and the gRPC docs spell it.
const char* CodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < static_cast<int>(std::size(kNames)) ? kNames[i] : "UNKNOWN";
}

int Report(const grpc::Status& status) {
  if (status.ok()) return 0;
  std::fprintf(stderr, "roostctl: %s: %s\n", CodeName(status.error_code()),
               status.error_message().c_str());
  return 1;
}

// The first `n` of `args` as ids (n 0: all of them, at least one).
bool ParseIds(const Args& args, size_t n, std::vector<uint64_t>* ids) {
  if (args.size() < std::max<size_t>(n, 1)) return false;
  for (size_t i = 0; i < args.size() && (n == 0 || i < n); ++i) {
    uint64_t id;
    if (!absl::SimpleAtoi(args[i], &id)) return false;
    ids->push_back(id);
  }
  return true;
}

void PrintTweet(const v1::Tweet& t) {
  std::printf("%llu\t@%llu\t%s\n", static_cast<unsigned long long>(t.id()),
              static_cast<unsigned long long>(t.author_id()), t.text().c_str());
}

void PrintPage(const v1::TimelinePage& page) {
  for (const v1::Tweet& t : page.tweets()) PrintTweet(t);
  if (page.tweets().empty()) std::printf("(no tweets)\n");
  if (page.rebuilt()) std::printf("(timeline rebuilt for this read)\n");
  if (page.next_max_id() != 0) {
    std::printf("more: --max-id=%llu\n", static_cast<unsigned long long>(page.next_max_id()));
  }
}

void PrintIds(const google::protobuf::RepeatedField<uint64_t>& ids, int64_t next_cursor) {
  for (uint64_t id : ids) std::printf("%llu\n", static_cast<unsigned long long>(id));
  if (next_cursor != 0) std::printf("more: --cursor=%lld\n", static_cast<long long>(next_cursor));
}

bool ParseGraph(const std::string& name, v1::GraphKind* kind) {
  static const std::map<std::string, v1::GraphKind> kinds = {
      {"follows", v1::FOLLOWS}, {"blocks", v1::BLOCKS}, {"mutes", v1::MUTES}};
  auto it = kinds.find(name);
  if (it == kinds.end()) return false;
  *kind = it->second;
  return true;
}

bool ParseStates(const std::string& list, std::vector<v1::EdgeState>* states) {
  static const std::map<std::string, v1::EdgeState> names = {{"normal", v1::NORMAL},
                                                             {"removed", v1::REMOVED},
                                                             {"archived", v1::ARCHIVED},
                                                             {"negative", v1::NEGATIVE}};
  for (absl::string_view name : absl::StrSplit(list, ',')) {
    auto it = names.find(std::string(name));
    if (it == names.end()) return false;
    states->push_back(it->second);
  }
  return true;
}

bool ParseDirection(const std::string& name, v1::Direction* direction) {
  if (name == "forward") {
    *direction = v1::FORWARD;
  } else if (name == "backward") {
    *direction = v1::BACKWARD;
  } else {
    return false;
  }
  return true;
}

constexpr char kBadGraph[] = "--graph must be follows, blocks or mutes";
constexpr char kBadDirection[] = "--direction must be forward or backward";

// What every command is given.
struct Call {
  const Client& c;
  const std::string& command;
  const Args& args;
  const RemoteOptions& options;
};

int Post(const Call& call) {
  uint64_t author;
  if (call.args.size() < 2 || !absl::SimpleAtoi(call.args[0], &author)) {
    return UsageError("usage: post AUTHOR TEXT...");
  }
  v1::PostRequest req;
  req.set_author_id(author);
  req.set_text(absl::StrJoin(call.args.begin() + 1, call.args.end(), " "));
  req.set_request_id(call.options.request_id);
  req.set_reply_to_id(call.options.reply_to);
  v1::PostResponse resp;
  grpc::Status status =
      v1::Tweets::NewStub(call.c.channel)->Post(call.c.Context().get(), req, &resp);
  if (status.ok()) {
    std::printf("tweet %llu, position %llu, token %s\n",
                static_cast<unsigned long long>(resp.tweet_id()),
                static_cast<unsigned long long>(resp.position()), resp.token().c_str());
  }
  return Report(status);
}

int Delete(const Call& call) {
  std::vector<uint64_t> ids;
  if (!ParseIds(call.args, 2, &ids)) return UsageError("usage: delete AUTHOR TWEET_ID");
  v1::DeleteRequest req;
  req.set_author_id(ids[0]);
  req.set_tweet_id(ids[1]);
  v1::DeleteResponse resp;
  grpc::Status status =
      v1::Tweets::NewStub(call.c.channel)->Delete(call.c.Context().get(), req, &resp);
  if (status.ok()) {
    std::printf("deleted, position %llu, token %s\n", static_cast<unsigned long long>(resp.position()),
                resp.token().c_str());
  }
  return Report(status);
}

int Get(const Call& call) {
  std::vector<uint64_t> ids;
  if (!ParseIds(call.args, 0, &ids)) return UsageError("usage: get TWEET_ID...");
  v1::GetRequest req;
  for (uint64_t id : ids) req.add_ids(id);
  v1::GetResponse resp;
  grpc::Status status =
      v1::Tweets::NewStub(call.c.channel)->Get(call.c.Context().get(), req, &resp);
  for (const v1::Tweet& t : resp.tweets()) PrintTweet(t);
  return Report(status);
}

// home USER | user USER
int Timeline(const Call& call) {
  std::vector<uint64_t> ids;
  if (!ParseIds(call.args, 1, &ids)) return UsageError("usage: " + call.command + " USER");
  v1::TimelinePage page;
  grpc::Status status;
  if (call.command == "home") {
    v1::HomeRequest req;
    req.set_user_id(ids[0]);
    req.set_limit(call.options.limit);
    req.set_max_id(call.options.max_id);
    req.set_hydrate(true);
    req.set_min_position(call.options.min_position);
    req.set_token(call.options.token);
    status = v1::Timelines::NewStub(call.c.channel)->Home(call.c.Context().get(), req, &page);
  } else {
    v1::UserTimelineRequest req;
    req.set_user_id(ids[0]);
    req.set_limit(call.options.limit);
    req.set_max_id(call.options.max_id);
    req.set_hydrate(true);
    req.set_min_position(call.options.min_position);
    req.set_token(call.options.token);
    status = v1::Tweets::NewStub(call.c.channel)->UserTimeline(call.c.Context().get(), req, &page);
  }
  if (status.ok()) PrintPage(page);
  return Report(status);
}

// The edge commands name their graph, except negate, which takes --graph.
int Edge(const Call& call) {
  std::vector<uint64_t> ids;
  if (!ParseIds(call.args, 2, &ids)) return UsageError("usage: " + call.command + " A B");
  enum class Write { kAdd, kRemove, kNegate };
  static const std::map<std::string, std::pair<v1::GraphKind, Write>> kinds = {
      {"follow", {v1::FOLLOWS, Write::kAdd}},
      {"unfollow", {v1::FOLLOWS, Write::kRemove}},
      {"block", {v1::BLOCKS, Write::kAdd}},
      {"unblock", {v1::BLOCKS, Write::kRemove}},
      {"mute", {v1::MUTES, Write::kAdd}},
      {"unmute", {v1::MUTES, Write::kRemove}},
      {"negate", {v1::GRAPH_UNSPECIFIED, Write::kNegate}}};
  auto [kind, write] = kinds.at(call.command);
  if (kind == v1::GRAPH_UNSPECIFIED && !ParseGraph(call.options.graph, &kind)) {
    return UsageError(kBadGraph);
  }
  auto stub = v1::Graph::NewStub(call.c.channel);
  v1::EdgeRequest req;
  req.set_graph(kind);
  req.set_source_id(ids[0]);
  req.set_destination_id(ids[1]);
  v1::WriteResponse resp;
  auto ctx = call.c.Context();
  grpc::Status status = write == Write::kAdd      ? stub->Add(ctx.get(), req, &resp)
                        : write == Write::kRemove ? stub->Remove(ctx.get(), req, &resp)
                                                  : stub->Negate(ctx.get(), req, &resp);
  if (status.ok())
    std::printf("ok, position %llu, token %s\n", static_cast<unsigned long long>(resp.position()),
                resp.token().c_str());
  return Report(status);
}

// archive USER | unarchive USER | remove-all USER
int Mass(const Call& call) {
  std::vector<uint64_t> ids;
  if (!ParseIds(call.args, 1, &ids)) return UsageError("usage: " + call.command + " USER");
  v1::GraphKind kind;
  if (!ParseGraph(call.options.graph, &kind)) return UsageError(kBadGraph);
  v1::MassRequest req;
  req.set_graph(kind);
  req.set_user_id(ids[0]);
  v1::WriteResponse resp;
  auto stub = v1::Graph::NewStub(call.c.channel);
  auto ctx = call.c.Context();
  grpc::Status status = call.command == "archive"     ? stub->Archive(ctx.get(), req, &resp)
                        : call.command == "unarchive" ? stub->Unarchive(ctx.get(), req, &resp)
                                                      : stub->RemoveAll(ctx.get(), req, &resp);
  if (status.ok()) {
    std::printf("position %llu, token %s\n", static_cast<unsigned long long>(resp.position()),
                resp.token().c_str());
  }
  return Report(status);
}

// select USER | count USER
int List(const Call& call) {
  std::vector<uint64_t> ids;
  if (!ParseIds(call.args, 1, &ids)) return UsageError("usage: " + call.command + " USER");
  v1::GraphKind kind;
  v1::Direction direction;
  std::vector<v1::EdgeState> states;
  if (!ParseGraph(call.options.graph, &kind)) return UsageError(kBadGraph);
  if (!ParseDirection(call.options.direction, &direction)) return UsageError(kBadDirection);
  if (!ParseStates(call.options.states, &states)) {
    return UsageError("--states must list normal, removed, archived or negative, comma-separated");
  }
  auto stub = v1::Graph::NewStub(call.c.channel);
  if (call.command == "count") {
    v1::CountRequest req;
    req.set_graph(kind);
    req.set_user_id(ids[0]);
    req.set_direction(direction);
    for (v1::EdgeState state : states) req.add_states(state);
    req.set_min_position(call.options.min_position);
    req.set_token(call.options.token);
    v1::CountResponse resp;
    grpc::Status status = stub->Count(call.c.Context().get(), req, &resp);
    if (status.ok()) std::printf("%llu\n", static_cast<unsigned long long>(resp.count()));
    return Report(status);
  }
  v1::SelectRequest req;
  req.set_graph(kind);
  req.set_user_id(ids[0]);
  req.set_direction(direction);
  for (v1::EdgeState state : states) req.add_states(state);
  req.set_cursor(call.options.cursor);
  req.set_limit(call.options.limit);
  req.set_created_after_ms(call.options.after_ms);
  req.set_created_before_ms(call.options.before_ms);
  req.set_min_position(call.options.min_position);
  req.set_token(call.options.token);
  v1::SelectResponse resp;
  grpc::Status status = stub->Select(call.c.Context().get(), req, &resp);
  PrintIds(resp.ids(), status.ok() ? resp.next_cursor() : 0);
  return Report(status);
}

// intersect USER... | union USER... | difference USER...
int Query(const Call& call) {
  std::vector<uint64_t> ids;
  if (!ParseIds(call.args, 0, &ids)) return UsageError("usage: " + call.command + " USER...");
  v1::GraphKind kind;
  v1::Direction direction;
  if (!ParseGraph(call.options.graph, &kind)) return UsageError(kBadGraph);
  if (!ParseDirection(call.options.direction, &direction)) return UsageError(kBadDirection);
  v1::QueryRequest req;
  req.set_op(call.command == "intersect" ? v1::INTERSECT
             : call.command == "union"   ? v1::UNION
                                         : v1::DIFFERENCE);
  for (uint64_t user : ids) {
    v1::QueryTerm* term = req.add_terms();
    term->set_graph(kind);
    term->set_user_id(user);
    term->set_direction(direction);
  }
  req.set_cursor(call.options.cursor);
  req.set_limit(call.options.limit);
  req.set_with_total(call.options.total);
  req.set_min_position(call.options.min_position);
  req.set_token(call.options.token);
  v1::QueryResponse resp;
  grpc::Status status =
      v1::Graph::NewStub(call.c.channel)->Query(call.c.Context().get(), req, &resp);
  PrintIds(resp.ids(), status.ok() ? resp.next_cursor() : 0);
  if (status.ok() && req.with_total()) {
    std::printf("total %llu\n", static_cast<unsigned long long>(resp.total()));
  }
  return Report(status);
}

int Stats(const Call& call) {
  v1::StatsResponse resp;
  grpc::Status status =
      v1::Admin::NewStub(call.c.channel)->Stats(call.c.Context().get(), v1::StatsRequest(), &resp);
  if (status.ok()) {
    std::printf("appended_position\t%llu\napplied_position\t%llu\nprocessed_position\t%llu\n",
                static_cast<unsigned long long>(resp.appended_position()),
                static_cast<unsigned long long>(resp.applied_position()),
                static_cast<unsigned long long>(resp.processed_position()));
    std::map<std::string, int64_t> sorted(resp.counters().begin(), resp.counters().end());
    for (const auto& [name, value] : sorted) {
      std::printf("%s\t%lld\n", name.c_str(), static_cast<long long>(value));
    }
  }
  return Report(status);
}

// `cluster status`: each partition's owner, positions and lag, from any node.
int Cluster(const Call& call) {
  if (call.args.size() != 1 || call.args[0] != "status") {
    return UsageError("usage: roostctl cluster status");
  }
  v1::StatsResponse resp;
  grpc::Status status =
      v1::Admin::NewStub(call.c.channel)->Stats(call.c.Context().get(), v1::StatsRequest(), &resp);
  if (!status.ok()) return Report(status);
  if (resp.partitions().empty() && resp.unavailable_nodes().empty()) {
    return Report(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                               "this roostd is not a cluster node (started without --cluster)"));
  }
  std::printf("partition\towner\tappended\tapplied\tlag\n");
  for (const v1::PartitionStats& p : resp.partitions()) {
    const uint64_t lag =
        p.appended_position() - std::min(p.appended_position(), p.applied_position());
    std::printf("%u\t%u\t%llu\t%llu\t%llu\n", p.partition(), p.owner(),
                static_cast<unsigned long long>(p.appended_position()),
                static_cast<unsigned long long>(p.applied_position()),
                static_cast<unsigned long long>(lag));
  }
  for (const std::string& node : resp.unavailable_nodes()) {
    std::printf("unavailable\t%s\n", node.c_str());
  }
  return resp.unavailable_nodes().empty() ? 0 : 1;
}

int Feed(const Call& call) {
  v1::SubscribeRequest req;
  req.set_from_position(call.options.from);
  req.set_partition(call.options.partition);
  req.set_all_partitions(call.options.all_partitions);
  if (!call.options.type.empty()) req.add_types(call.options.type);
  grpc::ClientContext context;  // no deadline: it runs until interrupted
  call.c.Authorize(&context);
  auto stream = v1::ChangeFeed::NewStub(call.c.channel)->Subscribe(&context, req);
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  v1::ChangeEvent event;
  while (stream->Read(&event)) {
    std::string text;
    (void)google::protobuf::util::MessageToJsonString(event, &text, json);
    std::printf("%s\n", text.c_str());
    std::fflush(stdout);
  }
  return Report(stream->Finish());
}

int Ping(const Call& call) {
  v1::PingResponse resp;
  const absl::Time start = absl::Now();
  grpc::Status status =
      v1::Admin::NewStub(call.c.channel)->Ping(call.c.Context().get(), v1::PingRequest(), &resp);
  if (status.ok()) std::printf("pong in %s\n", absl::FormatDuration(absl::Now() - start).c_str());
  return Report(status);
}

const std::map<std::string, int (*)(const Call&)>& Commands() {
  static const auto* commands = new std::map<std::string, int (*)(const Call&)>{
      {"post", Post},     {"delete", Delete},   {"get", Get},         {"home", Timeline},
      {"user", Timeline}, {"follow", Edge},     {"unfollow", Edge},   {"block", Edge},
      {"unblock", Edge},  {"mute", Edge},       {"unmute", Edge},     {"negate", Edge},
      {"archive", Mass},  {"unarchive", Mass},  {"remove-all", Mass}, {"select", List},
      {"count", List},    {"intersect", Query}, {"union", Query},     {"difference", Query},
      {"stats", Stats},   {"feed", Feed},       {"ping", Ping},       {"cluster", Cluster}};
  return *commands;
}

}  // namespace

bool IsRemoteCommand(const std::string& command) { return Commands().contains(command); }

int RunRemoteCommand(const Client& client, const std::string& command, const Args& args,
                     const RemoteOptions& options) {
  auto it = Commands().find(command);
  if (it == Commands().end()) return UsageError("unknown command '" + command + "'");
  return it->second(Call{client, command, args, options});
}

int UsageError(const std::string& problem) {
  std::fprintf(stderr, "roostctl: %s\nRun 'roostctl --help' for usage.\n", problem.c_str());
  return 2;
}

}  // namespace roost::services::ctl
