// The gRPC services of roost.v1 (callback API). Handlers stay thin: translate the
// request, call Roost, map the status. Reads honour min_position by waiting, without
// holding a thread, until the pipeline has applied it.
#ifndef ROOST_SERVICES_GRPC_SERVICES_H_
#define ROOST_SERVICES_GRPC_SERVICES_H_

#include <atomic>

#include "absl/time/time.h"
#include "roost/v1/feed.grpc.pb.h"
#include "roost/v1/roost.grpc.pb.h"
#include "services/auth.h"
#include "services/roost.h"

namespace roost::service {

namespace v1 = ::roost::v1;

// Waits longer than this are cut short even when the client set no deadline.
inline constexpr absl::Duration kMaxPositionWait = absl::Seconds(30);

class TweetsService final : public v1::Tweets::CallbackService {
 public:
  // `auth` (not owned; may be null: no tokens checked) gates every call.
  TweetsService(Roost* roost, const TokenAuth* auth) : roost_(roost), auth_(auth) {}
  grpc::ServerUnaryReactor* Post(grpc::CallbackServerContext* ctx, const v1::PostRequest* req,
                                 v1::PostResponse* resp) override;
  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* ctx,
                                   const v1::DeleteRequest* req,
                                   v1::DeleteResponse* resp) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* ctx, const v1::GetRequest* req,
                                v1::GetResponse* resp) override;
  grpc::ServerUnaryReactor* UserTimeline(grpc::CallbackServerContext* ctx,
                                         const v1::UserTimelineRequest* req,
                                         v1::TimelinePage* resp) override;

 private:
  Roost* const roost_;
  const TokenAuth* const auth_;
};

class TimelinesService final : public v1::Timelines::CallbackService {
 public:
  // `auth` (not owned; may be null: no tokens checked) gates every call.
  TimelinesService(Roost* roost, const TokenAuth* auth) : roost_(roost), auth_(auth) {}
  grpc::ServerUnaryReactor* Home(grpc::CallbackServerContext* ctx, const v1::HomeRequest* req,
                                 v1::TimelinePage* resp) override;

 private:
  Roost* const roost_;
  const TokenAuth* const auth_;
};

class GraphService final : public v1::Graph::CallbackService {
 public:
  // `auth` (not owned; may be null: no tokens checked) gates every call.
  GraphService(Roost* roost, const TokenAuth* auth) : roost_(roost), auth_(auth) {}
  grpc::ServerUnaryReactor* Add(grpc::CallbackServerContext* ctx, const v1::EdgeRequest* req,
                                v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Remove(grpc::CallbackServerContext* ctx, const v1::EdgeRequest* req,
                                   v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Negate(grpc::CallbackServerContext* ctx, const v1::EdgeRequest* req,
                                   v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Archive(grpc::CallbackServerContext* ctx, const v1::MassRequest* req,
                                    v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Unarchive(grpc::CallbackServerContext* ctx,
                                      const v1::MassRequest* req,
                                      v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* RemoveAll(grpc::CallbackServerContext* ctx,
                                      const v1::MassRequest* req,
                                      v1::WriteResponse* resp) override;
  grpc::ServerUnaryReactor* Select(grpc::CallbackServerContext* ctx,
                                   const v1::SelectRequest* req,
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
  const TokenAuth* const auth_;
};

class AdminService final : public v1::Admin::CallbackService {
 public:
  // `auth` (not owned; may be null: no tokens checked) gates every call.
  AdminService(Roost* roost, const TokenAuth* auth) : roost_(roost), auth_(auth) {}
  grpc::ServerUnaryReactor* Stats(grpc::CallbackServerContext* ctx, const v1::StatsRequest* req,
                                  v1::StatsResponse* resp) override;
  grpc::ServerUnaryReactor* Ping(grpc::CallbackServerContext* ctx, const v1::PingRequest* req,
                                 v1::PingResponse* resp) override;

 private:
  Roost* const roost_;
  const TokenAuth* const auth_;
};

class ChangeFeedService final : public v1::ChangeFeed::CallbackService {
 public:
  // `auth` (not owned; may be null: no tokens checked) gates every call.
  ChangeFeedService(Roost* roost, const TokenAuth* auth) : roost_(roost), auth_(auth) {}
  grpc::ServerWriteReactor<v1::ChangeEvent>* Subscribe(grpc::CallbackServerContext* ctx,
                                                       const v1::SubscribeRequest* req) override;

 private:
  Roost* const roost_;
  const TokenAuth* const auth_;
  std::atomic<int> subscribers_{0};
};

}  // namespace roost::service

#endif  // ROOST_SERVICES_GRPC_SERVICES_H_
