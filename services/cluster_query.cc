#include "services/cluster_query.h"

#include <algorithm>
#include <deque>
#include <numeric>
#include <utility>

#include "absl/functional/function_ref.h"
#include "common/status_macros.h"
#include "graph/page_builder.h"

namespace roost::services {
namespace {

// Ids read from a term per page, and probed per call: the public page limit.
constexpr size_t kTermPage = 200;

// Each id of a result, newest first, with its position; false stops the walk.
using Emit = absl::FunctionRef<bool(UserId, uint64_t)>;

// A page must move its term's cursor on, or a walk would read it forever.
absl::Status CheckProgress(const graph::Page& page, int64_t cursor) {
  const bool stuck =
      page.next_cursor != 0 && (page.ids.empty() || (cursor != 0 && page.next_cursor >= cursor));
  if (stuck || page.positions.size() != page.ids.size()) {
    return absl::InternalError("a term's page did not move on from its cursor");
  }
  return absl::OkStatus();
}

// INTERSECT and DIFFERENCE: the first term's ids, newest first, kept or dropped by
// their presence in the others.
absl::Status WalkFirstTerm(bool intersect, size_t terms, int64_t cursor, QueryParts& parts,
                           Emit emit) {
  std::vector<size_t> others(terms - 1);
  std::iota(others.begin(), others.end(), 1);
  for (int64_t at = cursor;;) {
    ASSIGN_OR_RETURN(const graph::Page batch, parts.TermPage(0, at, kTermPage));
    RETURN_IF_ERROR(CheckProgress(batch, at));
    std::vector<std::vector<uint64_t>> found;
    if (!others.empty() && !batch.ids.empty()) {
      ASSIGN_OR_RETURN(found, parts.Probe(others, batch.ids));
    }
    for (size_t i = 0; i < batch.ids.size(); ++i) {
      bool keep = true;
      for (const std::vector<uint64_t>& term : found) {
        if ((term[i] != 0) != intersect) keep = false;
      }
      if (keep && !emit(batch.ids[i], batch.positions[i])) return absl::OkStatus();
    }
    if (batch.next_cursor == 0) return absl::OkStatus();
    at = batch.next_cursor;
  }
}

// One term's list as UNION's merge reads it: a page at a time.
struct TermStream {
  std::deque<std::pair<UserId, uint64_t>> ids;  // (id, position), newest first
  int64_t next = 0;                             // the cursor of the next page
  bool done = false;                            // no page after `ids`
};

// Reads the next page of `term` when its buffer is empty and more exists.
absl::Status Refill(size_t term, TermStream& stream, QueryParts& parts) {
  if (!stream.ids.empty() || stream.done) return absl::OkStatus();
  ASSIGN_OR_RETURN(const graph::Page page, parts.TermPage(term, stream.next, kTermPage));
  RETURN_IF_ERROR(CheckProgress(page, stream.next));
  for (size_t i = 0; i < page.ids.size(); ++i) {
    stream.ids.push_back({page.ids[i], page.positions[i]});
  }
  stream.next = page.next_cursor;
  stream.done = page.next_cursor == 0;
  return absl::OkStatus();
}

struct Candidate {
  UserId id = 0;
  uint64_t position = 0;
  size_t term = 0;
};

// The next `size` entries of the merged terms, newest first; equal positions in term
// order, as one store's ListMerger gives them.
absl::StatusOr<std::vector<Candidate>> NextMerged(std::vector<TermStream>& streams, size_t size,
                                                  QueryParts& parts) {
  std::vector<Candidate> batch;
  while (batch.size() < size) {
    size_t best = streams.size();
    for (size_t t = 0; t < streams.size(); ++t) {
      RETURN_IF_ERROR(Refill(t, streams[t], parts));
      if (streams[t].ids.empty()) continue;
      if (best == streams.size() ||
          streams[t].ids.front().second > streams[best].ids.front().second) {
        best = t;
      }
    }
    if (best == streams.size()) break;
    batch.push_back({streams[best].ids.front().first, streams[best].ids.front().second, best});
    streams[best].ids.pop_front();
  }
  return batch;
}

absl::Status Union(size_t terms, int64_t cursor, QueryParts& parts, Emit emit) {
  std::vector<TermStream> streams(terms);
  for (TermStream& stream : streams) stream.next = cursor;
  std::vector<size_t> all(terms);
  std::iota(all.begin(), all.end(), 0);
  while (true) {
    ASSIGN_OR_RETURN(const std::vector<Candidate> batch, NextMerged(streams, kTermPage, parts));
    if (batch.empty()) return absl::OkStatus();
    std::vector<UserId> ids;
    for (const Candidate& c : batch) ids.push_back(c.id);
    std::vector<std::vector<uint64_t>> found;
    if (terms > 1) {
      ASSIGN_OR_RETURN(found, parts.Probe(all, ids));
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      bool best = true;
      for (size_t t = 0; t < found.size(); ++t) {
        const uint64_t there = found[t][i];
        // Another term holds the id higher (or equally high and earlier): it is, or
        // was on an earlier page, emitted from there.
        if (t != batch[i].term && there != 0 &&
            (there > batch[i].position || (there == batch[i].position && t < batch[i].term))) {
          best = false;
        }
      }
      if (best && !emit(batch[i].id, batch[i].position)) return absl::OkStatus();
    }
  }
}

absl::Status Walk(graph::SetOp op, size_t terms, int64_t cursor, QueryParts& parts, Emit emit) {
  if (terms == 0) return absl::InvalidArgumentError("terms must not be empty");
  if (cursor < 0) return absl::InvalidArgumentError("cursor must not be negative");
  switch (op) {
    case graph::SetOp::kIntersect:
      return WalkFirstTerm(/*intersect=*/true, terms, cursor, parts, emit);
    case graph::SetOp::kDifference:
      return WalkFirstTerm(/*intersect=*/false, terms, cursor, parts, emit);
    case graph::SetOp::kUnion:
      return Union(terms, cursor, parts, emit);
  }
  return absl::InvalidArgumentError("unknown set operation");
}

}  // namespace

absl::StatusOr<graph::Page> ScatterQuery(graph::SetOp op, size_t terms, int64_t cursor,
                                         size_t limit, QueryParts& parts) {
  graph::PageBuilder page(limit);
  RETURN_IF_ERROR(Walk(op, terms, cursor, parts, [&page](UserId id, uint64_t position) {
    page.Add(id, position);
    return !page.full();
  }));
  return std::move(page).Finish();
}

absl::StatusOr<uint64_t> ScatterQueryCount(graph::SetOp op, size_t terms, QueryParts& parts) {
  uint64_t count = 0;
  RETURN_IF_ERROR(Walk(op, terms, /*cursor=*/0, parts, [&count](UserId, uint64_t) {
    ++count;
    return true;
  }));
  return count;
}

}  // namespace roost::services
