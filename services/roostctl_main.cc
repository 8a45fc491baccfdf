// roostctl: a small command-line client for roostd, so a person can try Roost
// without writing code. Every command is one gRPC call.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "common/flag_names.h"
#include "common/program_help.h"
#include "services/roostctl_client.h"
#include "services/roostctl_graph.h"
#include "services/roostctl_log.h"
#include "services/roostctl_remote.h"

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
ABSL_FLAG(uint64_t, min_position, 0,
          "home/user/select/count/intersect/union/difference: wait (within --timeout-ms) "
          "until the stores have applied this log position, e.g. one a write printed.");
ABSL_FLAG(std::string, token, "",
          "home/user/select/count/intersect/union/difference: wait (within --timeout-ms) "
          "until what the write that printed this token caused is applied, on any node of a "
          "cluster (read-your-writes across nodes).");
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
ABSL_FLAG(uint32_t, partition, 0,
          "feed, against a cluster: the partition whose stream to follow (on its owner).");
ABSL_FLAG(bool, all_partitions, false,
          "feed, against a cluster: every partition the node owns (each event names its "
          "partition; --from applies to each).");
ABSL_FLAG(uint64_t, before, 0,
          "log truncate: delete the log segments wholly below this offset (never past what "
          "the stores have committed).");
ABSL_FLAG(std::string, type, "",
          "log dump: only events of this kind: tweet_posted, tweet_deleted, edge_changed, "
          "edges_mass_changed.");

namespace {

namespace ctl = ::roost::services::ctl;

constexpr char kUsage[] = R"(talks to roostd.
Usage: roostctl [--target=127.0.0.1:7070] COMMAND ARGS...
Flags may be spelled with dashes or underscores (--request-id, --request_id).
A write prints its log position and token; a read given --min-position=N sees every
write up to it, one given --token=T everything the write caused (on any cluster node).

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
  stats                      log positions and counters (a cluster's: summed)
  cluster status             a cluster's partitions: owner, appended and applied
                             positions, lag; any node answers
  ping                       round trip of an empty call (Admin.Ping)
  feed                       follow the change feed: one JSON object per event
                             (--from: first position, 0 for new events only;
                             --type; --partition or --all-partitions in a
                             cluster; Ctrl-C ends it)
  log info --data-dir=D      the log's segments, records and offsets (reads files;
                             no server needed, safe while roostd runs)
  log dump --data-dir=D      one JSON object per event (--from, --to, --type)
  log verify --data-dir=D    checks every checksum and event; names the first bad one
  graph verify --data-dir=D  recomputes every edge count and checks the indexes;
                             exit 1 on any drift (roostd stopped; a cluster
                             node's dir: each of its partitions)
  log truncate --data-dir=D --before=N
                             deletes old segments (roostd stopped; never past what
                             the stores have committed))";

}  // namespace

int main(int argc, char** argv) {
  if (roost::PrintHelpIfAsked(argc, argv, kUsage, "roostctl_main.cc")) return 0;
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> arg_storage;
  std::vector<char*> flag_args = roost::WithUnderscoredFlagNames(argc, argv, &arg_storage);
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(flag_args.size()), flag_args.data());
  if (positional.size() < 2) return ctl::UsageError("no command given");
  const std::string command = positional[1];
  const std::vector<std::string> args(positional.begin() + 2, positional.end());

  // Commands on a data directory's files.
  if (command == "graph") return ctl::RunGraphCommand(args, absl::GetFlag(FLAGS_data_dir));
  if (command == "log") {
    ctl::LogCommandOptions options;
    options.data_dir = absl::GetFlag(FLAGS_data_dir);
    options.from = std::max<uint64_t>(1, absl::GetFlag(FLAGS_from));
    options.to = absl::GetFlag(FLAGS_to);
    options.type = absl::GetFlag(FLAGS_type);
    options.before = absl::GetFlag(FLAGS_before);
    return ctl::RunLogCommand(args, options);
  }

  // Commands to a running roostd.
  if (!ctl::IsRemoteCommand(command)) {
    return ctl::UsageError("unknown command '" + command + "'");
  }
  absl::StatusOr<ctl::Client> client = ctl::Connect(
      {absl::GetFlag(FLAGS_target), absl::GetFlag(FLAGS_tls_ca), absl::GetFlag(FLAGS_tls_cert),
       absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_token_file),
       absl::Milliseconds(absl::GetFlag(FLAGS_timeout_ms))});
  if (!client.ok()) {
    std::fprintf(stderr, "roostctl: %s\n", std::string(client.status().message()).c_str());
    return 2;
  }
  ctl::RemoteOptions options;
  options.limit = absl::GetFlag(FLAGS_limit);
  options.max_id = absl::GetFlag(FLAGS_max_id);
  options.cursor = absl::GetFlag(FLAGS_cursor);
  options.graph = absl::GetFlag(FLAGS_graph);
  options.states = absl::GetFlag(FLAGS_states);
  options.direction = absl::GetFlag(FLAGS_direction);
  options.total = absl::GetFlag(FLAGS_total);
  options.after_ms = absl::GetFlag(FLAGS_after_ms);
  options.before_ms = absl::GetFlag(FLAGS_before_ms);
  options.request_id = absl::GetFlag(FLAGS_request_id);
  options.reply_to = absl::GetFlag(FLAGS_reply_to);
  options.min_position = absl::GetFlag(FLAGS_min_position);
  options.token = absl::GetFlag(FLAGS_token);
  options.from = absl::GetFlag(FLAGS_from);
  options.type = absl::GetFlag(FLAGS_type);
  options.partition = absl::GetFlag(FLAGS_partition);
  options.all_partitions = absl::GetFlag(FLAGS_all_partitions);
  return ctl::RunRemoteCommand(*client, command, args, options);
}
