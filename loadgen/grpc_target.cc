#include "loadgen/grpc_target.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cluster/call_user.h"
#include "cluster/cluster_map.h"
#include "roost/v1/roost.grpc.pb.h"

namespace roost::loadgen {
namespace {

namespace v1 = ::roost::v1;

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

// One call in flight: what the callback API needs to stay alive until it finishes.
template <typename Request, typename Response, typename OnDone>
struct Call {
  grpc::ClientContext context;
  Request request;
  Response response;
  OnDone on_done;
};

}  // namespace

// Counts the calls whose ClientContext still exists. A call's callback reports to the
// runner before the context is destroyed, so the runner can be done while gRPC still
// tears calls down; the target must outlive that (gRPC shuts down with its last
// channel).
class GrpcTarget::Calls {
 public:
  void Begin() {
    absl::MutexLock lock(&mu_);
    ++live_;
  }
  void End() {
    absl::MutexLock lock(&mu_);
    --live_;
  }
  void WaitNone() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](int* live) { return *live == 0; }, &live_));
  }

 private:
  absl::Mutex mu_;
  int live_ ABSL_GUARDED_BY(mu_) = 0;
};

namespace {

// Starts `method` (a stub's async() method bound to its stub) and calls
// on_done(status, response) when it finishes.
template <typename Response, typename Request, typename Method, typename OnDone>
void Start(GrpcTarget::Calls* calls, const Method& method, Request request, absl::Time deadline,
           OnDone on_done) {
  calls->Begin();
  auto* call = new Call<Request, Response, OnDone>{{}, std::move(request), {}, std::move(on_done)};
  call->context.set_deadline(absl::ToChronoTime(deadline));
  method(&call->context, &call->request, &call->response, [call, calls](grpc::Status status) {
    call->on_done(FromGrpc(status), call->response);
    delete call;
    calls->End();
  });
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Dial(const std::string& address, int index,
                                                    absl::Time deadline) {
  grpc::ChannelArguments args;
  // Without a local pool, channels with equal arguments share one connection.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("roost.loadgen.connection", index);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(absl::ToChronoTime(deadline))) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", address));
  }
  return channel;
}

absl::StatusOr<v1::StatsResponse> Stats(v1::Admin::Stub& admin, absl::Time deadline) {
  v1::StatsResponse stats;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(deadline));
  if (grpc::Status status = admin.Stats(&context, v1::StatsRequest(), &stats); !status.ok()) {
    return FromGrpc(status);
  }
  return stats;
}

}  // namespace

struct GrpcTarget::Stubs {
  explicit Stubs(std::shared_ptr<grpc::Channel> c)
      : channel(std::move(c)),
        tweets(v1::Tweets::NewStub(channel)),
        timelines(v1::Timelines::NewStub(channel)),
        graph(v1::Graph::NewStub(channel)),
        admin(v1::Admin::NewStub(channel)) {}

  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Tweets::Stub> tweets;
  std::unique_ptr<v1::Timelines::Stub> timelines;
  std::unique_ptr<v1::Graph::Stub> graph;
  std::unique_ptr<v1::Admin::Stub> admin;
};

absl::StatusOr<std::unique_ptr<GrpcTarget>> GrpcTarget::Connect(const GrpcTargetOptions& options,
                                                                absl::Duration connect_timeout) {
  if (options.connections < 1) {
    return absl::InvalidArgumentError("--connections must be at least 1");
  }
  std::unique_ptr<GrpcTarget> target(new GrpcTarget(options));
  const absl::Time deadline = absl::Now() + connect_timeout;
  const std::vector<std::string> addresses = absl::StrSplit(options.address, ',');
  const int connections = std::max<int>(options.connections, static_cast<int>(addresses.size()));
  for (int i = 0; i < connections; ++i) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        Dial(addresses[i % addresses.size()], i, deadline);
    if (!channel.ok()) {
      return absl::UnavailableError(absl::StrCat(channel.status().message(), " within ",
                                                 absl::FormatDuration(connect_timeout)));
    }
    target->stubs_.push_back(std::make_unique<Stubs>(*std::move(channel)));
  }
  if (options.route_to_owners) {
    if (absl::Status routed = target->ConnectOwners(connections, deadline); !routed.ok()) {
      return routed;
    }
  }
  return target;
}

absl::Status GrpcTarget::ConnectOwners(int connections, absl::Time deadline) {
  v1::ClusterConfig config;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(deadline));
  if (grpc::Status status = stubs_.front()->admin->Cluster(&context, v1::ClusterRequest(), &config);
      status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return absl::OkStatus();  // a server older than the map: every call goes where sent
  } else if (!status.ok()) {
    return absl::Status(FromGrpc(status).code(),
                        absl::StrCat("asking for the cluster's map: ", status.error_message()));
  }
  if (config.partitions() == 0) return absl::OkStatus();  // a single roostd
  absl::StatusOr<cluster::ClusterMap> map =
      cluster::ClusterMap::FromConfig(config, "Admin.Cluster");
  if (!map.ok()) return map.status();
  // The given connections are replaced by as many spread over the map's nodes.
  const int nodes = static_cast<int>(map->nodes().size());
  const int per_node = std::max(1, (connections + nodes - 1) / nodes);
  stubs_.clear();
  absl::flat_hash_map<cluster::NodeId, std::vector<Stubs*>> by_node;
  for (const cluster::NodeInfo& node : map->nodes()) {
    for (int i = 0; i < per_node; ++i) {
      absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
          Dial(node.grpc_address, static_cast<int>(stubs_.size()), deadline);
      if (!channel.ok()) {
        return absl::UnavailableError(
            absl::StrCat("node ", node.id, ": ", channel.status().message()));
      }
      stubs_.push_back(std::make_unique<Stubs>(*std::move(channel)));
      by_node[node.id].push_back(stubs_.back().get());
    }
  }
  owner_stubs_.resize(map->partitions());
  for (cluster::PartitionId p = 0; p < map->partitions(); ++p) {
    owner_stubs_[p] = by_node[map->owner(p)];
  }
  return absl::OkStatus();
}

GrpcTarget::GrpcTarget(const GrpcTargetOptions& options)
    : options_(options), calls_(std::make_unique<Calls>()) {}

GrpcTarget::~GrpcTarget() { calls_->WaitNone(); }

GrpcTarget::Stubs& GrpcTarget::Next() {
  return *stubs_[next_.fetch_add(1, std::memory_order_relaxed) % stubs_.size()];
}

GrpcTarget::Stubs& GrpcTarget::For(UserId user) {
  if (owner_stubs_.empty()) return Next();
  const std::vector<Stubs*>& owner =
      owner_stubs_[cluster::UserPartition(user, static_cast<uint32_t>(owner_stubs_.size()))];
  return *owner[next_.fetch_add(1, std::memory_order_relaxed) % owner.size()];
}

void GrpcTarget::Issue(const Op& op, absl::Time deadline, absl::AnyInvocable<void(Outcome)> done) {
  // For calls whose response the runner does not need (called once, in one case).
  auto finish = [&done] {
    return [done = std::move(done)](const absl::Status& status, const auto&) mutable {
      done(Outcome{status});
    };
  };
  using Callback = std::function<void(grpc::Status)>;
  switch (op.kind) {
    case OpKind::kHome: {
      v1::HomeRequest req;
      req.set_user_id(op.user);
      req.set_limit(kReadLimit);
      req.set_hydrate(true);
      auto* async = For(cluster::CallUser(req)).timelines->async();
      Start<v1::TimelinePage>(
          calls_.get(),
          [async](auto* c, auto* q, auto* r, Callback f) { async->Home(c, q, r, std::move(f)); },
          std::move(req), deadline, finish());
      return;
    }
    case OpKind::kUser: {
      v1::UserTimelineRequest req;
      req.set_user_id(op.target);
      req.set_limit(kReadLimit);
      req.set_hydrate(true);
      auto* async = For(cluster::CallUser(req)).tweets->async();
      Start<v1::TimelinePage>(
          calls_.get(),
          [async](auto* c, auto* q, auto* r, Callback f) {
            async->UserTimeline(c, q, r, std::move(f));
          },
          std::move(req), deadline, finish());
      return;
    }
    case OpKind::kPost: {
      v1::PostRequest req;
      req.set_author_id(op.user);
      req.set_text(op.text);
      auto* async = For(cluster::CallUser(req)).tweets->async();
      Start<v1::PostResponse>(
          calls_.get(),
          [async](auto* c, auto* q, auto* r, Callback f) { async->Post(c, q, r, std::move(f)); },
          std::move(req), deadline,
          [done = std::move(done)](const absl::Status& status,
                                   const v1::PostResponse& resp) mutable {
            done(Outcome{status, resp.tweet_id(), resp.position(), resp.token()});
          });
      return;
    }
    case OpKind::kFollow:
    case OpKind::kUnfollow: {
      v1::EdgeRequest req;
      req.set_graph(v1::FOLLOWS);
      req.set_source_id(op.user);
      req.set_destination_id(op.target);
      auto* async = For(cluster::CallUser(req)).graph->async();
      const bool add = op.kind == OpKind::kFollow;
      Start<v1::WriteResponse>(
          calls_.get(),
          [async, add](auto* c, auto* q, auto* r, Callback f) {
            add ? async->Add(c, q, r, std::move(f)) : async->Remove(c, q, r, std::move(f));
          },
          std::move(req), deadline, finish());
      return;
    }
    case OpKind::kPing: {
      auto* async = Next().admin->async();
      Start<v1::PingResponse>(
          calls_.get(),
          [async](auto* c, auto* q, auto* r, Callback f) { async->Ping(c, q, r, std::move(f)); },
          v1::PingRequest(), deadline, finish());
      return;
    }
  }
}

void GrpcTarget::AwaitVisible(UserId follower, const Outcome& post, absl::Time deadline,
                              absl::AnyInvocable<void(absl::Status)> done) {
  // The newest entry at or below the tweet, once what the post caused for the follower
  // is applied (the token; on a cluster, on the follower's partition): the tweet
  // itself when fanout delivered it, however many newer tweets arrived since.
  const TweetId tweet = post.tweet_id;
  v1::HomeRequest req;
  req.set_user_id(follower);
  req.set_max_id(tweet + 1);
  req.set_limit(1);
  req.set_token(post.token);
  auto* async = For(cluster::CallUser(req)).timelines->async();
  Start<v1::TimelinePage>(
      calls_.get(),
      [async](auto* c, auto* q, auto* r, std::function<void(grpc::Status)> f) {
        async->Home(c, q, r, std::move(f));
      },
      std::move(req), deadline,
      [tweet, done = std::move(done)](const absl::Status& status,
                                      const v1::TimelinePage& page) mutable {
        if (!status.ok()) return done(status);
        if (page.ids_size() > 0 && page.ids(0) == tweet) return done(absl::OkStatus());
        done(absl::NotFoundError("the tweet is not in the follower's home timeline"));
      });
}

absl::StatusOr<bool> GrpcTarget::FollowsAll(UserId user, absl::Span<const UserId> followees) {
  constexpr size_t kMaxContains = 1000;  // the API's limit per call
  for (size_t first = 0; first < followees.size(); first += kMaxContains) {
    v1::ContainsRequest req;
    req.set_graph(v1::FOLLOWS);
    req.set_source_id(user);
    for (UserId id : followees.subspan(first, kMaxContains)) req.add_destination_ids(id);
    v1::ContainsResponse resp;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (grpc::Status status = For(cluster::CallUser(req)).graph->Contains(&context, req, &resp);
        !status.ok()) {
      return FromGrpc(status);
    }
    for (bool contained : resp.contains()) {
      if (!contained) return false;
    }
  }
  return true;
}

absl::StatusOr<uint64_t> GrpcTarget::AppendedRecords(absl::Time deadline) {
  absl::StatusOr<v1::StatsResponse> stats = Stats(*Next().admin, deadline);
  if (!stats.ok()) return stats.status();
  if (stats->partitions().empty()) return stats->appended_position();
  uint64_t appended = 0;
  for (const v1::PartitionStats& p : stats->partitions()) appended += p.appended_position();
  return appended;
}

absl::Status GrpcTarget::Sync(absl::Time deadline) {
  Stubs& s = Next();
  absl::StatusOr<v1::StatsResponse> read = Stats(*s.admin, deadline);
  if (!read.ok()) return read.status();
  const v1::StatsResponse& stats = *read;
  if (!stats.unavailable_nodes().empty()) {
    return absl::UnavailableError(
        absl::StrCat("cannot sync: ", absl::StrJoin(stats.unavailable_nodes(), "; ")));
  }
  // Any read with min_position waits, on the server, until that position is applied;
  // on a cluster, one read on each partition (through its token: "partition:position").
  std::vector<std::string> tokens;
  for (const v1::PartitionStats& p : stats.partitions()) {
    tokens.push_back(absl::StrCat(p.partition(), ":", p.appended_position()));
  }
  if (tokens.empty()) tokens.push_back("");
  for (const std::string& token : tokens) {
    v1::CountRequest req;
    req.set_graph(v1::FOLLOWS);
    req.set_user_id(1);
    if (token.empty()) {
      req.set_min_position(stats.appended_position());
    } else {
      req.set_token(token);
    }
    v1::CountResponse resp;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    if (grpc::Status status = s.graph->Count(&context, req, &resp); !status.ok()) {
      return FromGrpc(status);
    }
  }
  return absl::OkStatus();
}

}  // namespace roost::loadgen
