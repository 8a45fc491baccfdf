#include "services/cluster_services.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "cluster/call_user.h"
#include "common/status_macros.h"
#include "services/change_feed.h"
#include "services/cluster_query_rpc.h"
#include "services/grpc_status.h"
#include "services/validation.h"

namespace roost::services {
namespace {

using SendFn = absl::FunctionRef<void(cluster::NodeId owner, grpc::ClientContext* client,
                                      std::function<void(grpc::Status)> done)>;

// The most terms of one Partitions.RecentTweets (a rebuild asks for a timeline's cap).
constexpr uint32_t kMaxRecentTweets = 10'000;
// The most authors of one Partitions.AuthorsRecentTweets.
constexpr size_t kMaxRecentAuthors = 1000;

std::string Metadata(const grpc::CallbackServerContext& ctx, const char* key) {
  const auto& metadata = ctx.client_metadata();
  const auto it = metadata.find(key);
  return it == metadata.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

// A client context for a call this node makes on behalf of `ctx`'s caller: its
// deadline and credentials, and this node's id as the forwarder.
std::unique_ptr<grpc::ClientContext> OnBehalfOf(const ClusterNode& node,
                                                const grpc::CallbackServerContext& ctx) {
  auto client = std::make_unique<grpc::ClientContext>();
  client->set_deadline(absl::ToChronoTime(CallDeadline(ctx)));
  if (std::string token = Metadata(ctx, "authorization"); !token.empty()) {
    client->AddMetadata("authorization", token);
  }
  client->AddMetadata(kForwardedByKey, absl::StrCat(node.self().id));
  return client;
}

// Forwards the call on partition `p` to its owner; the owner's answer finishes it.
grpc::ServerUnaryReactor* Forward(const ClusterNode& node, const CallGate& gate,
                                  grpc::CallbackServerContext* ctx, cluster::PartitionId p,
                                  SendFn send) {
  if (grpc::ServerUnaryReactor* refused = gate.Refuse(ctx)) return refused;
  if (std::string from = Metadata(*ctx, kForwardedByKey); !from.empty()) {
    return FinishNow(ctx, absl::FailedPreconditionError(absl::StrCat(
                              "node ", node.self().id, " was forwarded a call on partition ", p,
                              " by node ", from, " but gives it to node ", node.map().owner(p),
                              ": the nodes' cluster files disagree")));
  }
  node.CountForward();
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  grpc::ClientContext* client = OnBehalfOf(node, *ctx).release();
  send(node.map().owner(p), client,
       [client, reactor, owner = node.OwnerName(p)](const grpc::Status& status) {
         delete client;
         // The owner's own refusals (INVALID_ARGUMENT, ...) pass unchanged; that it
         // could not be reached, or not in time, names it.
         if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
             status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
           reactor->Finish(grpc::Status(status.error_code(),
                                        absl::StrCat(owner, ": ", status.error_message())));
         } else {
           reactor->Finish(status);
         }
       });
  return reactor;
}

// Serves a unary call on partition `p` with the partition's own handler `serve` when
// this node owns it, else forwards it with `send`(stub->async(), client, req, resp, done).
template <typename Local, typename Service, typename Request, typename Response, typename Send>
grpc::ServerUnaryReactor* Route(const Routes<Local, Service>& routes,
                                grpc::CallbackServerContext* ctx, cluster::PartitionId p,
                                grpc::ServerUnaryReactor* (Local::*serve)(
                                    grpc::CallbackServerContext*, const Request*, Response*),
                                const Request* req, Response* resp, Send send) {
  if (Local* local = routes.local(p)) return (local->*serve)(ctx, req, resp);
  return Forward(*routes.node(), routes.gate(), ctx, p,
                 [&](cluster::NodeId owner, grpc::ClientContext* client,
                     std::function<void(grpc::Status)> done) {
                   send(routes.peer(owner)->async(), client, req, resp, std::move(done));
                 });
}

// The `send` of Route for an RPC of that name.
#define ROOST_SEND(Rpc)                                                     \
  [](auto* async, grpc::ClientContext* client, const auto* req, auto* resp, \
     std::function<void(grpc::Status)> done) { async->Rpc(client, req, resp, std::move(done)); }

// Adds one partition's counter to a cluster's: counts add up; a latency quantile
// ("...latency.p99_ns") is the largest (the slowest partition's), not a sum.
void AddCounter(const std::string& name, int64_t value, v1::StatsResponse* resp) {
  int64_t& total = (*resp->mutable_counters())[name];
  total = absl::StrContains(name, "latency.p") ? std::max(total, value) : total + value;
}

template <typename Local, typename Service>
cluster::PartitionId OfUser(const Routes<Local, Service>& routes, UserId user) {
  return routes.node()->map().PartitionOf(user);
}

}  // namespace

// ---------------------------------------------------------------------------
// Tweets

grpc::ServerUnaryReactor* ClusterTweetsService::Post(grpc::CallbackServerContext* ctx,
                                                     const v1::PostRequest* req,
                                                     v1::PostResponse* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &TweetsService::Post, req,
               resp, ROOST_SEND(Post));
}

grpc::ServerUnaryReactor* ClusterTweetsService::Delete(grpc::CallbackServerContext* ctx,
                                                       const v1::DeleteRequest* req,
                                                       v1::DeleteResponse* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &TweetsService::Delete, req,
               resp, ROOST_SEND(Delete));
}

grpc::ServerUnaryReactor* ClusterTweetsService::Get(grpc::CallbackServerContext* ctx,
                                                    const v1::GetRequest* req,
                                                    v1::GetResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = routes_.gate().Refuse(ctx)) return refused;
  if (absl::Status count = ValidateCount(req->ids_size(), kMaxGetIds, "ids"); !count.ok()) {
    return FinishNow(ctx, count);
  }
  // Gathered from every owner of the ids, on a read thread: the call waits on them.
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  ClusterNode* node = routes_.node();
  node->readers()->Schedule([node, reactor, req, resp] {
    std::vector<TweetId> ids(req->ids().begin(), req->ids().end());
    absl::StatusOr<std::vector<tweetstore::Tweet>> found = node->GetTweets(ids);
    if (found.ok()) {
      for (const tweetstore::Tweet& tweet : *found) TweetToProto(tweet, resp->add_tweets());
    }
    reactor->Finish(ToGrpc(found.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* ClusterTweetsService::UserTimeline(grpc::CallbackServerContext* ctx,
                                                             const v1::UserTimelineRequest* req,
                                                             v1::TimelinePage* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &TweetsService::UserTimeline,
               req, resp, ROOST_SEND(UserTimeline));
}

// ---------------------------------------------------------------------------
// Timelines

grpc::ServerUnaryReactor* ClusterTimelinesService::Home(grpc::CallbackServerContext* ctx,
                                                        const v1::HomeRequest* req,
                                                        v1::TimelinePage* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &TimelinesService::Home, req,
               resp, ROOST_SEND(Home));
}

// ---------------------------------------------------------------------------
// Graph

grpc::ServerUnaryReactor* ClusterGraphService::Add(grpc::CallbackServerContext* ctx,
                                                   const v1::EdgeRequest* req,
                                                   v1::WriteResponse* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &GraphService::Add, req,
               resp, ROOST_SEND(Add));
}

grpc::ServerUnaryReactor* ClusterGraphService::Remove(grpc::CallbackServerContext* ctx,
                                                      const v1::EdgeRequest* req,
                                                      v1::WriteResponse* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &GraphService::Remove, req,
               resp, ROOST_SEND(Remove));
}

grpc::ServerUnaryReactor* ClusterGraphService::Negate(grpc::CallbackServerContext* ctx,
                                                      const v1::EdgeRequest* req,
                                                      v1::WriteResponse* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &GraphService::Negate, req,
               resp, ROOST_SEND(Negate));
}

grpc::ServerUnaryReactor* ClusterGraphService::Archive(grpc::CallbackServerContext* ctx,
                                                       const v1::MassRequest* req,
                                                       v1::WriteResponse* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &GraphService::Archive, req,
               resp, ROOST_SEND(Archive));
}

grpc::ServerUnaryReactor* ClusterGraphService::Unarchive(grpc::CallbackServerContext* ctx,
                                                         const v1::MassRequest* req,
                                                         v1::WriteResponse* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &GraphService::Unarchive,
               req, resp, ROOST_SEND(Unarchive));
}

grpc::ServerUnaryReactor* ClusterGraphService::RemoveAll(grpc::CallbackServerContext* ctx,
                                                         const v1::MassRequest* req,
                                                         v1::WriteResponse* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &GraphService::RemoveAll,
               req, resp, ROOST_SEND(RemoveAll));
}

grpc::ServerUnaryReactor* ClusterGraphService::Select(grpc::CallbackServerContext* ctx,
                                                      const v1::SelectRequest* req,
                                                      v1::SelectResponse* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &GraphService::Select, req,
               resp, ROOST_SEND(Select));
}

grpc::ServerUnaryReactor* ClusterGraphService::Count(grpc::CallbackServerContext* ctx,
                                                     const v1::CountRequest* req,
                                                     v1::CountResponse* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &GraphService::Count, req,
               resp, ROOST_SEND(Count));
}

grpc::ServerUnaryReactor* ClusterGraphService::Contains(grpc::CallbackServerContext* ctx,
                                                        const v1::ContainsRequest* req,
                                                        v1::ContainsResponse* resp) {
  return Route(routes_, ctx, OfUser(routes_, cluster::CallUser(*req)), &GraphService::Contains, req,
               resp, ROOST_SEND(Contains));
}

grpc::ServerUnaryReactor* ClusterGraphService::Query(grpc::CallbackServerContext* ctx,
                                                     const v1::QueryRequest* req,
                                                     v1::QueryResponse* resp) {
  // Every edge touching a user is on the user's partition, so terms of users of one
  // partition are answered there whole.
  const std::optional<UserId> user = cluster::QueryUser(*req, routes_.node()->map().partitions());
  if (!user.has_value()) {
    if (grpc::ServerUnaryReactor* refused = routes_.gate().Refuse(ctx)) return refused;
    return QueryAcrossPartitions(routes_.node(), ctx, req, resp);
  }
  return Route(routes_, ctx, OfUser(routes_, *user), &GraphService::Query, req, resp,
               ROOST_SEND(Query));
}

#undef ROOST_SEND

// ---------------------------------------------------------------------------
// Admin

grpc::ServerUnaryReactor* ClusterAdminService::Stats(grpc::CallbackServerContext* ctx,
                                                     const v1::StatsRequest* req,
                                                     v1::StatsResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = routes_.gate().Refuse(ctx)) return refused;
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  ClusterNode* node = routes_.node();
  const bool forwarded = !Metadata(*ctx, kForwardedByKey).empty();
  // Every other node is asked at once (unless this is one of those asks), while this
  // one's gauges are read; on a read thread, as the gauges read the stores.
  struct Ask {
    std::unique_ptr<grpc::ClientContext> client;
    v1::StatsRequest request;
    v1::StatsResponse response;
    grpc::Status status;
    std::string name;
  };
  auto asks = std::make_shared<std::vector<Ask>>();
  if (!forwarded) {
    for (const cluster::NodeInfo& info : node->map().nodes()) {
      if (info.id == node->self().id) continue;
      asks->push_back({OnBehalfOf(*node, *ctx),
                       {},
                       {},
                       grpc::Status::OK,
                       absl::StrCat("node ", info.id, " at ", info.grpc_address)});
    }
  }
  // An ask from another node waits on nothing remote, so it must not queue behind
  // gathers that wait on other nodes (theirs may be waiting for this one).
  ThreadPool* pool = forwarded ? node->local_work() : node->readers();
  pool->Schedule([this, node, asks, reactor, resp] {
    absl::BlockingCounter pending(static_cast<int>(asks->size()));
    size_t i = 0;
    for (const cluster::NodeInfo& info : node->map().nodes()) {
      if (i == asks->size() || info.id == node->self().id) continue;
      Ask* ask = &(*asks)[i++];
      routes_.peer(info.id)->async()->Stats(ask->client.get(), &ask->request, &ask->response,
                                            [ask, &pending](grpc::Status status) {
                                              ask->status = std::move(status);
                                              pending.DecrementCount();
                                            });
    }
    LocalStats(resp);
    pending.Wait();
    for (const Ask& ask : *asks) {
      if (ask.status.ok()) {
        Merge(ask.response, resp);
      } else {
        resp->add_unavailable_nodes(absl::StrCat(ask.name, ": ", ask.status.error_message()));
      }
    }
    std::sort(resp->mutable_partitions()->begin(), resp->mutable_partitions()->end(),
              [](const v1::PartitionStats& a, const v1::PartitionStats& b) {
                return a.partition() < b.partition();
              });
    reactor->Finish(grpc::Status::OK);
  });
  return reactor;
}

void ClusterAdminService::LocalStats(v1::StatsResponse* resp) {
  ClusterNode* node = routes_.node();
  for (cluster::PartitionId p : node->owned()) {
    Roost* roost = node->local(p);
    v1::PartitionStats* stats = resp->add_partitions();
    stats->set_partition(p);
    stats->set_owner(node->self().id);
    stats->set_appended_position(roost->appended_position());
    stats->set_applied_position(roost->applied_position());
    stats->set_processed_position(roost->processed_position());
    for (const auto& [name, value] : roost->Counters()) AddCounter(name, value, resp);
  }
  AddCounter("cluster.forwarded_calls", static_cast<int64_t>(node->forwarded()), resp);
}

void ClusterAdminService::Merge(const v1::StatsResponse& peer, v1::StatsResponse* resp) {
  for (const v1::PartitionStats& stats : peer.partitions()) *resp->add_partitions() = stats;
  for (const auto& [name, value] : peer.counters()) AddCounter(name, value, resp);
}

grpc::ServerUnaryReactor* ClusterAdminService::Ping(grpc::CallbackServerContext* ctx,
                                                    const v1::PingRequest* req,
                                                    v1::PingResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = routes_.gate().Refuse(ctx)) return refused;
  return FinishNow(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* ClusterAdminService::Cluster(grpc::CallbackServerContext* ctx,
                                                       const v1::ClusterRequest* req,
                                                       v1::ClusterConfig* resp) {
  if (grpc::ServerUnaryReactor* refused = routes_.gate().Refuse(ctx)) return refused;
  *resp = routes_.node()->map().ToConfig();
  return FinishNow(ctx, absl::OkStatus());
}

// ---------------------------------------------------------------------------
// ChangeFeed

grpc::ServerWriteReactor<v1::ChangeEvent>* ClusterChangeFeedService::Subscribe(
    grpc::CallbackServerContext* ctx, const v1::SubscribeRequest* req) {
  if (absl::Status denied = gate_.Check(*ctx); !denied.ok()) {
    return RefusedSubscription(ToGrpc(denied));
  }
  if (req->all_partitions()) {
    std::vector<FeedPartition> mine;
    for (cluster::PartitionId p : node_->owned()) mine.push_back({p, node_->local(p)});
    return StartSubscription(mine, *req, &subscribers_);
  }
  const cluster::PartitionId p = req->partition();
  if (p >= node_->map().partitions()) {
    return RefusedSubscription(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                     absl::StrCat("partition ", p, " does not exist (the cluster has ",
                                  node_->map().partitions(), ")")));
  }
  Roost* roost = node_->local(p);
  if (roost == nullptr) {
    return RefusedSubscription(grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat(node_->OwnerName(p), " serves its change feed; subscribe there")));
  }
  const FeedPartition only{p, roost};
  return StartSubscription(absl::MakeConstSpan(&only, 1), *req, &subscribers_);
}

// ---------------------------------------------------------------------------
// Partitions

grpc::ServerUnaryReactor* PartitionsService::GetTweets(grpc::CallbackServerContext* ctx,
                                                       const v1::PartitionTweetsRequest* req,
                                                       v1::GetResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  if (absl::Status count = ValidateCount(req->ids_size(), kMaxGetIds, "ids"); !count.ok()) {
    return FinishNow(ctx, count);
  }
  std::vector<TweetId> ids(req->ids().begin(), req->ids().end());
  absl::StatusOr<std::vector<tweetstore::Tweet>> found = node_->LocalTweets(ids);
  if (found.ok()) {
    for (const tweetstore::Tweet& tweet : *found) TweetToProto(tweet, resp->add_tweets());
  }
  return FinishNow(ctx, found.status());
}

absl::Status PartitionsService::AddRecent(UserId author, TweetId before, uint32_t limit,
                                          v1::RecentTweetsResponse* resp) const {
  if (limit > kMaxRecentTweets) {
    return absl::InvalidArgumentError(absl::StrCat("limit is at most ", kMaxRecentTweets));
  }
  const cluster::PartitionId p = node_->map().PartitionOf(author);
  Roost* roost = node_->local(p);
  if (roost == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node ", node_->self().id, " does not own partition ", p, " (", node_->OwnerName(p), ")"));
  }
  ASSIGN_OR_RETURN(const std::vector<timelines::Entry> entries,
                   roost->RecentTweets(author, before, limit));
  for (const timelines::Entry& entry : entries) {
    v1::TimelineEntry* out = resp->add_entries();
    out->set_id(entry.id);
    out->set_author_id(entry.author);
    out->set_flags(entry.flags);
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* PartitionsService::RecentTweets(grpc::CallbackServerContext* ctx,
                                                          const v1::RecentTweetsRequest* req,
                                                          v1::RecentTweetsResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  return FinishNow(ctx, AddRecent(req->author_id(), req->before_id(), req->limit(), resp));
}

grpc::ServerUnaryReactor* PartitionsService::AuthorsRecentTweets(
    grpc::CallbackServerContext* ctx, const v1::AuthorsRecentTweetsRequest* req,
    v1::AuthorsRecentTweetsResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  if (absl::Status count = ValidateCount(req->author_ids_size(), kMaxRecentAuthors, "author_ids");
      !count.ok()) {
    return FinishNow(ctx, count);
  }
  for (UserId author : req->author_ids()) {
    absl::Status added = AddRecent(author, req->before_id(), req->limit(), resp->add_authors());
    if (!added.ok()) return FinishNow(ctx, added);
  }
  return FinishNow(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* PartitionsService::AwaitDerived(grpc::CallbackServerContext* ctx,
                                                          const v1::AwaitDerivedRequest* req,
                                                          v1::AwaitDerivedResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  const cluster::PartitionId p = req->partition();
  if (p >= node_->map().partitions() || node_->local(p) == nullptr) {
    return FinishNow(ctx, absl::FailedPreconditionError(absl::StrCat(
                              "node ", node_->self().id, " does not own partition ", p)));
  }
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  node_->local_work()->Schedule([this, p, req, resp, reactor, deadline = CallDeadline(*ctx)] {
    absl::StatusOr<std::vector<LogOffset>> derived =
        node_->AwaitDerived(p, req->position(), deadline);
    if (derived.ok()) resp->mutable_derived()->Add(derived->begin(), derived->end());
    reactor->Finish(ToGrpc(derived.status()));
  });
  return reactor;
}

}  // namespace roost::services
