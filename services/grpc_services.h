// The gRPC services of roost.v1 (callback API). Handlers stay thin: translate the
// request, call Roost, map the status. Reads honour min_position by waiting, without
// holding a thread, until the pipeline has applied it.
#ifndef ROOST_SERVICES_GRPC_SERVICES_H_
#define ROOST_SERVICES_GRPC_SERVICES_H_

#include <atomic>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "roost/v1/feed.grpc.pb.h"
#include "roost/v1/roost.grpc.pb.h"
#include "services/auth.h"
#include "services/consistency.h"
#include "services/grpc_status.h"
#include "services/roost.h"

namespace roost::services {

namespace v1 = ::roost::v1;

// Waits longer than this are cut short even when the client set no deadline.
inline constexpr absl::Duration kMaxPositionWait = absl::Seconds(30);

// The call's deadline, at most kMaxPositionWait from now.
absl::Time CallDeadline(const grpc::CallbackServerContext& ctx);
// The API's Tweet of a stored tweet.
void TweetToProto(const tweetstore::Tweet& tweet, v1::Tweet* out);
// A query term, or INVALID_ARGUMENT for an unknown graph or direction.
absl::StatusOr<graph::QueryTerm> TermFromProto(const v1::QueryTerm& term);
// Graph.Query's set operation and terms, or INVALID_ARGUMENT.
absl::Status ParseQuery(const v1::QueryRequest& req, graph::SetOp* op,
                        std::vector<graph::QueryTerm>* terms);
// A reactor already finished with `status`, for a handler to return.
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx, const absl::Status& status);

// Runs `read` on Roost's read pool once `min_position` and what `token` (empty: none)
// resolves to are applied (at once when both are 0) and finishes the call with its
// status. Neither the wait nor the read holds gRPC's callback thread.
template <typename Read>
grpc::ServerUnaryReactor* ReadAfter(Roost* roost, const Consistency& consistency,
                                    grpc::CallbackServerContext* ctx, uint64_t min_position,
                                    absl::string_view token, Read read) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::Time deadline = CallDeadline(*ctx);
  auto then = [roost, reactor, deadline,
               read = std::move(read)](absl::StatusOr<LogOffset> position) mutable {
    if (!position.ok()) return reactor->Finish(ToGrpc(position.status()));
    roost->ReadWhenApplied(*position, deadline,
                           [reactor, read = std::move(read)](absl::Status ready) mutable {
                             reactor->Finish(ToGrpc(ready.ok() ? read() : ready));
                           });
  };
  consistency.ReadPosition(min_position, token, deadline, std::move(then));
  return reactor;
}

// Who may call a service: every call of it is admitted here, and only here, before its
// handler does anything. The role each service needs is chosen where the services are
// built (server.cc): user for Tweets, Timelines and Graph; admin for Admin and
// ChangeFeed. (gRPC C++ gives a server interceptor no way to refuse a call, and an
// AuthMetadataProcessor needs TLS, so admission is the handlers' first step.)
class CallGate {
 public:
  // `tokens` (not owned; null: no tokens checked, every call admitted).
  CallGate(const TokenAuth* tokens, Role role) : tokens_(tokens), role_(role) {}

  // OK, or why the call's `authorization` metadata does not grant the role.
  absl::Status Check(const grpc::CallbackServerContext& ctx) const;
  // Null when admitted; else a reactor already finished with the refusal, for the
  // handler to return.
  grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx) const;

 private:
  const TokenAuth* tokens_;
  Role role_;
};

class TweetsService final : public v1::Tweets::CallbackService {
 public:
  // `consistency`: the tokens of the partition `roost` serves (default: a single node).
  TweetsService(Roost* roost, CallGate gate, Consistency consistency = {})
      : roost_(roost), gate_(gate), consistency_(consistency) {}
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
  Roost* const roost_;
  const CallGate gate_;
  const Consistency consistency_;
};

class TimelinesService final : public v1::Timelines::CallbackService {
 public:
  // `consistency`: the tokens of the partition `roost` serves (default: a single node).
  TimelinesService(Roost* roost, CallGate gate, Consistency consistency = {})
      : roost_(roost), gate_(gate), consistency_(consistency) {}
  grpc::ServerUnaryReactor* Home(grpc::CallbackServerContext* ctx, const v1::HomeRequest* req,
                                 v1::TimelinePage* resp) override;

 private:
  Roost* const roost_;
  const CallGate gate_;
  const Consistency consistency_;
};

class GraphService final : public v1::Graph::CallbackService {
 public:
  // `consistency`: the tokens of the partition `roost` serves (default: a single node).
  GraphService(Roost* roost, CallGate gate, Consistency consistency = {})
      : roost_(roost), gate_(gate), consistency_(consistency) {}
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
  grpc::ServerUnaryReactor* SetEdge(grpc::CallbackServerContext* ctx, const v1::EdgeRequest* req,
                                    graph::EdgeState state, v1::WriteResponse* resp);
  grpc::ServerUnaryReactor* Mass(grpc::CallbackServerContext* ctx, const v1::MassRequest* req,
                                 graph::StateMask from, graph::EdgeState to,
                                 v1::WriteResponse* resp);
  Roost* const roost_;
  const CallGate gate_;
  const Consistency consistency_;
};

class AdminService final : public v1::Admin::CallbackService {
 public:
  AdminService(Roost* roost, CallGate gate) : roost_(roost), gate_(gate) {}
  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext* ctx, const v1::StatsRequest* req,
                                  v1::StatsResponse* resp) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* ctx, const v1::PingRequest* req,
                                 v1::PingResponse* resp) override;
  // The node's cluster file, owners listed (single node: empty).
  grpc::ServerUnaryReactor* Cluster(grpc::CallbackServerContext* ctx, const v1::ClusterRequest* req,
                                    v1::ClusterConfig* resp) override;

 private:
  Roost* const roost_;
  const CallGate gate_;
};

class ChangeFeedService final : public v1::ChangeFeed::CallbackService {
 public:
  ChangeFeedService(Roost* roost, CallGate gate) : roost_(roost), gate_(gate) {}
  grpc::ServerWriteReactor<v1::ChangeEvent>* Subscribe(grpc::CallbackServerContext* ctx,
                                                       const v1::SubscribeRequest* req) override;

 private:
  Roost* const roost_;
  const CallGate gate_;
  std::atomic<int> subscribers_{0};
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_GRPC_SERVICES_H_
