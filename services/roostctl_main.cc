// roostctl: a small command-line client for roostd, so a person can try Roost
// without writing code. Every command is one gRPC call.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/flag_names.h"
#include "common/program_help.h"
#include "roost/v1/feed.grpc.pb.h"
#include "roost/v1/roost.grpc.pb.h"
#include "services/roostctl_client.h"
#include "services/roostctl_graph.h"
#include "services/roostctl_log.h"

ABSL_FLAG(std::string, target, "127.0.0.1:7070", "roostd address, host:port.");
ABSL_FLAG(uint32_t, limit, 20, "Page size for home, user and select (at most 200).");
ABSL_FLAG(uint64_t, max_id, 0, "home/user: return tweets older than this id.");
ABSL_FLAG(int64_t, cursor, 0, "select/intersect/union/difference: continue from this next_cursor.");
ABSL_FLAG(std::string, graph, "follows",
          "negate/select/count/archive/unarchive/remove-all: follows, blocks or mutes.");
ABSL_FLAG(std::string, states, "normal",
          "select/count: the edge states to list, comma-separated: normal, removed, archived, "
          "negative.");
ABSL_FLAG(bool, total, false,
          "intersect/union/difference: also print the exact size of the whole result.");
ABSL_FLAG(int64_t, after_ms, 0, "select: only edges created at or after this Unix ms time.");
ABSL_FLAG(int64_t, before_ms, 0, "select: only edges created before this Unix ms time.");
ABSL_FLAG(std::string, direction, "forward",
          "select/count: forward (whom the user points at) or backward (who points at the user).");
ABSL_FLAG(std::string, request_id, "", "post: a retry with the same id posts once.");
ABSL_FLAG(uint64_t, reply_to, 0, "post: the id of the tweet this replies to.");
ABSL_FLAG(int32_t, timeout_ms, 10000, "Deadline of each call.");
ABSL_FLAG(std::string, tls_ca, "",
          "Connect with TLS, trusting the server certificates this PEM CA bundle signed; "
          "empty: plaintext.");
ABSL_FLAG(std::string, tls_cert, "", "With --tls-ca: this PEM client certificate (mutual TLS).");
ABSL_FLAG(std::string, tls_key, "", "With --tls-cert: its PEM private key.");
ABSL_FLAG(std::string, token_file, "",
          "Send the bearer token in this file (its first line) with every call; without "
          "it, the environment variable ROOST_TOKEN is used if set.");
ABSL_FLAG(std::string, data_dir, "", "log: roostd's data directory.");
ABSL_FLAG(uint64_t, from, 0,
          "log dump: the first offset (0: the start); feed: the first position (0: only "
          "events from now on).");
ABSL_FLAG(uint64_t, to, 0, "log dump: the last offset (0: the end).");
ABSL_FLAG(uint64_t, before, 0,
          "log truncate: delete the log segments wholly below this offset (never past what "
          "the stores have committed).");
ABSL_FLAG(std::string, type, "",
          "log dump: only events of this kind: tweet_posted, tweet_deleted, edge_changed, "
          "edges_mass_changed.");

namespace {

namespace v1 = ::roost::v1;
using ::roost::ctl::Client;

constexpr char kUsage[] = R"(talks to roostd.
Usage: roostctl [--target=127.0.0.1:7070] COMMAND ARGS...
Flags may be spelled with dashes or underscores (--request-id, --request_id).

Commands:
  post AUTHOR TEXT...        post a tweet (--request-id, --reply-to)
  delete AUTHOR TWEET_ID     delete one of AUTHOR's tweets
  get TWEET_ID...            fetch tweets by id
  home USER                  USER's home timeline (--limit, --max-id)
  user USER                  USER's own tweets (--limit, --max-id)
  follow A B | unfollow A B  A starts/stops following B (refused while B blocks A)
  block A B | unblock A B    A blocks/unblocks B (a block ends follows both ways and
                             hides each from the other's home timeline)
  mute A B | unmute A B      A mutes/unmutes B (B's tweets leave/return to A's home)
  negate A B                 keeps A's edge to B in --graph but marks it NEGATIVE
                             (FlockDB's negate, e.g. "not interested"): not followed,
                             contained or counted as normal; follow/block/mute makes
                             it normal again at its old position
  select USER                a page of USER's edges (--graph, --direction, --states,
                             --cursor; --after-ms/--before-ms: created in that range)
  count USER                 how many edges USER has (--graph, --direction, --states)
  intersect USER... | union USER... | difference USER...
                             set algebra over the users' NORMAL lists in --graph and
                             --direction (e.g. --direction=backward: followers), up to
                             8, newest first by the first's order (--cursor, --limit;
                             --total: the size of the whole result too)
  archive USER | unarchive USER | remove-all USER
                             all of USER's edges in --graph, both directions: archive
                             (spam removal), undo it, or remove them
  stats                      log positions and counters
  ping                       round trip of an empty call (Admin.Ping)
  feed                       follow the change feed: one JSON object per event
                             (--from: first position, 0 for new events only;
                             --type; Ctrl-C ends it)
  log info --data-dir=D      the log's segments, records and offsets (reads files;
                             no server needed, safe while roostd runs)
  log dump --data-dir=D      one JSON object per event (--from, --to, --type)
  log verify --data-dir=D    checks every checksum and event; names the first bad one
  graph verify --data-dir=D  recomputes every edge count and checks the indexes;
                             exit 1 on any drift (roostd stopped)
  log truncate --data-dir=D --before=N
                             deletes old segments (roostd stopped; never past what
                             the stores have committed))";

int Usage(const std::string& problem) {
  std::fprintf(stderr, "roostctl: %s\nRun 'roostctl --help' for usage.\n", problem.c_str());
  return 2;
}

// The canonical name of a status code, as grpcurl and the gRPC docs spell it.
const char* CodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {
      "OK",        "CANCELLED",          "UNKNOWN",        "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",  "ALREADY_EXISTS", "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",       "UNAVAILABLE",    "DATA_LOSS",
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

bool ParseId(const std::string& text, uint64_t* id) { return absl::SimpleAtoi(text, id); }

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

bool ParseGraph(v1::GraphKind* kind) {
  static const std::map<std::string, v1::GraphKind> kinds = {
      {"follows", v1::FOLLOWS}, {"blocks", v1::BLOCKS}, {"mutes", v1::MUTES}};
  auto it = kinds.find(absl::GetFlag(FLAGS_graph));
  if (it == kinds.end()) return false;
  *kind = it->second;
  return true;
}

bool ParseStates(std::vector<v1::EdgeState>* states) {
  static const std::map<std::string, v1::EdgeState> names = {{"normal", v1::NORMAL},
                                                             {"removed", v1::REMOVED},
                                                             {"archived", v1::ARCHIVED},
                                                             {"negative", v1::NEGATIVE}};
  for (absl::string_view name : absl::StrSplit(absl::GetFlag(FLAGS_states), ',')) {
    auto it = names.find(std::string(name));
    if (it == names.end()) return false;
    states->push_back(it->second);
  }
  return true;
}

bool ParseDirection(v1::Direction* direction) {
  const std::string d = absl::GetFlag(FLAGS_direction);
  if (d == "forward") *direction = v1::FORWARD;
  else if (d == "backward") *direction = v1::BACKWARD;
  else return false;
  return true;
}

// The edge commands name their graph, except negate, which takes --graph.
int EdgeCommand(const Client& c, const std::string& command, uint64_t a, uint64_t b) {
  enum class Write { kAdd, kRemove, kNegate };
  static const std::map<std::string, std::pair<v1::GraphKind, Write>> kinds = {
      {"follow", {v1::FOLLOWS, Write::kAdd}}, {"unfollow", {v1::FOLLOWS, Write::kRemove}},
      {"block", {v1::BLOCKS, Write::kAdd}},   {"unblock", {v1::BLOCKS, Write::kRemove}},
      {"mute", {v1::MUTES, Write::kAdd}},     {"unmute", {v1::MUTES, Write::kRemove}},
      {"negate", {v1::GRAPH_UNSPECIFIED, Write::kNegate}}};
  auto [kind, write] = kinds.at(command);
  if (kind == v1::GRAPH_UNSPECIFIED && !ParseGraph(&kind)) {
    return Usage("--graph must be follows, blocks or mutes");
  }
  auto stub = v1::Graph::NewStub(c.channel);
  v1::EdgeRequest req;
  req.set_graph(kind);
  req.set_source_id(a);
  req.set_destination_id(b);
  v1::WriteResponse resp;
  auto ctx = c.Context();
  grpc::Status status = write == Write::kAdd      ? stub->Add(ctx.get(), req, &resp)
                        : write == Write::kRemove ? stub->Remove(ctx.get(), req, &resp)
                                                  : stub->Negate(ctx.get(), req, &resp);
  if (status.ok()) std::printf("ok, position %llu\n", static_cast<unsigned long long>(resp.position()));
  return Report(status);
}

}  // namespace

int main(int argc, char** argv) {
  if (roost::PrintHelpIfAsked(argc, argv, kUsage, "roostctl_main.cc")) return 0;
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> arg_storage;
  std::vector<char*> flag_args = roost::WithUnderscoredFlagNames(argc, argv, &arg_storage);
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(flag_args.size()), flag_args.data());
  std::vector<std::string> args(positional.begin() + 1, positional.end());
  if (args.empty()) return Usage("no command given");

  if (args[0] == "graph") {
    return roost::ctl::RunGraphCommand(std::vector<std::string>(args.begin() + 1, args.end()),
                                       absl::GetFlag(FLAGS_data_dir));
  }
  if (args[0] == "log") {
    roost::ctl::LogCommandOptions options;
    options.data_dir = absl::GetFlag(FLAGS_data_dir);
    options.from = std::max<uint64_t>(1, absl::GetFlag(FLAGS_from));
    options.to = absl::GetFlag(FLAGS_to);
    options.type = absl::GetFlag(FLAGS_type);
    options.before = absl::GetFlag(FLAGS_before);
    return roost::ctl::RunLogCommand(std::vector<std::string>(args.begin() + 1, args.end()),
                                     options);
  }

  absl::StatusOr<Client> connected = roost::ctl::Connect(
      {absl::GetFlag(FLAGS_target), absl::GetFlag(FLAGS_tls_ca), absl::GetFlag(FLAGS_tls_cert),
       absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_token_file),
       absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms))});
  if (!connected.ok()) {
    std::fprintf(stderr, "roostctl: %s\n", std::string(connected.status().message()).c_str());
    return 2;
  }
  const Client& c = *connected;
  const std::string command = args[0];
  std::vector<uint64_t> ids;
  auto need_ids = [&](size_t n, const char* what) {
    if (args.size() < n + 1) return false;
    for (size_t i = 1; i < args.size() && (n == 0 || i <= n); ++i) {
      uint64_t id;
      if (!ParseId(args[i], &id)) return false;
      ids.push_back(id);
    }
    return true;
  };

  if (command == "post") {
    uint64_t author;
    if (args.size() < 3 || !ParseId(args[1], &author)) return Usage("usage: post AUTHOR TEXT...");
    auto stub = v1::Tweets::NewStub(c.channel);
    v1::PostRequest req;
    req.set_author_id(author);
    req.set_text(absl::StrJoin(args.begin() + 2, args.end(), " "));
    req.set_request_id(absl::GetFlag(FLAGS_request_id));
    req.set_reply_to_id(absl::GetFlag(FLAGS_reply_to));
    v1::PostResponse resp;
    grpc::Status status = stub->Post(c.Context().get(), req, &resp);
    if (status.ok()) {
      std::printf("tweet %llu, position %llu\n", static_cast<unsigned long long>(resp.tweet_id()),
                  static_cast<unsigned long long>(resp.position()));
    }
    return Report(status);
  }
  if (command == "delete") {
    if (!need_ids(2, "AUTHOR TWEET_ID")) return Usage("usage: delete AUTHOR TWEET_ID");
    auto stub = v1::Tweets::NewStub(c.channel);
    v1::DeleteRequest req;
    req.set_author_id(ids[0]);
    req.set_tweet_id(ids[1]);
    v1::DeleteResponse resp;
    grpc::Status status = stub->Delete(c.Context().get(), req, &resp);
    if (status.ok()) std::printf("deleted, position %llu\n", static_cast<unsigned long long>(resp.position()));
    return Report(status);
  }
  if (command == "get") {
    if (!need_ids(0, "TWEET_ID...")) return Usage("usage: get TWEET_ID...");
    auto stub = v1::Tweets::NewStub(c.channel);
    v1::GetRequest req;
    for (uint64_t id : ids) req.add_ids(id);
    v1::GetResponse resp;
    grpc::Status status = stub->Get(c.Context().get(), req, &resp);
    for (const v1::Tweet& t : resp.tweets()) PrintTweet(t);
    return Report(status);
  }
  if (command == "home" || command == "user") {
    if (!need_ids(1, "USER")) return Usage("usage: " + command + " USER");
    v1::TimelinePage page;
    grpc::Status status;
    if (command == "home") {
      v1::HomeRequest req;
      req.set_user_id(ids[0]);
      req.set_limit(absl::GetFlag(FLAGS_limit));
      req.set_max_id(absl::GetFlag(FLAGS_max_id));
      req.set_hydrate(true);
      status = v1::Timelines::NewStub(c.channel)->Home(c.Context().get(), req, &page);
    } else {
      v1::UserTimelineRequest req;
      req.set_user_id(ids[0]);
      req.set_limit(absl::GetFlag(FLAGS_limit));
      req.set_max_id(absl::GetFlag(FLAGS_max_id));
      req.set_hydrate(true);
      status = v1::Tweets::NewStub(c.channel)->UserTimeline(c.Context().get(), req, &page);
    }
    if (status.ok()) PrintPage(page);
    return Report(status);
  }
  if (command == "follow" || command == "unfollow" || command == "block" ||
      command == "unblock" || command == "mute" || command == "unmute" || command == "negate") {
    if (!need_ids(2, "A B")) return Usage("usage: " + command + " A B");
    return EdgeCommand(c, command, ids[0], ids[1]);
  }
  if (command == "archive" || command == "unarchive" || command == "remove-all") {
    if (!need_ids(1, "USER")) return Usage("usage: " + command + " USER");
    v1::GraphKind kind;
    if (!ParseGraph(&kind)) return Usage("--graph must be follows, blocks or mutes");
    v1::MassRequest req;
    req.set_graph(kind);
    req.set_user_id(ids[0]);
    v1::WriteResponse resp;
    auto stub = v1::Graph::NewStub(c.channel);
    grpc::Status status =
        command == "archive"     ? stub->Archive(c.Context().get(), req, &resp)
        : command == "unarchive" ? stub->Unarchive(c.Context().get(), req, &resp)
                                 : stub->RemoveAll(c.Context().get(), req, &resp);
    if (status.ok()) {
      std::printf("position %llu\n", static_cast<unsigned long long>(resp.position()));
    }
    return Report(status);
  }
  if (command == "select" || command == "count") {
    if (!need_ids(1, "USER")) return Usage("usage: " + command + " USER");
    v1::GraphKind kind;
    v1::Direction direction;
    std::vector<v1::EdgeState> states;
    if (!ParseGraph(&kind)) return Usage("--graph must be follows, blocks or mutes");
    if (!ParseDirection(&direction)) return Usage("--direction must be forward or backward");
    if (!ParseStates(&states)) {
      return Usage("--states must list normal, removed, archived or negative, comma-separated");
    }
    auto stub = v1::Graph::NewStub(c.channel);
    if (command == "count") {
      v1::CountRequest req;
      req.set_graph(kind);
      req.set_user_id(ids[0]);
      req.set_direction(direction);
      for (v1::EdgeState state : states) req.add_states(state);
      v1::CountResponse resp;
      grpc::Status status = stub->Count(c.Context().get(), req, &resp);
      if (status.ok()) std::printf("%llu\n", static_cast<unsigned long long>(resp.count()));
      return Report(status);
    }
    v1::SelectRequest req;
    req.set_graph(kind);
    req.set_user_id(ids[0]);
    req.set_direction(direction);
    for (v1::EdgeState state : states) req.add_states(state);
    req.set_cursor(absl::GetFlag(FLAGS_cursor));
    req.set_limit(absl::GetFlag(FLAGS_limit));
    req.set_created_after_ms(absl::GetFlag(FLAGS_after_ms));
    req.set_created_before_ms(absl::GetFlag(FLAGS_before_ms));
    v1::SelectResponse resp;
    grpc::Status status = stub->Select(c.Context().get(), req, &resp);
    for (uint64_t id : resp.ids()) std::printf("%llu\n", static_cast<unsigned long long>(id));
    if (status.ok() && resp.next_cursor() != 0) {
      std::printf("more: --cursor=%lld\n", static_cast<long long>(resp.next_cursor()));
    }
    return Report(status);
  }
  if (command == "intersect" || command == "union" || command == "difference") {
    if (!need_ids(0, "USER...") || ids.empty()) return Usage("usage: " + command + " USER...");
    v1::QueryRequest req;
    req.set_op(command == "intersect" ? v1::INTERSECT
               : command == "union"   ? v1::UNION
                                      : v1::DIFFERENCE);
    v1::GraphKind kind;
    v1::Direction direction;
    if (!ParseGraph(&kind)) return Usage("--graph must be follows, blocks or mutes");
    if (!ParseDirection(&direction)) return Usage("--direction must be forward or backward");
    for (uint64_t user : ids) {
      v1::QueryTerm* term = req.add_terms();
      term->set_graph(kind);
      term->set_user_id(user);
      term->set_direction(direction);
    }
    req.set_cursor(absl::GetFlag(FLAGS_cursor));
    req.set_limit(absl::GetFlag(FLAGS_limit));
    req.set_with_total(absl::GetFlag(FLAGS_total));
    v1::QueryResponse resp;
    grpc::Status status = v1::Graph::NewStub(c.channel)->Query(c.Context().get(), req, &resp);
    for (uint64_t id : resp.ids()) std::printf("%llu\n", static_cast<unsigned long long>(id));
    if (status.ok() && resp.next_cursor() != 0) {
      std::printf("more: --cursor=%lld\n", static_cast<long long>(resp.next_cursor()));
    }
    if (status.ok() && req.with_total()) {
      std::printf("total %llu\n", static_cast<unsigned long long>(resp.total()));
    }
    return Report(status);
  }
  if (command == "stats") {
    v1::StatsResponse resp;
    grpc::Status status =
        v1::Admin::NewStub(c.channel)->Stats(c.Context().get(), v1::StatsRequest(), &resp);
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
  if (command == "feed") {
    v1::SubscribeRequest req;
    req.set_from_position(absl::GetFlag(FLAGS_from));
    if (!absl::GetFlag(FLAGS_type).empty()) req.add_types(absl::GetFlag(FLAGS_type));
    grpc::ClientContext context;  // no deadline: it runs until interrupted
    c.Authorize(&context);
    auto stream = v1::ChangeFeed::NewStub(c.channel)->Subscribe(&context, req);
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
  if (command == "ping") {
    v1::PingResponse resp;
    const absl::Time start = absl::Now();
    grpc::Status status =
        v1::Admin::NewStub(c.channel)->Ping(c.Context().get(), v1::PingRequest(), &resp);
    if (status.ok()) {
      std::printf("pong in %s\n", absl::FormatDuration(absl::Now() - start).c_str());
    }
    return Report(status);
  }
  return Usage("unknown command '" + command + "'");
}
