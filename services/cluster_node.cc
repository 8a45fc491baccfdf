#include "services/cluster_node.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "absl/types/span.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "jetstream/kv_bucket.h"
#include "services/grpc_status.h"
#include "services/validation.h"

namespace roost::services {
namespace {

namespace v1 = ::roost::v1;

// The most ids one Partitions.GetTweets carries (kMaxGetIds on the serving side).
constexpr size_t kTweetsPerCall = 100;
// The most authors one Partitions.AuthorsRecentTweets carries.
constexpr size_t kAuthorsPerCall = 1000;

std::vector<timelines::Entry> EntriesOf(const v1::RecentTweetsResponse& response) {
  std::vector<timelines::Entry> entries;
  entries.reserve(response.entries_size());
  for (const v1::TimelineEntry& entry : response.entries()) {
    entries.push_back({entry.id(), entry.author_id(), entry.flags()});
  }
  return entries;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClusterNode>> ClusterNode::Open(cluster::ClusterMap map,
                                                               cluster::NodeId node,
                                                               const ClusterNodeOptions& options) {
  if (map.node(node) == nullptr) {
    std::vector<cluster::NodeId> ids;
    for (const cluster::NodeInfo& info : map.nodes()) ids.push_back(info.id);
    return absl::InvalidArgumentError(absl::StrCat("node id ", node, " is not in cluster ",
                                                   map.name(), " (its nodes are ",
                                                   absl::StrJoin(ids, ", "), ")"));
  }
  if (options.roost.data_dir.empty()) return absl::InvalidArgumentError("data_dir must be set");
  std::unique_ptr<ClusterNode> self(new ClusterNode(std::move(map), node, options));
  self->owned_ = self->map_.PartitionsOf(node);
  self->parts_.resize(self->map_.partitions());
  for (cluster::PartitionId p = 0; p < self->map_.partitions(); ++p) {
    self->tokens_.push_back(std::make_unique<ClusterTokens>(self.get(), p));
  }
  // A node that restarts is reached again within a second: calls to a node that is
  // down fail at once (UNAVAILABLE, naming it) rather than wait, so the channel must
  // not back off for long.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  for (const cluster::NodeInfo& info : self->map_.nodes()) {
    if (info.id == node) continue;
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(info.grpc_address, grpc::InsecureChannelCredentials(), args);
    self->peers_[info.id] = v1::Partitions::NewStub(channel);
    self->channels_[info.id] = std::move(channel);
  }
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  self->readers_ = std::make_unique<ThreadPool>(2 * cores, "roost-read");
  self->local_work_ = std::make_unique<ThreadPool>(2 * cores, "roost-local");
  RETURN_IF_ERROR(self->Connect());
  const absl::Time start = absl::Now();
  RETURN_IF_ERROR(self->UntilAvailable(start, [&] { return self->CheckPartitionCount(); }));
  RETURN_IF_ERROR(self->UntilAvailable(start, [&] { return self->OpenPublishers(); }));
  for (cluster::PartitionId p : self->owned_) RETURN_IF_ERROR(self->OpenPartition(p));
  return self;
}

ClusterNode::~ClusterNode() { Shutdown(); }

absl::Status ClusterNode::Connect() {
  jetstream::ConnectionOptions connection;
  connection.servers = map_.nats_servers();
  connection.name = absl::StrCat("roostd-", map_.name(), "-", id_);
  ASSIGN_OR_RETURN(connection_, jetstream::Connection::Connect(connection));
  return absl::OkStatus();
}

absl::Status ClusterNode::UntilAvailable(absl::Time start, absl::FunctionRef<absl::Status()> step) {
  absl::Duration pause = absl::Milliseconds(100);
  while (true) {
    absl::Status status = step();
    if (!absl::IsUnavailable(status) || absl::Now() - start > options_.start_timeout) {
      return status;
    }
    // No condition to wait on: the servers answer a request or time out.
    absl::SleepFor(pause);
    pause = std::min(2 * pause, absl::Seconds(1));
  }
}

absl::Status ClusterNode::CheckPartitionCount() {
  // One bucket per cluster; its first node to start records the count.
  ASSIGN_OR_RETURN(std::unique_ptr<jetstream::KvBucket> bucket,
                   jetstream::KvBucket::Open(connection_.get(), absl::StrCat("ROOST_", map_.name()),
                                             map_.replicas(), options_.nats_timeout));
  const std::string count = absl::StrCat(map_.partitions());
  absl::StatusOr<uint64_t> created = bucket->Create("partitions", count);
  if (created.ok()) return absl::OkStatus();
  if (!absl::IsAlreadyExists(created.status())) return created.status();
  ASSIGN_OR_RETURN(jetstream::KvEntry recorded, bucket->Get("partitions"));
  if (recorded.value == count) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("cluster ", map_.name(), " was created with ", recorded.value,
                   " partitions but the cluster file says ", count,
                   "; a cluster's partition count is fixed (its users are spread by it)"));
}

jetstream::JetStreamLogOptions ClusterNode::LogOptions(cluster::PartitionId p) const {
  jetstream::JetStreamLogOptions log;
  log.stream = map_.StreamName(p);
  log.subject = map_.Subject(p);
  log.replicas = map_.replicas();
  log.timeout = options_.nats_timeout;
  return log;
}

absl::Status ClusterNode::OpenPublishers() {
  publishers_.resize(map_.partitions());
  for (cluster::PartitionId p = 0; p < map_.partitions(); ++p) {
    ASSIGN_OR_RETURN(publishers_[p], jetstream::OpenJetStreamLog(connection_.get(), LogOptions(p)));
  }
  return absl::OkStatus();
}

absl::Status ClusterNode::OpenPartition(cluster::PartitionId p) {
  std::vector<jetstream::JetStreamLog*> streams;
  for (const auto& publisher : publishers_) streams.push_back(publisher.get());
  parts_[p].scope = std::make_unique<ClusterScope>(&map_, p, std::move(streams));
  RoostOptions roost = options_.roost;
  roost.data_dir = absl::StrCat(options_.roost.data_dir, "/p", p);
  roost.node_id = p;
  roost.scope = parts_[p].scope.get();
  roost.remote = this;
  if (roost.pipeline.worker_threads == 0) {
    // The node's partitions share its cores: with a pipeline thread each (while they
    // are at least as many as the cores), a delivery runs through its bolts on one
    // thread instead of waking one thread after another.
    const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    roost.pipeline.worker_threads = std::max(1, cores / static_cast<int>(owned_.size()));
  }
  if (options_.recovery_progress) roost.on_recovery_progress = options_.recovery_progress(p);
  roost.open_log = [this, p]() -> absl::StatusOr<std::unique_ptr<log::Log>> {
    ASSIGN_OR_RETURN(std::unique_ptr<jetstream::JetStreamLog> log,
                     jetstream::OpenJetStreamLog(connection_.get(), LogOptions(p)));
    return std::unique_ptr<log::Log>(std::move(log));
  };
  absl::StatusOr<std::unique_ptr<Roost>> opened = Roost::Open(roost);
  if (!opened.ok()) {
    return absl::Status(opened.status().code(),
                        absl::StrCat("partition ", p, ": ", opened.status().message()));
  }
  parts_[p].roost = *std::move(opened);
  return absl::OkStatus();
}

const std::shared_ptr<grpc::Channel>& ClusterNode::channel(cluster::NodeId node) const {
  return channels_.at(node);
}

std::string ClusterNode::OwnerName(cluster::PartitionId p) const {
  const cluster::NodeId owner = map_.owner(p);
  return absl::StrCat("partition ", p, "'s owner, node ", owner, " at ",
                      map_.node(owner)->grpc_address);
}

bool ClusterNode::Drain(absl::Time deadline) {
  bool drained = true;
  for (Partition& part : parts_) {
    if (part.roost != nullptr) drained &= part.roost->Drain(deadline);
  }
  return drained;
}

void ClusterNode::Shutdown() {
  // Reads and waits in the pools use the Roosts (a drained Roost ends their waits).
  readers_.reset();
  local_work_.reset();
  // Every Roost stops before any is destroyed: a pipeline or a read of one partition
  // may read another's through PartitionReads. A Roost's pipeline publishes through its
  // scope, and the scopes through the publishers: stopped in that order, then the
  // connection they all use.
  for (Partition& part : parts_) {
    if (part.roost != nullptr) part.roost->Shutdown();
  }
  for (Partition& part : parts_) part.roost.reset();
  for (Partition& part : parts_) part.scope.reset();
  publishers_.clear();
  connection_.reset();
}

absl::StatusOr<std::vector<LogOffset>> ClusterNode::AwaitDerived(cluster::PartitionId p,
                                                                 LogOffset position,
                                                                 absl::Time deadline) {
  if (Roost* roost = local(p)) {
    absl::Notification applied;
    absl::Status status;
    roost->WhenApplied(position, deadline, [&](absl::Status s) {
      status = std::move(s);
      applied.Notify();
    });
    applied.WaitForNotification();
    RETURN_IF_ERROR(status);
    RETURN_IF_ERROR(parts_[p].scope->Flush(deadline));
    return parts_[p].scope->HighWater();
  }
  const std::pair<cluster::PartitionId, LogOffset> wait{p, position};
  ASSIGN_OR_RETURN(std::vector<std::vector<LogOffset>> derived,
                   AwaitDerivedAll(absl::MakeConstSpan(&wait, 1), deadline));
  return std::move(derived[0]);
}

absl::StatusOr<std::vector<std::vector<LogOffset>>> ClusterNode::AwaitDerivedAll(
    absl::Span<const std::pair<cluster::PartitionId, LogOffset>> waits, absl::Time deadline) {
  struct Call {
    grpc::ClientContext context;
    v1::AwaitDerivedRequest request;
    v1::AwaitDerivedResponse response;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls(waits.size());
  int remote = 0;
  for (const auto& [p, position] : waits) remote += local(p) == nullptr;
  absl::BlockingCounter pending(remote);
  for (size_t i = 0; i < waits.size(); ++i) {
    const auto [p, position] = waits[i];
    if (local(p) != nullptr) continue;
    calls[i] = std::make_unique<Call>();
    Call* c = calls[i].get();
    c->request.set_partition(p);
    c->request.set_position(position);
    c->context.set_deadline(absl::ToChronoTime(deadline));
    peers_.at(map_.owner(p))
        ->async()
        ->AwaitDerived(&c->context, &c->request, &c->response, [c, &pending](grpc::Status s) {
          c->status = std::move(s);
          pending.DecrementCount();
        });
  }
  std::vector<absl::StatusOr<std::vector<LogOffset>>> answers(waits.size());
  for (size_t i = 0; i < waits.size(); ++i) {
    if (calls[i] == nullptr) answers[i] = AwaitDerived(waits[i].first, waits[i].second, deadline);
  }
  pending.Wait();
  std::vector<std::vector<LogOffset>> out;
  for (size_t i = 0; i < waits.size(); ++i) {
    if (calls[i] != nullptr) {
      RETURN_IF_ERROR(FromGrpc(calls[i]->status, OwnerName(waits[i].first)));
      answers[i] = std::vector<LogOffset>(calls[i]->response.derived().begin(),
                                          calls[i]->response.derived().end());
    }
    RETURN_IF_ERROR(answers[i].status());
    if (answers[i]->size() != map_.partitions()) {
      return absl::InternalError(absl::StrCat(OwnerName(waits[i].first), " answered for ",
                                              answers[i]->size(), " partitions, not ",
                                              map_.partitions()));
    }
    out.push_back(*std::move(answers[i]));
  }
  return out;
}

// ---------------------------------------------------------------------------
// PartitionReads

absl::StatusOr<std::vector<tweetstore::Tweet>> ClusterNode::GetTweets(
    absl::Span<const TweetId> ids) {
  // Every other owner is asked at once (at most kTweetsPerCall ids a call) while the
  // local partitions are read; the answers are put back in request order.
  absl::flat_hash_map<cluster::NodeId, std::vector<TweetId>> by_owner;
  for (TweetId id : ids) {
    const uint32_t p = SnowflakeNode(id);
    if (p < map_.partitions()) by_owner[map_.owner(p)].push_back(id);
  }
  struct Call {
    grpc::ClientContext context;
    v1::PartitionTweetsRequest request;
    v1::GetResponse response;
    grpc::Status status;
    cluster::PartitionId partition = 0;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (const auto& [owner, owner_ids] : by_owner) {
    if (owner == id_) continue;
    for (size_t start = 0; start < owner_ids.size(); start += kTweetsPerCall) {
      auto call = std::make_unique<Call>();
      const size_t end = std::min(owner_ids.size(), start + kTweetsPerCall);
      call->request.mutable_ids()->Add(owner_ids.begin() + start, owner_ids.begin() + end);
      call->partition = SnowflakeNode(owner_ids[start]);
      call->context.set_deadline(absl::ToChronoTime(absl::Now() + options_.peer_timeout));
      calls.push_back(std::move(call));
    }
  }
  absl::BlockingCounter pending(static_cast<int>(calls.size()));
  for (const std::unique_ptr<Call>& call : calls) {
    Call* c = call.get();
    peers_.at(map_.owner(c->partition))
        ->async()
        ->GetTweets(&c->context, &c->request, &c->response, [c, &pending](grpc::Status status) {
          c->status = std::move(status);
          pending.DecrementCount();
        });
  }
  absl::StatusOr<std::vector<tweetstore::Tweet>> local = LocalTweets(by_owner[id_]);
  pending.Wait();
  RETURN_IF_ERROR(local.status());
  absl::flat_hash_map<TweetId, tweetstore::Tweet> found;
  for (tweetstore::Tweet& tweet : *local) found.emplace(tweet.id, std::move(tweet));
  for (const std::unique_ptr<Call>& call : calls) {
    RETURN_IF_ERROR(FromGrpc(call->status, OwnerName(call->partition)));
    for (const v1::Tweet& t : call->response.tweets()) {
      found.emplace(t.id(), tweetstore::Tweet{t.id(), t.author_id(), t.text(), t.created_at_ms(),
                                              t.reply_to_id(), t.retweet_of_id()});
    }
  }
  std::vector<tweetstore::Tweet> out;
  out.reserve(found.size());
  for (TweetId id : ids) {
    auto it = found.find(id);
    if (it != found.end()) out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<std::vector<tweetstore::Tweet>> ClusterNode::LocalTweets(
    absl::Span<const TweetId> ids) {
  // Each partition's Roost finds only its own, at most kTweetsPerCall at a time.
  absl::flat_hash_map<uint32_t, std::vector<TweetId>> by_partition;
  for (TweetId id : ids) by_partition[SnowflakeNode(id)].push_back(id);
  std::vector<tweetstore::Tweet> out;
  for (const auto& [p, part_ids] : by_partition) {
    Roost* roost = local(p);
    if (roost == nullptr) continue;
    for (size_t start = 0; start < part_ids.size(); start += kTweetsPerCall) {
      const size_t n = std::min(kTweetsPerCall, part_ids.size() - start);
      ASSIGN_OR_RETURN(std::vector<tweetstore::Tweet> tweets,
                       roost->GetTweets(absl::MakeConstSpan(part_ids).subspan(start, n)));
      for (tweetstore::Tweet& tweet : tweets) out.push_back(std::move(tweet));
    }
  }
  return out;
}

absl::StatusOr<std::vector<timelines::Entry>> ClusterNode::RecentTweets(UserId author,
                                                                        TweetId before,
                                                                        size_t limit) {
  const cluster::PartitionId p = map_.PartitionOf(author);
  if (Roost* roost = local(p)) return roost->RecentTweets(author, before, limit);
  v1::RecentTweetsRequest request;
  request.set_author_id(author);
  request.set_before_id(before);
  request.set_limit(static_cast<uint32_t>(limit));
  v1::RecentTweetsResponse response;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.peer_timeout));
  const grpc::Status status = peers_.at(map_.owner(p))->RecentTweets(&context, request, &response);
  RETURN_IF_ERROR(FromGrpc(status, OwnerName(p)));
  return EntriesOf(response);
}

absl::StatusOr<std::vector<std::vector<timelines::Entry>>> ClusterNode::RecentTweetsOfEach(
    absl::Span<const UserId> authors, TweetId before, size_t limit) {
  // Every other owner is asked at once (at most kAuthorsPerCall authors a call) while
  // the local partitions are read.
  struct Call {
    grpc::ClientContext context;
    v1::AuthorsRecentTweetsRequest request;
    v1::AuthorsRecentTweetsResponse response;
    grpc::Status status;
    cluster::PartitionId partition = 0;  // of its first author, to name the owner
    std::vector<size_t> at;              // each author's index in `authors`
  };
  std::vector<std::vector<timelines::Entry>> lists(authors.size());
  absl::flat_hash_map<cluster::NodeId, std::vector<std::unique_ptr<Call>>> by_owner;
  std::vector<size_t> local_at;
  for (size_t i = 0; i < authors.size(); ++i) {
    const cluster::PartitionId p = map_.PartitionOf(authors[i]);
    if (local(p) != nullptr) {
      local_at.push_back(i);
      continue;
    }
    std::vector<std::unique_ptr<Call>>& calls = by_owner[map_.owner(p)];
    if (calls.empty() || calls.back()->at.size() == kAuthorsPerCall) {
      calls.push_back(std::make_unique<Call>());
      calls.back()->partition = p;
      calls.back()->request.set_before_id(before);
      calls.back()->request.set_limit(static_cast<uint32_t>(limit));
      calls.back()->context.set_deadline(absl::ToChronoTime(absl::Now() + options_.peer_timeout));
    }
    calls.back()->request.add_author_ids(authors[i]);
    calls.back()->at.push_back(i);
  }
  int count = 0;
  for (const auto& [owner, calls] : by_owner) count += static_cast<int>(calls.size());
  absl::BlockingCounter pending(count);
  for (const auto& [owner, calls] : by_owner) {
    for (const std::unique_ptr<Call>& call : calls) {
      Call* c = call.get();
      peers_.at(owner)->async()->AuthorsRecentTweets(&c->context, &c->request, &c->response,
                                                     [c, &pending](grpc::Status status) {
                                                       c->status = std::move(status);
                                                       pending.DecrementCount();
                                                     });
    }
  }
  absl::Status local_status;
  for (size_t i : local_at) {
    absl::StatusOr<std::vector<timelines::Entry>> recent =
        local(map_.PartitionOf(authors[i]))->RecentTweets(authors[i], before, limit);
    if (!recent.ok()) {
      local_status = recent.status();
      break;
    }
    lists[i] = *std::move(recent);
  }
  pending.Wait();
  RETURN_IF_ERROR(local_status);
  for (const auto& [owner, calls] : by_owner) {
    for (const std::unique_ptr<Call>& call : calls) {
      RETURN_IF_ERROR(FromGrpc(call->status, OwnerName(call->partition)));
      if (call->response.authors_size() != static_cast<int>(call->at.size())) {
        return absl::InternalError(absl::StrCat(OwnerName(call->partition), " answered for ",
                                                call->response.authors_size(), " authors, not ",
                                                call->at.size()));
      }
      for (size_t j = 0; j < call->at.size(); ++j) {
        lists[call->at[j]] = EntriesOf(call->response.authors(static_cast<int>(j)));
      }
    }
  }
  return lists;
}

absl::StatusOr<std::vector<LogOffset>> ClusterNode::TokenPositions(absl::string_view token,
                                                                   absl::Time deadline) const {
  if (token.empty()) return std::vector<LogOffset>(map_.partitions(), 0);
  ASSIGN_OR_RETURN(const ConsistencyToken parsed, ParseToken(token));
  return tokens_.front()->ResolveAll(parsed, deadline);
}

}  // namespace roost::services
