#include "services/grpc_services.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/change_feed.h"
#include "services/grpc_status.h"

namespace roost::services {
namespace {

absl::StatusOr<graph::GraphId> ToGraph(v1::GraphKind kind) {
  switch (kind) {
    case v1::FOLLOWS:
      return graph::kFollows;
    case v1::BLOCKS:
      return graph::kBlocks;
    case v1::MUTES:
      return graph::kMutes;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("graph must be FOLLOWS, BLOCKS or MUTES (got ", kind, ")"));
  }
}

absl::StatusOr<graph::Direction> ToDirection(v1::Direction direction) {
  switch (direction) {
    case v1::FORWARD:
      return graph::Direction::kForward;
    case v1::BACKWARD:
      return graph::Direction::kBackward;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("direction must be FORWARD or BACKWARD (got ", direction, ")"));
  }
}

template <typename States>
absl::StatusOr<graph::StateMask> ToStates(const States& states) {
  graph::StateMask mask = 0;
  for (int s : states) {
    if (s < 0 || s >= graph::kNumEdgeStates) {
      return absl::InvalidArgumentError(absl::StrCat("unknown edge state ", s));
    }
    mask |= graph::StateMask{1} << s;
  }
  return mask;  // 0: the store's default, NORMAL
}

// The list a Select or Count names.
struct ListArgs {
  graph::GraphId graph;
  graph::Direction direction;
  graph::StateMask states;
};

template <typename Request>
absl::StatusOr<ListArgs> ToListArgs(const Request& req) {
  absl::StatusOr<graph::GraphId> g = ToGraph(req.graph());
  if (!g.ok()) return g.status();
  absl::StatusOr<graph::Direction> direction = ToDirection(req.direction());
  if (!direction.ok()) return direction.status();
  absl::StatusOr<graph::StateMask> states = ToStates(req.states());
  if (!states.ok()) return states.status();
  return ListArgs{*g, *direction, *states};
}

void ToProto(const TimelineResult& result, v1::TimelinePage* page) {
  for (TweetId id : result.ids) page->add_ids(id);
  for (const tweetstore::Tweet& tweet : result.tweets) TweetToProto(tweet, page->add_tweets());
  page->set_next_max_id(result.next_max_id);
  page->set_rebuilt(result.rebuilt);
}

// SelectResponse and QueryResponse: ids and next_cursor.
template <typename Response>
void ToProto(const graph::Page& page, Response* resp) {
  resp->mutable_ids()->Add(page.ids.begin(), page.ids.end());
  resp->set_next_cursor(page.next_cursor);
}

// UserTimeline and Home: the same request and page, a different timeline.
template <typename Request>
grpc::ServerUnaryReactor* ReadTimeline(
    Roost* roost, const Consistency& consistency, grpc::CallbackServerContext* ctx,
    const Request& req, v1::TimelinePage* resp,
    absl::StatusOr<TimelineResult> (Roost::*timeline)(const TimelineQuery&)) {
  TimelineQuery query{req.user_id(), req.max_id(), req.since_id(), req.limit(), req.hydrate()};
  return ReadAfter(roost, consistency, ctx, req.min_position(), req.token(),
                   [roost, timeline, query, resp] {
    absl::StatusOr<TimelineResult> result = (roost->*timeline)(query);
    if (result.ok()) ToProto(*result, resp);
    return result.status();
  });
}

// Finishes a write with its position and token.
template <typename Response>
Roost::Done<LogOffset> FinishWrite(grpc::ServerUnaryReactor* reactor, Response* resp,
                                   const Consistency& consistency) {
  return [reactor, resp, consistency](absl::StatusOr<LogOffset> position) {
    if (position.ok()) {
      resp->set_position(*position);
      resp->set_token(consistency.TokenFor(*position));
    }
    reactor->Finish(ToGrpc(position.status()));
  };
}

}  // namespace

void TweetToProto(const tweetstore::Tweet& tweet, v1::Tweet* out) {
  out->set_id(tweet.id);
  out->set_author_id(tweet.author);
  out->set_text(tweet.text);
  out->set_created_at_ms(tweet.created_at_ms);
  out->set_reply_to_id(tweet.reply_to);
  out->set_retweet_of_id(tweet.retweet_of);
}

absl::Time CallDeadline(const grpc::CallbackServerContext& ctx) {
  const absl::Time cap = absl::Now() + kMaxPositionWait;
  const auto deadline = ctx.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return cap;
  return std::min(cap, absl::FromChrono(deadline));
}

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpc(status));
  return reactor;
}

absl::Status CallGate::Check(const grpc::CallbackServerContext& ctx) const {
  if (tokens_ == nullptr) return absl::OkStatus();
  const auto& metadata = ctx.client_metadata();
  const auto it = metadata.find("authorization");
  if (it == metadata.end()) return tokens_->Check(false, "", role_);
  return tokens_->Check(true, absl::string_view(it->second.data(), it->second.size()), role_);
}

grpc::ServerUnaryReactor* CallGate::Refuse(grpc::CallbackServerContext* ctx) const {
  absl::Status denied = Check(*ctx);
  return denied.ok() ? nullptr : FinishNow(ctx, denied);
}

// ---------------------------------------------------------------------------
// Tweets

grpc::ServerUnaryReactor* TweetsService::Post(grpc::CallbackServerContext* ctx,
                                              const v1::PostRequest* req, v1::PostResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  PostArgs args{req->author_id(), req->text(), req->reply_to_id(), req->retweet_of_id(),
                req->request_id()};
  roost_->Post(std::move(args), [this, reactor, resp](absl::StatusOr<PostResult> result) {
    if (result.ok()) {
      resp->set_tweet_id(result->tweet_id);
      resp->set_position(result->position);
      resp->set_token(consistency_.TokenFor(result->position));
    }
    reactor->Finish(ToGrpc(result.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* TweetsService::Delete(grpc::CallbackServerContext* ctx,
                                                const v1::DeleteRequest* req,
                                                v1::DeleteResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  roost_->Delete(req->author_id(), req->tweet_id(), CallDeadline(*ctx), FinishWrite(reactor, resp, consistency_));
  return reactor;
}

grpc::ServerUnaryReactor* TweetsService::Get(grpc::CallbackServerContext* ctx,
                                             const v1::GetRequest* req, v1::GetResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  return ReadAfter(roost_, Consistency(), ctx, /*min_position=*/0, "", [this, req, resp] {
    std::vector<TweetId> ids(req->ids().begin(), req->ids().end());
    absl::StatusOr<std::vector<tweetstore::Tweet>> found = roost_->GetTweets(ids);
    if (found.ok()) {
      for (const tweetstore::Tweet& tweet : *found) TweetToProto(tweet, resp->add_tweets());
    }
    return found.status();
  });
}

grpc::ServerUnaryReactor* TweetsService::UserTimeline(grpc::CallbackServerContext* ctx,
                                                      const v1::UserTimelineRequest* req,
                                                      v1::TimelinePage* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  return ReadTimeline(roost_, consistency_, ctx, *req, resp, &Roost::UserTimeline);
}

// ---------------------------------------------------------------------------
// Timelines

grpc::ServerUnaryReactor* TimelinesService::Home(grpc::CallbackServerContext* ctx,
                                                 const v1::HomeRequest* req,
                                                 v1::TimelinePage* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  return ReadTimeline(roost_, consistency_, ctx, *req, resp, &Roost::HomeTimeline);
}

// ---------------------------------------------------------------------------
// Graph

grpc::ServerUnaryReactor* GraphService::SetEdge(grpc::CallbackServerContext* ctx,
                                                const v1::EdgeRequest* req, graph::EdgeState state,
                                                v1::WriteResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  absl::StatusOr<graph::GraphId> g = ToGraph(req->graph());
  if (!g.ok()) return FinishNow(ctx, g.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  roost_->SetEdge(*g, req->source_id(), req->destination_id(), state, CallDeadline(*ctx),
                  FinishWrite(reactor, resp, consistency_));
  return reactor;
}

grpc::ServerUnaryReactor* GraphService::Add(grpc::CallbackServerContext* ctx,
                                            const v1::EdgeRequest* req, v1::WriteResponse* resp) {
  return SetEdge(ctx, req, graph::EdgeState::kNormal, resp);
}

grpc::ServerUnaryReactor* GraphService::Remove(grpc::CallbackServerContext* ctx,
                                               const v1::EdgeRequest* req,
                                               v1::WriteResponse* resp) {
  return SetEdge(ctx, req, graph::EdgeState::kRemoved, resp);
}

grpc::ServerUnaryReactor* GraphService::Negate(grpc::CallbackServerContext* ctx,
                                               const v1::EdgeRequest* req,
                                               v1::WriteResponse* resp) {
  return SetEdge(ctx, req, graph::EdgeState::kNegative, resp);
}

grpc::ServerUnaryReactor* GraphService::Mass(grpc::CallbackServerContext* ctx,
                                             const v1::MassRequest* req, graph::StateMask from,
                                             graph::EdgeState to, v1::WriteResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  absl::StatusOr<graph::GraphId> g = ToGraph(req->graph());
  if (!g.ok()) return FinishNow(ctx, g.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  roost_->MassChange(*g, req->user_id(), from, to, FinishWrite(reactor, resp, consistency_));
  return reactor;
}

grpc::ServerUnaryReactor* GraphService::Archive(grpc::CallbackServerContext* ctx,
                                                const v1::MassRequest* req,
                                                v1::WriteResponse* resp) {
  return Mass(ctx, req, graph::kNormalOnly, graph::EdgeState::kArchived, resp);
}

grpc::ServerUnaryReactor* GraphService::Unarchive(grpc::CallbackServerContext* ctx,
                                                  const v1::MassRequest* req,
                                                  v1::WriteResponse* resp) {
  return Mass(ctx, req, graph::StateBit(graph::EdgeState::kArchived), graph::EdgeState::kNormal,
              resp);
}

grpc::ServerUnaryReactor* GraphService::RemoveAll(grpc::CallbackServerContext* ctx,
                                                  const v1::MassRequest* req,
                                                  v1::WriteResponse* resp) {
  const graph::StateMask live = graph::StateBit(graph::EdgeState::kNormal) |
                                graph::StateBit(graph::EdgeState::kArchived) |
                                graph::StateBit(graph::EdgeState::kNegative);
  return Mass(ctx, req, live, graph::EdgeState::kRemoved, resp);
}

grpc::ServerUnaryReactor* GraphService::Select(grpc::CallbackServerContext* ctx,
                                               const v1::SelectRequest* req,
                                               v1::SelectResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  absl::StatusOr<ListArgs> list = ToListArgs(*req);
  if (!list.ok()) return FinishNow(ctx, list.status());
  return ReadAfter(roost_, consistency_, ctx, req->min_position(), req->token(), [this, list = *list, req, resp] {
    absl::StatusOr<graph::Page> page =
        roost_->Select(list.graph, req->user_id(), list.direction, list.states, req->cursor(),
                       req->limit(), req->created_after_ms(), req->created_before_ms());
    if (page.ok()) ToProto(*page, resp);
    return page.status();
  });
}

grpc::ServerUnaryReactor* GraphService::Count(grpc::CallbackServerContext* ctx,
                                              const v1::CountRequest* req,
                                              v1::CountResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  absl::StatusOr<ListArgs> list = ToListArgs(*req);
  if (!list.ok()) return FinishNow(ctx, list.status());
  return ReadAfter(roost_, consistency_, ctx, req->min_position(), req->token(), [this, list = *list, req, resp] {
    absl::StatusOr<uint64_t> count =
        roost_->Count(list.graph, req->user_id(), list.direction, list.states);
    if (count.ok()) resp->set_count(*count);
    return count.status();
  });
}

grpc::ServerUnaryReactor* GraphService::Contains(grpc::CallbackServerContext* ctx,
                                                 const v1::ContainsRequest* req,
                                                 v1::ContainsResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  absl::StatusOr<graph::GraphId> g = ToGraph(req->graph());
  if (!g.ok()) return FinishNow(ctx, g.status());
  return ReadAfter(roost_, consistency_, ctx, req->min_position(), req->token(), [this, g = *g, req, resp] {
    std::vector<UserId> destinations(req->destination_ids().begin(), req->destination_ids().end());
    absl::StatusOr<std::vector<bool>> found = roost_->Contains(g, req->source_id(), destinations);
    if (found.ok()) {
      for (bool f : *found) resp->add_contains(f);
    }
    return found.status();
  });
}

absl::StatusOr<graph::QueryTerm> TermFromProto(const v1::QueryTerm& term) {
  ASSIGN_OR_RETURN(const graph::GraphId g, ToGraph(term.graph()));
  ASSIGN_OR_RETURN(const graph::Direction direction, ToDirection(term.direction()));
  return graph::QueryTerm{g, term.user_id(), direction};
}

absl::Status ParseQuery(const v1::QueryRequest& req, graph::SetOp* op,
                        std::vector<graph::QueryTerm>* terms) {
  switch (req.op()) {
    case v1::INTERSECT:
      *op = graph::SetOp::kIntersect;
      break;
    case v1::UNION:
      *op = graph::SetOp::kUnion;
      break;
    case v1::DIFFERENCE:
      *op = graph::SetOp::kDifference;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("op must be INTERSECT, UNION or DIFFERENCE (got ", req.op(), ")"));
  }
  terms->clear();
  for (const v1::QueryTerm& term : req.terms()) {
    ASSIGN_OR_RETURN(const graph::QueryTerm parsed, TermFromProto(term));
    terms->push_back(parsed);
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* GraphService::Query(grpc::CallbackServerContext* ctx,
                                              const v1::QueryRequest* req,
                                              v1::QueryResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  graph::SetOp op;
  std::vector<graph::QueryTerm> terms;
  if (absl::Status parsed = ParseQuery(*req, &op, &terms); !parsed.ok()) {
    return FinishNow(ctx, parsed);
  }
  return ReadAfter(
      roost_, consistency_, ctx, req->min_position(), req->token(),
      [this, op, terms = std::move(terms), req, resp] {
        absl::StatusOr<graph::Page> page = roost_->Query(op, terms, req->cursor(), req->limit());
        if (!page.ok()) return page.status();
        ToProto(*page, resp);
        if (req->with_total()) {
          absl::StatusOr<uint64_t> total = roost_->QueryCount(op, terms);
          if (!total.ok()) return total.status();
          resp->set_total(*total);
        }
        return absl::OkStatus();
      });
}

// ---------------------------------------------------------------------------
// Admin

grpc::ServerUnaryReactor* AdminService::Stats(grpc::CallbackServerContext* ctx,
                                              const v1::StatsRequest* req,
                                              v1::StatsResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  // The gauges read the stores (a timeline shard's lock, for one): off the callback
  // thread like every read.
  return ReadAfter(roost_, Consistency(), ctx, /*min_position=*/0, "", [this, resp] {
    resp->set_appended_position(roost_->appended_position());
    resp->set_applied_position(roost_->applied_position());
    resp->set_processed_position(roost_->processed_position());
    for (const auto& [name, value] : roost_->Counters()) (*resp->mutable_counters())[name] = value;
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminService::Ping(grpc::CallbackServerContext* ctx,
                                             const v1::PingRequest* req, v1::PingResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  return FinishNow(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* AdminService::Cluster(grpc::CallbackServerContext* ctx,
                                                const v1::ClusterRequest* req,
                                                v1::ClusterConfig* resp) {
  // A single roostd: the empty config, which tells a client to send it everything.
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  return FinishNow(ctx, absl::OkStatus());
}

grpc::ServerWriteReactor<v1::ChangeEvent>* ChangeFeedService::Subscribe(
    grpc::CallbackServerContext* ctx, const v1::SubscribeRequest* req) {
  if (absl::Status denied = gate_.Check(*ctx); !denied.ok()) {
    return RefusedSubscription(ToGrpc(denied));
  }
  const FeedPartition only{0, roost_};
  return StartSubscription(absl::MakeConstSpan(&only, 1), *req, &subscribers_);
}

}  // namespace roost::services
