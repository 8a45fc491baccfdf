#include "services/cluster_query_rpc.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "services/cluster_query.h"
#include "services/cluster_services.h"
#include "services/grpc_services.h"
#include "services/grpc_status.h"
#include "services/validation.h"

namespace roost::services {
namespace {

// The terms of one query, read where their users' partitions are.
class NodeQueryParts : public QueryParts {
 public:
  NodeQueryParts(ClusterNode* node, const v1::QueryRequest& req,
                 std::vector<graph::QueryTerm> terms, absl::Time deadline)
      : node_(node),
        protos_(req.terms().begin(), req.terms().end()),
        terms_(std::move(terms)),
        token_(req.token()),
        deadline_(deadline) {}

  absl::StatusOr<graph::Page> TermPage(size_t term, int64_t cursor, size_t limit) override {
    const cluster::PartitionId p = node_->map().PartitionOf(terms_[term].user);
    ASSIGN_OR_RETURN(const LogOffset position, Position(p));
    if (Roost* roost = node_->local(p)) {
      RETURN_IF_ERROR(AwaitApplied(roost, position));
      const graph::QueryTerm& t = terms_[term];
      return roost->Select(t.graph, t.user, t.direction, graph::kNormalOnly, cursor,
                           static_cast<uint32_t>(limit));
    }
    v1::TermPageRequest request;
    *request.mutable_term() = protos_[term];
    request.set_cursor(cursor);
    request.set_limit(static_cast<uint32_t>(limit));
    request.set_min_position(position);
    v1::TermPageResponse response;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline_));
    v1::Partitions::Stub* owner = node_->peer(node_->map().owner(p));
    RETURN_IF_ERROR(FromGrpc(owner->TermPage(&context, request, &response), node_->OwnerName(p)));
    if (response.positions_size() != response.ids_size()) {
      return absl::InternalError(absl::StrCat(node_->OwnerName(p), ": a page without positions"));
    }
    graph::Page page;
    page.ids.assign(response.ids().begin(), response.ids().end());
    page.positions.assign(response.positions().begin(), response.positions().end());
    page.next_cursor = response.next_cursor();
    return page;
  }

  absl::StatusOr<std::vector<std::vector<uint64_t>>> Probe(
      absl::Span<const size_t> terms, absl::Span<const UserId> candidates) override {
    std::map<cluster::PartitionId, std::vector<size_t>> by_partition;  // -> indexes in `terms`
    for (size_t i = 0; i < terms.size(); ++i) {
      by_partition[node_->map().PartitionOf(terms_[terms[i]].user)].push_back(i);
    }
    std::vector<std::vector<uint64_t>> found(terms.size());
    for (const auto& [p, indexes] : by_partition) {
      ASSIGN_OR_RETURN(const LogOffset position, Position(p));
      if (Roost* roost = node_->local(p)) {
        RETURN_IF_ERROR(AwaitApplied(roost, position));
        for (size_t i : indexes) {
          ASSIGN_OR_RETURN(found[i], roost->TermPositions(terms_[terms[i]], candidates));
        }
        continue;
      }
      v1::ProbeTermsRequest request;
      for (size_t i : indexes) *request.add_terms() = protos_[terms[i]];
      request.mutable_candidates()->Add(candidates.begin(), candidates.end());
      request.set_min_position(position);
      v1::ProbeTermsResponse response;
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(deadline_));
      RETURN_IF_ERROR(
          FromGrpc(node_->peer(node_->map().owner(p))->ProbeTerms(&context, request, &response),
                   node_->OwnerName(p)));
      if (response.terms_size() != static_cast<int>(indexes.size())) {
        return absl::InternalError(absl::StrCat(node_->OwnerName(p), ": a probe answered short"));
      }
      for (size_t k = 0; k < indexes.size(); ++k) {
        const auto& positions = response.terms(static_cast<int>(k)).positions();
        if (positions.size() != static_cast<int>(candidates.size())) {
          return absl::InternalError(absl::StrCat(node_->OwnerName(p), ": a probe answered short"));
        }
        found[indexes[k]].assign(positions.begin(), positions.end());
      }
    }
    return found;
  }

 private:
  // Where partition p's reads wait for the token, resolved for all partitions at the
  // first read. Each read starts by checking the query's deadline, which the
  // partitions of this node do not.
  absl::StatusOr<LogOffset> Position(cluster::PartitionId p) {
    if (absl::Now() > deadline_) {
      return absl::DeadlineExceededError("the query's deadline passed while reading its terms");
    }
    if (positions_.empty()) {
      ASSIGN_OR_RETURN(positions_, node_->TokenPositions(token_, deadline_));
    }
    return positions_[p];
  }
  absl::Status AwaitApplied(Roost* roost, LogOffset position) const {
    if (position == 0) return absl::OkStatus();
    absl::Notification applied;
    absl::Status status;
    roost->WhenApplied(position, deadline_, [&](absl::Status s) {
      status = std::move(s);
      applied.Notify();
    });
    applied.WaitForNotification();
    return status;
  }

  ClusterNode* const node_;
  const std::vector<v1::QueryTerm> protos_;
  const std::vector<graph::QueryTerm> terms_;
  const std::string token_;
  const absl::Time deadline_;
  std::vector<LogOffset> positions_;  // by partition; empty until the first read
};

}  // namespace

grpc::ServerUnaryReactor* QueryAcrossPartitions(ClusterNode* node, grpc::CallbackServerContext* ctx,
                                                const v1::QueryRequest* req,
                                                v1::QueryResponse* resp) {
  graph::SetOp op;
  std::vector<graph::QueryTerm> terms;
  if (absl::Status parsed = ParseQuery(*req, &op, &terms); !parsed.ok()) {
    return FinishNow(ctx, parsed);
  }
  if (absl::Status count = ValidateCount(terms.size(), kMaxQueryTerms, "terms"); !count.ok()) {
    return FinishNow(ctx, count);
  }
  for (const graph::QueryTerm& term : terms) {
    if (absl::Status user = ValidateUserId(term.user, "terms.user_id"); !user.ok()) {
      return FinishNow(ctx, user);
    }
  }
  if (!req->token().empty()) {
    if (absl::Status token = ParseToken(req->token()).status(); !token.ok()) {
      return FinishNow(ctx, token);
    }
  }
  if (req->cursor() < 0) {
    return FinishNow(ctx, absl::InvalidArgumentError("cursor must not be negative"));
  }
  if (req->min_position() != 0) {
    return FinishNow(ctx, absl::InvalidArgumentError(
                              "min_position is a position of one partition's log, and this "
                              "query's users are on several: pass the write's token instead"));
  }
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  node->readers()->Schedule([node, req, resp, reactor, op, terms = std::move(terms),
                             deadline = CallDeadline(*ctx)]() mutable {
    const size_t n = terms.size();
    NodeQueryParts parts(node, *req, std::move(terms), deadline);
    absl::StatusOr<graph::Page> page =
        ScatterQuery(op, n, req->cursor(), PageLimit(req->limit()), parts);
    absl::Status status = page.status();
    if (page.ok()) {
      resp->mutable_ids()->Add(page->ids.begin(), page->ids.end());
      resp->set_next_cursor(page->next_cursor);
      if (req->with_total()) {
        absl::StatusOr<uint64_t> total = ScatterQueryCount(op, n, parts);
        if (total.ok()) resp->set_total(*total);
        status = total.status();
      }
    }
    reactor->Finish(ToGrpc(status));
  });
  return reactor;
}

// The owner's side: reads of the partitions this node owns, once applied as asked.

namespace {

// The Roost of `user`'s partition, or FAILED_PRECONDITION when another node owns it.
absl::StatusOr<Roost*> OwnedRoost(ClusterNode* node, UserId user) {
  const cluster::PartitionId p = node->map().PartitionOf(user);
  if (Roost* roost = node->local(p)) return roost;
  return absl::FailedPreconditionError(absl::StrCat(
      "node ", node->self().id, " does not own partition ", p, " (", node->OwnerName(p), ")"));
}

}  // namespace

grpc::ServerUnaryReactor* PartitionsService::TermPage(grpc::CallbackServerContext* ctx,
                                                      const v1::TermPageRequest* req,
                                                      v1::TermPageResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  absl::StatusOr<graph::QueryTerm> term = TermFromProto(req->term());
  if (!term.ok()) return FinishNow(ctx, term.status());
  absl::StatusOr<Roost*> roost = OwnedRoost(node_, term->user);
  if (!roost.ok()) return FinishNow(ctx, roost.status());
  return ReadAfter(*roost, Consistency(), ctx, req->min_position(), "",
                   [roost = *roost, term = *term, req, resp] {
                     absl::StatusOr<graph::Page> page =
                         roost->Select(term.graph, term.user, term.direction, graph::kNormalOnly,
                                       req->cursor(), req->limit());
                     if (!page.ok()) return page.status();
                     resp->mutable_ids()->Add(page->ids.begin(), page->ids.end());
                     resp->mutable_positions()->Add(page->positions.begin(), page->positions.end());
                     resp->set_next_cursor(page->next_cursor);
                     return absl::OkStatus();
                   });
}

grpc::ServerUnaryReactor* PartitionsService::ProbeTerms(grpc::CallbackServerContext* ctx,
                                                        const v1::ProbeTermsRequest* req,
                                                        v1::ProbeTermsResponse* resp) {
  if (grpc::ServerUnaryReactor* refused = gate_.Refuse(ctx)) return refused;
  std::vector<graph::QueryTerm> terms;
  Roost* roost = nullptr;
  for (const v1::QueryTerm& proto : req->terms()) {
    absl::StatusOr<graph::QueryTerm> term = TermFromProto(proto);
    if (!term.ok()) return FinishNow(ctx, term.status());
    absl::StatusOr<Roost*> owner = OwnedRoost(node_, term->user);
    if (!owner.ok()) return FinishNow(ctx, owner.status());
    if (roost != nullptr && *owner != roost) {
      return FinishNow(ctx, absl::InvalidArgumentError("terms must be of one partition"));
    }
    roost = *owner;
    terms.push_back(*term);
  }
  if (roost == nullptr) return FinishNow(ctx, absl::InvalidArgumentError("no terms"));
  return ReadAfter(
      roost, Consistency(), ctx, req->min_position(), "",
      [roost, terms = std::move(terms), req, resp] {
        const std::vector<UserId> candidates(req->candidates().begin(), req->candidates().end());
        for (const graph::QueryTerm& term : terms) {
          ASSIGN_OR_RETURN(const std::vector<uint64_t> positions,
                           roost->TermPositions(term, candidates));
          resp->add_terms()->mutable_positions()->Add(positions.begin(), positions.end());
        }
        return absl::OkStatus();
      });
}

}  // namespace roost::services
