// The gRPC services of a cluster node (DESIGN.md, "Cluster"). Any node accepts every
// call of roost.v1: a call about one partition (the acting or read user's; a tweet's
// author's) is served by that partition's Roost when this node owns it, through the
// same handlers a single node uses, and otherwise forwarded to the owner with the
// caller's credentials; the owner's answer is the caller's. An owner that does not answer
// within the call's deadline yields UNAVAILABLE (or DEADLINE_EXCEEDED) naming it.
//
// Calls that span partitions scatter and gather: Tweets.Get asks every owner of the
// ids at once, Admin.Stats every node, and Graph.Query over users of different
// partitions reads each term where it is kept (cluster_query_rpc.h). The nodes read
// each other's partitions through roost.v1.Partitions (partitions.proto), which serves
// the partitions this node owns and nothing else.
#ifndef ROOST_SERVICES_CLUSTER_SERVICES_H_
#define ROOST_SERVICES_CLUSTER_SERVICES_H_

#include <atomic>
#include <memory>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "roost/v1/feed.grpc.pb.h"
#include "roost/v1/partitions.grpc.pb.h"
#include "roost/v1/roost.grpc.pb.h"
#include "services/cluster_node.h"
#include "services/grpc_services.h"

namespace roost::services {

// The metadata key a forwarded call carries: the forwarding node's id. A node that
// does not own a forwarded call's partition refuses it rather than forward it again
// (the nodes' cluster files disagree).
inline constexpr char kForwardedByKey[] = "roost-forwarded-by";

// How a front service routes: the node, its partitions' handlers (the single node's
// services over each partition's Roost) and stubs of the same service on the others.
template <typename Local, typename Service>
class Routes {
 public:
  Routes(ClusterNode* node, CallGate gate) : node_(node), gate_(gate) {
    local_.resize(node->map().partitions());
    for (cluster::PartitionId p : node->owned()) {
      if constexpr (std::is_constructible_v<Local, Roost*, CallGate, Consistency>) {
        local_[p] = std::make_unique<Local>(node->local(p), gate, node->consistency(p));
      } else {
        local_[p] = std::make_unique<Local>(node->local(p), gate);
      }
    }
    for (const cluster::NodeInfo& info : node->map().nodes()) {
      if (info.id != node->self().id) peers_[info.id] = Service::NewStub(node->channel(info.id));
    }
  }
  ClusterNode* node() const { return node_; }
  const CallGate& gate() const { return gate_; }
  // The handlers of partition `p` when this node owns it, else null.
  Local* local(cluster::PartitionId p) const { return local_[p].get(); }
  typename Service::Stub* peer(cluster::NodeId node) const { return peers_.at(node).get(); }

 private:
  ClusterNode* const node_;
  const CallGate gate_;
  std::vector<std::unique_ptr<Local>> local_;
  absl::flat_hash_map<cluster::NodeId, std::unique_ptr<typename Service::Stub>> peers_;
};

class ClusterTweetsService final : public v1::Tweets::CallbackService {
 public:
  ClusterTweetsService(ClusterNode* node, CallGate gate) : routes_(node, gate) {}
  grpc::ServerUnaryReactor* Post(grpc::CallbackServerContext* ctx, const v1::PostRequest* req,
                                 v1::PostResponse* resp) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx, const v1::DeleteRequest* req,
                                   v1::DeleteResponse* resp) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const v1::GetRequest* req,
                                v1::GetResponse* resp) override;
  grpc::ServerUnaryReactor* UserTimeline(grpc::CallbackServerContext* ctx,
                                         const v1::UserTimelineRequest* req,
                                         v1::TimelinePage* resp) override;

 private:
  const Routes<TweetsService, v1::Tweets> routes_;
};

class ClusterTimelinesService final : public v1::Timelines::CallbackService {
 public:
  ClusterTimelinesService(ClusterNode* node, CallGate gate) : routes_(node, gate) {}
  grpc::ServerUnaryReactor* Home(grpc::CallbackServerContext* ctx, const v1::HomeRequest* req,
                                 v1::TimelinePage* resp) override;

 private:
  const Routes<TimelinesService, v1::Timelines> routes_;
};

class ClusterGraphService final : public v1::Graph::CallbackService {
 public:
  ClusterGraphService(ClusterNode* node, CallGate gate) : routes_(node, gate) {}
  grpc::ServerUnaryReactor* Add(grpc::CallbackServerContext* ctx, const v1::EdgeRequest* req,
                                v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Remove(grpc::CallbackServerContext* ctx, const v1::EdgeRequest* req,
                                   v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Negate(grpc::CallbackServerContext* ctx, const v1::EdgeRequest* req,
                                   v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Archive(grpc::CallbackServerContext* ctx, const v1::MassRequest* req,
                                    v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Unarchive(grpc::CallbackServerContext* ctx, const v1::MassRequest* req,
                                      v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* RemoveAll(grpc::CallbackServerContext* ctx, const v1::MassRequest* req,
                                      v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Select(grpc::CallbackServerContext* ctx, const v1::SelectRequest* req,
                                   v1::SelectResponse* resp) override;
  grpc::ServerUnaryReactor* Count(grpc::CallbackServerContext* ctx, const v1::CountRequest* req,
                                  v1::CountResponse* resp) override;
  grpc::ServerUnaryReactor* Contains(grpc::CallbackServerContext* ctx,
                                     const v1::ContainsRequest* req,
                                     v1::ContainsResponse* resp) override;
  grpc::ServerUnaryReactor* Query(grpc::CallbackServerContext* ctx, const v1::QueryRequest* req,
                                  v1::QueryResponse* resp) override;

 private:
  // Add, Remove and Negate, on the source's partition.
  template <typename Method>
  grpc::ServerUnaryReactor* Edge(grpc::CallbackServerContext* ctx, const v1::EdgeRequest* req,
                                 v1::WriteResponse* resp, Method method);
  // Archive, Unarchive and RemoveAll, on the user's partition.
  template <typename Method>
  grpc::ServerUnaryReactor* Mass(grpc::CallbackServerContext* ctx, const v1::MassRequest* req,
                                 v1::WriteResponse* resp, Method method);

  const Routes<GraphService, v1::Graph> routes_;
};

class ClusterAdminService final : public v1::Admin::CallbackService {
 public:
  ClusterAdminService(ClusterNode* node, CallGate gate) : routes_(node, gate) {}
  // The node's partitions and counters; unless the call was forwarded, every other
  // node's too.
  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext* ctx, const v1::StatsRequest* req,
                                  v1::StatsResponse* resp) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* ctx, const v1::PingRequest* req,
                                 v1::PingResponse* resp) override;
  // The node's cluster file, owners listed (single node: empty).
  grpc::ServerUnaryReactor* Cluster(grpc::CallbackServerContext* ctx, const v1::ClusterRequest* req,
                                    v1::ClusterConfig* resp) override;

 private:
  // This node's part of Stats (on a read thread).
  void LocalStats(v1::StatsResponse* resp);
  // Adds a peer's answer to `resp`.
  static void Merge(const v1::StatsResponse& peer, v1::StatsResponse* resp);

  const Routes<AdminService, v1::Admin> routes_;
};

// Streams one partition's events, on its owner.
class ClusterChangeFeedService final : public v1::ChangeFeed::CallbackService {
 public:
  ClusterChangeFeedService(ClusterNode* node, CallGate gate) : node_(node), gate_(gate) {}
  grpc::ServerWriteReactor<v1::ChangeEvent>* Subscribe(grpc::CallbackServerContext* ctx,
                                                       const v1::SubscribeRequest* req) override;

 private:
  ClusterNode* const node_;
  const CallGate gate_;
  std::atomic<int> subscribers_{0};
};

// The internal service: reads of the partitions this node owns, answered on gRPC's
// callback thread (point reads of the local stores, bounded in size), so that a node
// whose read threads all wait on other nodes still answers them.
class PartitionsService final : public v1::Partitions::CallbackService {
 public:
  PartitionsService(ClusterNode* node, CallGate gate) : node_(node), gate_(gate) {}
  grpc::ServerUnaryReactor* GetTweets(grpc::CallbackServerContext* ctx,
                                      const v1::PartitionTweetsRequest* req,
                                      v1::GetResponse* resp) override;
  grpc::ServerUnaryReactor* RecentTweets(grpc::CallbackServerContext* ctx,
                                         const v1::RecentTweetsRequest* req,
                                         v1::RecentTweetsResponse* resp) override;
  grpc::ServerUnaryReactor* AuthorsRecentTweets(grpc::CallbackServerContext* ctx,
                                                const v1::AuthorsRecentTweetsRequest* req,
                                                v1::AuthorsRecentTweetsResponse* resp) override;
  // Waits, so on the node's local_work threads.
  grpc::ServerUnaryReactor* AwaitDerived(grpc::CallbackServerContext* ctx,
                                         const v1::AwaitDerivedRequest* req,
                                         v1::AwaitDerivedResponse* resp) override;
  // A query's reads (cluster_query_rpc.cc), on Roost's read pool.
  grpc::ServerUnaryReactor* TermPage(grpc::CallbackServerContext* ctx,
                                     const v1::TermPageRequest* req,
                                     v1::TermPageResponse* resp) override;
  grpc::ServerUnaryReactor* ProbeTerms(grpc::CallbackServerContext* ctx,
                                       const v1::ProbeTermsRequest* req,
                                       v1::ProbeTermsResponse* resp) override;

 private:
  // Adds `author`'s recent tweets to *resp; FAILED_PRECONDITION when this node does
  // not own the author's partition.
  absl::Status AddRecent(UserId author, TweetId before, uint32_t limit,
                         v1::RecentTweetsResponse* resp) const;

  ClusterNode* const node_;
  const CallGate gate_;
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_CLUSTER_SERVICES_H_
