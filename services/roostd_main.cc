// roostd: serves tweets, home timelines and the social graph over gRPC from one
// process, with its data in one directory.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cluster/cluster_map.h"
#include "common/flag_names.h"
#include "common/program_help.h"
#include "common/status_macros.h"
#include "services/cluster_node.h"
#include "services/metrics_endpoint.h"
#include "services/roost.h"
#include "services/server.h"
#include "tweetstore/memcached_client.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7070",
          "Address to serve gRPC on, host:port. Port 0 picks a free port (see --port-file).");
ABSL_FLAG(std::string, data_dir, "roost-data",
          "Directory holding the log and the stores; created if missing. One roostd per "
          "directory (a lock file fences a second).");
ABSL_FLAG(std::string, port_file, "",
          "If set, the port actually bound is written to this file once serving.");
ABSL_FLAG(std::string, log_sync, "always",
          "When a write is acknowledged: 'always' after fdatasync (no acknowledged write "
          "is lost); 'interval' after the write, syncing every 10 ms (a crash of the "
          "machine may lose the last 10 ms); 'none' never syncs (tests, benchmarks).");
ABSL_FLAG(std::string, log_recover, "fail",
          "If the log's tail segment holds a corrupt record followed by intact ones (not a "
          "torn last write, which is always repaired): 'fail' refuses to start and names "
          "the file and offset; 'truncate' cuts the log there and reports what it dropped.");
ABSL_FLAG(uint64_t, log_retention_bytes, 0,
          "Delete the oldest log segments while the log is larger than this (0: keep "
          "everything). Only segments every store has applied are deleted; a rebuild "
          "needs the whole log, so retention rules it out.");
ABSL_FLAG(double, log_retention_hours, 0,
          "Delete log segments last written more than this many hours ago (0: keep them), "
          "with the same safeguard.");
ABSL_FLAG(uint64_t, log_segment_bytes, uint64_t{128} << 20, "Size at which log segments roll.");
ABSL_FLAG(double, log_segment_hours, 0,
          "Also roll a log segment this many hours after it began (at the next write), so "
          "--log-retention-hours can delete a slow log's old records; 0: by size only.");
ABSL_FLAG(bool, rebuild, false,
          "Drop the tweet and graph stores and rebuild them by replaying the whole log "
          "before serving (after a store was lost or damaged, or to check the log).");
ABSL_FLAG(uint32_t, node_id, 0,
          "Snowflake node id of this process, 0..1023. With --cluster: this node's id in the "
          "cluster file.");
ABSL_FLAG(std::string, cluster, "",
          "Run as a node of a cluster described by this file (roost/v1/cluster.proto, "
          "protobuf text: name, nats_servers, partitions, nodes and their gRPC addresses). "
          "The node serves on its address from the file (not --listen), keeps each partition "
          "it owns in --data-dir/p<N> over the partition's JetStream stream, and forwards "
          "calls about other partitions to their owners. Empty: one process, embedded log.");
ABSL_FLAG(uint32_t, timeline_max_entries, 800, "Entries kept per home timeline.");
ABSL_FLAG(int32_t, timeline_shards, 16, "Home timeline shards (each has one writer).");
ABSL_FLAG(uint64_t, timeline_memory_limit, uint64_t{2} << 30,
          "Bytes the home timelines may hold (about 4 KiB per full timeline of 800); over it "
          "the timelines read least recently are dropped, and rebuilt from the stores when "
          "read again (0: no limit).");
ABSL_FLAG(uint64_t, fanout_read_threshold, 100'000,
          "Hybrid fanout: tweets of authors with more followers than this are not pushed to "
          "every follower's home timeline but merged into it when it is read (0: always "
          "pushed).");
ABSL_FLAG(uint64_t, graph_follower_cache_bytes, uint64_t{256} << 20,
          "Memory for the follower lists of the most-followed users, which fanout reads for "
          "each of their tweets (0: none).");
ABSL_FLAG(uint64_t, graph_follower_cache_min_followers, 10'000,
          "Users with at least this many followers have their follower list cached once "
          "read.");
ABSL_FLAG(std::string, tweet_cache, "",
          "A memcached read-through cache in front of the tweet store, for deployments "
          "where many API nodes read the same tweets: "
          "memcached:HOST:PORT[,HOST:PORT...], keys spread by consistent hashing (ketama). "
          "A cache failure never fails a read; a deleted tweet is never served from it. "
          "Empty: no cache.");
ABSL_FLAG(uint64_t, tweet_copy_bytes, uint64_t{64} << 20,
          "With --cluster: memory of each partition for copies of other partitions' tweets "
          "delivered to its users, so home reads hydrate them without asking their owners "
          "(0: always ask).");
ABSL_FLAG(int32_t, worker_threads, 0,
          "Pipeline worker threads; 0 uses the machine's hardware concurrency. With "
          "--cluster, each partition's pipeline; 0 shares the cores among the node's "
          "partitions (at least one thread each).");
ABSL_FLAG(std::string, metrics_listen, "",
          "Serve Prometheus metrics (GET /metrics) on this host:port, e.g. 127.0.0.1:9464 "
          "(port 0 picks a free one); empty: no metrics endpoint. Admin.Stats (roostctl "
          "stats) serves the same numbers over gRPC either way. With --cluster: every "
          "partition of the node, each sample labelled partition=\"P\".");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain to serve gRPC over TLS (with --tls-key); empty: plaintext.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: with TLS, clients must present a certificate signed by it (mutual "
          "TLS); empty: any client may connect.");
ABSL_FLAG(std::string, auth_tokens_file, "",
          "Bearer tokens that may call, one `user TOKEN` or `admin TOKEN` per line (the file "
          "must be readable by its owner only). Calls without a known token get "
          "UNAUTHENTICATED; Admin and ChangeFeed need an admin token. Health and "
          "reflection stay open. Without TLS only on a loopback address. Empty: no tokens.");
ABSL_FLAG(int32_t, max_concurrent_streams, 1024,
          "Calls one client connection may have open at once (HTTP/2 streams); further "
          "calls wait in the client.");
ABSL_FLAG(int32_t, max_pending_writes, 16384,
          "Writes that may wait for the log at once; more get RESOURCE_EXHAUSTED at once "
          "(clients retry with backoff) rather than queueing without bound.");
ABSL_FLAG(int32_t, shutdown_grace_ms, 5000,
          "On SIGINT/SIGTERM, how long calls in flight may take to finish.");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "roostd: %s\n", message.c_str());
  return 1;
}

// Protobuf logs an error line for every request whose string field is not UTF-8 (the
// call is refused either way): a client could fill the disk with them. At most one
// line every 10 s gets through, saying how many were held back.
void RateLimitedProtobufLog(google::protobuf::LogLevel level, const char* filename, int line,
                            const std::string& message) {
  static absl::Mutex mu(absl::kConstInit);
  static absl::Time next = absl::InfinitePast();
  static int64_t suppressed = 0;
  absl::MutexLock lock(&mu);
  const absl::Time now = absl::Now();
  if (level < google::protobuf::LOGLEVEL_FATAL && now < next) {
    ++suppressed;
    return;
  }
  next = now + absl::Seconds(10);
  std::fprintf(stderr, "roostd: protobuf: %s (%s:%d)", message.c_str(), filename, line);
  if (suppressed > 0)
    std::fprintf(stderr, " [%lld similar lines held back]", static_cast<long long>(suppressed));
  std::fprintf(stderr, "\n");
  suppressed = 0;
}

// Whether `listen` ("host:port") names a loopback address: an IPv4 address in
// 127.0.0.0/8, ::1, or localhost (not a name that merely starts with "127.").
bool IsLoopback(const std::string& listen) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host == "localhost") return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

// Reports Open's replay of the log: a bar redrawn in place on a terminal, a line every
// ten seconds otherwise; quiet for a recovery that takes under a second.
// `whose` names the log replayed (empty: the process's own).
std::function<void(roost::LogOffset, roost::LogOffset, absl::Duration)> RecoveryProgress(
    bool rebuild, const std::string& whose = "") {
  const bool tty = isatty(STDERR_FILENO);
  auto calls = std::make_shared<int>(0);
  const std::string what =
      absl::StrCat(rebuild ? "rebuilding from " : "applying ", whose.empty() ? "the log" : whose);
  return [tty, calls, what](roost::LogOffset applied, roost::LogOffset end,
                            absl::Duration elapsed) {
    const bool done = applied >= end;
    ++*calls;
    if (done && *calls == 1) return;  // finished within the first second: nothing to show
    if (!tty && !done && *calls % 10 != 0) return;
    const double seconds = std::max(absl::ToDoubleSeconds(elapsed), 1e-3);
    const double rate = static_cast<double>(applied) / seconds;
    const double fraction =
        end == 0 ? 1.0 : static_cast<double>(applied) / static_cast<double>(end);
    std::string bar(30, ' ');
    for (size_t i = 0; i < static_cast<size_t>(fraction * 30); ++i) bar[i] = '=';
    std::fprintf(stderr, "%sroostd: %s [%s] %3.0f%% %llu/%llu events, %.0f events/s, %s %.0fs%s",
                 tty ? "\r" : "", what.c_str(), bar.c_str(), fraction * 100,
                 static_cast<unsigned long long>(applied), static_cast<unsigned long long>(end),
                 rate, done ? "took" : "ETA",
                 done ? seconds : (rate > 0 ? static_cast<double>(end - applied) / rate : 0.0),
                 tty && !done ? "" : "\n");
    std::fflush(stderr);
  };
}

namespace cluster = ::roost::cluster;
namespace services = ::roost::services;

// The engine's options, from the flags; INVALID_ARGUMENT naming the flag at fault.
absl::StatusOr<services::RoostOptions> RoostOptionsFromFlags() {
  services::RoostOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  ASSIGN_OR_RETURN(options.log_sync, roost::log::ParseSyncPolicy(absl::GetFlag(FLAGS_log_sync)));
  ASSIGN_OR_RETURN(options.log_recover,
                   roost::log::ParseRecoverMode(absl::GetFlag(FLAGS_log_recover)));
  options.node_id = absl::GetFlag(FLAGS_node_id);
  options.rebuild = absl::GetFlag(FLAGS_rebuild);
  options.log_segment_bytes = absl::GetFlag(FLAGS_log_segment_bytes);
  options.log_retention.max_bytes = absl::GetFlag(FLAGS_log_retention_bytes);
  const double hours = absl::GetFlag(FLAGS_log_retention_hours);
  const double segment_hours = absl::GetFlag(FLAGS_log_segment_hours);
  if (!(hours >= 0) || !(segment_hours >= 0) || options.log_segment_bytes == 0) {
    return absl::InvalidArgumentError(
        "--log-retention-hours and --log-segment-hours must be >= 0, --log-segment-bytes > 0");
  }
  options.log_retention.max_age = absl::Hours(hours);
  options.log_segment_max_age = absl::Hours(segment_hours);
  options.on_recovery_progress = RecoveryProgress(options.rebuild);
  options.timelines.max_entries = absl::GetFlag(FLAGS_timeline_max_entries);
  options.graph.follower_cache_bytes = absl::GetFlag(FLAGS_graph_follower_cache_bytes);
  options.graph.follower_cache_min_followers =
      absl::GetFlag(FLAGS_graph_follower_cache_min_followers);
  options.timelines.shards = absl::GetFlag(FLAGS_timeline_shards);
  options.timelines.memory_limit_bytes = absl::GetFlag(FLAGS_timeline_memory_limit);
  options.pipeline.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  options.tweet_copy_bytes = absl::GetFlag(FLAGS_tweet_copy_bytes);
  options.pipeline.fanout_read_threshold = absl::GetFlag(FLAGS_fanout_read_threshold);
  if (options.timelines.max_entries == 0 || options.timelines.shards <= 0) {
    return absl::InvalidArgumentError(
        "--timeline-max-entries and --timeline-shards must be positive");
  }
  options.tweet_cache = absl::GetFlag(FLAGS_tweet_cache);
  if (!options.tweet_cache.empty()) {
    if (absl::Status cache = roost::tweetstore::ParseMemcachedSpec(options.tweet_cache).status();
        !cache.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--tweet-cache: ", cache.message()));
    }
  }
  options.max_pending_writes = absl::GetFlag(FLAGS_max_pending_writes);
  if (options.max_pending_writes <= 0 || absl::GetFlag(FLAGS_max_concurrent_streams) <= 0) {
    return absl::InvalidArgumentError(
        "--max-pending-writes and --max-concurrent-streams must be positive");
  }
  return options;
}

// The server's options from the flags, with the tokens they name (owned here; the
// options point at them). Checked before the data dir is opened: a typo in a TLS path
// must not cost a log replay, or the stores a --rebuild drops.
struct ServerSetup {
  services::ServerOptions options;
  std::unique_ptr<services::TokenAuth> auth;
};

absl::StatusOr<ServerSetup> ServerSetupFromFlags() {
  ServerSetup setup;
  services::ServerOptions& options = setup.options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  if (const std::string path = absl::GetFlag(FLAGS_auth_tokens_file); !path.empty()) {
    if (options.tls_cert.empty() && !IsLoopback(options.listen)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--auth-tokens-file with --listen=", options.listen,
          " needs TLS (--tls-cert, --tls-key): tokens would cross the network in clear text"));
    }
    absl::StatusOr<std::unique_ptr<services::TokenAuth>> loaded = services::TokenAuth::Load(path);
    if (!loaded.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--auth-tokens-file: ", loaded.status().message()));
    }
    setup.auth = *std::move(loaded);
    options.auth = setup.auth.get();
  }
  RETURN_IF_ERROR(services::Server::CheckOptions(options));
  return setup;
}

void PrintServing(const ServerSetup& setup, const services::Server& server,
                  const services::Roost& roost, absl::Duration opened_in) {
  const std::string& listen = setup.options.listen;
  const std::string host = listen.substr(0, listen.rfind(':'));
  const char* tls = setup.options.tls_cert.empty()        ? ""
                    : setup.options.tls_client_ca.empty() ? ", TLS"
                                                          : ", mutual TLS";
  const std::string tokens =
      setup.auth == nullptr ? "" : absl::StrCat(", ", setup.auth->size(), " tokens");
  std::printf("roostd: serving on %s:%d%s%s (data dir %s, log position %llu, opened in %lld ms)\n",
              host.c_str(), server.port(), tls, tokens.c_str(),
              absl::GetFlag(FLAGS_data_dir).c_str(),
              static_cast<unsigned long long>(roost.appended_position()),
              static_cast<long long>(absl::ToInt64Milliseconds(opened_in)));
  std::fflush(stdout);
}

// Written whole then renamed, so a reader never sees a partial port.
absl::Status WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << port << "\n";
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError("cannot write " + path);
  }
  return absl::OkStatus();
}

// Waits for a stop signal, and meanwhile watches the pipeline: if it stops applying the
// log, says why once and reports NOT_SERVING so load balancers and probes see it.
// Returns the signal's number.
int AwaitStop(const sigset_t& stop_signals, absl::FunctionRef<absl::Status()> pipeline_status,
              services::Server& server) {
  int signal_number = -1;
  bool reported_failure = false;
  while (signal_number < 0) {
    const timespec poll_period = {1, 0};
    signal_number = sigtimedwait(&stop_signals, nullptr, &poll_period);
    if (const absl::Status status = pipeline_status(); !status.ok() && !reported_failure) {
      reported_failure = true;
      server.SetServing(false);
      std::fprintf(stderr, "roostd: NOT_SERVING: the pipeline stopped applying the log: %s\n",
                   std::string(status.message()).c_str());
    }
  }
  return signal_number;
}

// Cluster mode: this process is one node of the cluster in the --cluster file.
int RunClusterNode(services::RoostOptions roost, ServerSetup& setup, const sigset_t& stop_signals) {
  if (!setup.options.tls_cert.empty() || setup.auth != nullptr) {
    return Fail(
        "--cluster does not take TLS or --auth-tokens-file yet: the nodes' calls to each "
        "other are plaintext and carry no token");
  }
  absl::StatusOr<cluster::ClusterMap> map = cluster::ClusterMap::Load(absl::GetFlag(FLAGS_cluster));
  if (!map.ok()) return Fail(std::string(map.status().message()));
  services::ClusterNodeOptions options;
  options.roost = std::move(roost);
  const bool rebuild = options.roost.rebuild;
  options.recovery_progress = [rebuild](cluster::PartitionId p) {
    return RecoveryProgress(rebuild, absl::StrCat("partition ", p, "'s stream"));
  };
  const absl::Time opening = absl::Now();
  absl::StatusOr<std::unique_ptr<services::ClusterNode>> node =
      services::ClusterNode::Open(*map, absl::GetFlag(FLAGS_node_id), options);
  if (!node.ok()) return Fail(std::string(node.status().message()));
  setup.options.listen = (*node)->self().grpc_address;
  absl::StatusOr<std::unique_ptr<services::Server>> server =
      services::Server::Start(node->get(), setup.options);
  if (!server.ok()) return Fail(std::string(server.status().message()));
  std::printf(
      "roostd: node %u of cluster %s serving on %s, partitions %s of %u (data dir %s, "
      "opened in %lld ms)\n",
      (*node)->self().id, map->name().c_str(), setup.options.listen.c_str(),
      absl::StrJoin((*node)->owned(), ",").c_str(), map->partitions(),
      absl::GetFlag(FLAGS_data_dir).c_str(),
      static_cast<long long>(absl::ToInt64Milliseconds(absl::Now() - opening)));
  std::fflush(stdout);
  std::unique_ptr<services::MetricsEndpoint> metrics_endpoint;
  if (const std::string listen = absl::GetFlag(FLAGS_metrics_listen); !listen.empty()) {
    std::vector<services::MetricsSource> sources;
    for (cluster::PartitionId p : (*node)->owned()) {
      sources.push_back({(*node)->local(p)->metrics(), absl::StrCat(p)});
    }
    absl::StatusOr<std::unique_ptr<services::MetricsEndpoint>> started =
        services::MetricsEndpoint::Start(std::move(sources), listen);
    if (!started.ok()) return Fail(std::string(started.status().message()));
    metrics_endpoint = *std::move(started);
    std::printf("roostd: metrics of partitions %s on http://%s:%d/metrics\n",
                absl::StrJoin((*node)->owned(), ",").c_str(),
                listen.substr(0, listen.rfind(':')).c_str(), metrics_endpoint->port());
    std::fflush(stdout);
  }
  if (const std::string path = absl::GetFlag(FLAGS_port_file); !path.empty()) {
    if (absl::Status written = WritePortFile(path, (*server)->port()); !written.ok()) {
      return Fail(std::string(written.message()));
    }
  }
  const auto status = [&node]() -> absl::Status {
    for (cluster::PartitionId p : (*node)->owned()) {
      if (absl::Status s = (*node)->local(p)->status(); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("partition ", p, ": ", s.message()));
      }
    }
    return absl::OkStatus();
  };
  const int signal_number = AwaitStop(stop_signals, status, **server);
  std::printf("roostd: %s received, shutting down\n", strsignal(signal_number));
  std::fflush(stdout);
  // The endpoint reads the partitions' registries: stopped before the node.
  std::thread metrics_stop([&metrics_endpoint] { metrics_endpoint.reset(); });
  (*server)->Shutdown(absl::Now() + absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms)));
  metrics_stop.join();
  (*node)->Shutdown();
  std::printf("roostd: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  constexpr char kUsage[] =
      "serves Roost's tweets, home timelines and social graph over gRPC.\n"
      "Usage: roostd [--listen=127.0.0.1:7070] [--data-dir=roost-data] [flags]\n"
      "Stop with SIGINT or SIGTERM: calls in flight finish, nothing acknowledged is lost.\n"
      "Flags may be spelled with dashes or underscores (--data-dir, --data_dir).";
  if (roost::PrintHelpIfAsked(argc, argv, kUsage, "roostd_main.cc")) return 0;
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> arg_storage;
  std::vector<char*> args = roost::WithUnderscoredFlagNames(argc, argv, &arg_storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  // The Abseil linked here keeps Mutex deadlock detection on: its lock-order graph is
  // updated on every acquisition and showed in roostd's CPU profiles. Lock order is
  // the tests' to check (the TSan build), not every request's.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Block the stop signals before any thread starts, so every thread inherits the
  // mask and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // Everything roostd creates (the log, RocksDB's files, the port file) is its owner's
  // alone: tweets of protected accounts, blocks and mutes are private data.
  umask(0077);
  google::protobuf::SetLogHandler(&RateLimitedProtobufLog);
  // A closed stdout or socket must be an error on write, not the end of the process.
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<services::RoostOptions> options = RoostOptionsFromFlags();
  if (!options.ok()) return Fail(std::string(options.status().message()));
  absl::StatusOr<ServerSetup> setup = ServerSetupFromFlags();
  if (!setup.ok()) return Fail(std::string(setup.status().message()));

  if (!absl::GetFlag(FLAGS_cluster).empty()) {
    return RunClusterNode(*std::move(options), *setup, stop_signals);
  }
  const absl::Time opening = absl::Now();
  absl::StatusOr<std::unique_ptr<services::Roost>> roost = services::Roost::Open(*options);
  if (!roost.ok()) return Fail(std::string(roost.status().message()));
  absl::StatusOr<std::unique_ptr<services::Server>> server =
      services::Server::Start(roost->get(), setup->options);
  if (!server.ok()) return Fail(std::string(server.status().message()));

  std::unique_ptr<services::MetricsEndpoint> metrics_endpoint;
  if (const std::string listen = absl::GetFlag(FLAGS_metrics_listen); !listen.empty()) {
    absl::StatusOr<std::unique_ptr<services::MetricsEndpoint>> started =
        services::MetricsEndpoint::Start({{(*roost)->metrics(), ""}}, listen);
    if (!started.ok()) return Fail(std::string(started.status().message()));
    metrics_endpoint = *std::move(started);
    std::printf("roostd: metrics on http://%s:%d/metrics\n",
                listen.substr(0, listen.rfind(':')).c_str(), metrics_endpoint->port());
  }
  PrintServing(*setup, **server, **roost, absl::Now() - opening);
  if (const std::string path = absl::GetFlag(FLAGS_port_file); !path.empty()) {
    if (absl::Status written = WritePortFile(path, (*server)->port()); !written.ok()) {
      return Fail(std::string(written.message()));
    }
  }

  const int signal_number = AwaitStop(
      stop_signals, [&roost] { return (*roost)->status(); }, **server);
  std::printf("roostd: %s received, shutting down\n", strsignal(signal_number));
  std::fflush(stdout);
  // The metrics endpoint takes up to 2 s to stop (civetweb's poll quantum): stop it
  // alongside the drain rather than after it. Scrapes meanwhile still read the
  // registry, which lives as long as `roost`.
  std::thread metrics_stop([&metrics_endpoint] { metrics_endpoint.reset(); });
  (*server)->Shutdown(absl::Now() + absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms)));
  (*roost)->Shutdown();
  metrics_stop.join();
  std::printf("roostd: stopped at log position %llu\n",
              static_cast<unsigned long long>((*roost)->applied_position()));
  return 0;
}
