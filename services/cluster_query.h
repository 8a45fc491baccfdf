// Graph.Query over users of several partitions. Every edge touching a user is kept on
// the user's partition, so each term's list is whole there, but no partition holds all
// the terms. ScatterQuery walks the terms' lists page by page and probes candidates
// against the other terms, as one graph store's Query does within its snapshot
// (graph/graph_query.cc), and returns what that Query would return for the same lists:
// the same ids in the same order, the same cursors.
//
//  - INTERSECT and DIFFERENCE walk the first term newest first and probe each page of
//    it against the other terms.
//  - UNION merges the terms newest first and probes every candidate against all terms:
//    an id is emitted where it has its highest position (ties: the lowest term), so a
//    cursor resumes without repeats or skips.
//
// Unlike one store's Query, the pages of different terms are read at different
// moments (each partition answers as of its own applied position), so a page is not
// one snapshot: an edge written meanwhile may or may not be seen.
#ifndef ROOST_SERVICES_CLUSTER_QUERY_H_
#define ROOST_SERVICES_CLUSTER_QUERY_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/types.h"
#include "graph/graph_store.h"

namespace roost::services {

// What ScatterQuery reads of the terms, wherever they are kept. The caller decides
// how the requests reach the terms' partitions.
class QueryParts {
 public:
  virtual ~QueryParts() = default;
  // A page of term `term`'s NORMAL list, newest first, below position `cursor` (0:
  // from the newest), with each id's position; next_cursor 0 at the end. `limit` is at
  // most 200.
  virtual absl::StatusOr<graph::Page> TermPage(size_t term, int64_t cursor, size_t limit) = 0;
  // For each term of `terms`, each candidate's position in its NORMAL list (0: not
  // there). At most 1000 candidates.
  virtual absl::StatusOr<std::vector<std::vector<uint64_t>>> Probe(
      absl::Span<const size_t> terms, absl::Span<const UserId> candidates) = 0;
};

// A page of `op` over `terms` terms (1 to 8) below `cursor`, at most `limit` ids (1 to
// 200), next_cursor 0 when nothing follows.
absl::StatusOr<graph::Page> ScatterQuery(graph::SetOp op, size_t terms, int64_t cursor,
                                         size_t limit, QueryParts& parts);
// The number of ids of the whole result, counted in one pass over the terms.
absl::StatusOr<uint64_t> ScatterQueryCount(graph::SetOp op, size_t terms, QueryParts& parts);

}  // namespace roost::services

#endif  // ROOST_SERVICES_CLUSTER_QUERY_H_
