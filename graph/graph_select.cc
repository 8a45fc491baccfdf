// Paging a user's lists newest first (Select, SelectAll).
#include "graph/graph_store_impl.h"

#include "common/status_macros.h"

namespace roost::graph {

ListMerger GraphStoreImpl::OpenLists(const rocksdb::Snapshot* snapshot, GraphId graph,
                                     UserId user, Direction direction, StateMask states,
                                     uint64_t before) {
  ListMerger merger;
  for (int s = 0; s < kNumEdgeStates; ++s) {
    const auto state = static_cast<EdgeState>(s);
    if (!HasState(states, state)) continue;
    merger.Add(std::make_unique<ListScanner>(db_.get(), snapshot, graph, direction, user,
                                             state, before));
  }
  return merger;
}

absl::StatusOr<Page> GraphStoreImpl::SelectRange(GraphId graph, UserId user,
                                                 Direction direction, StateMask states,
                                                 int64_t cursor, size_t limit,
                                                 uint64_t min_position) {
  RETURN_IF_ERROR(ValidateStates(states));
  RETURN_IF_ERROR(ValidatePaging(cursor, limit));
  // One snapshot for all state lists, so an edge moving between states mid-page is
  // seen once.
  rocksdb::ManagedSnapshot snapshot(db_.get());
  ListMerger lists = OpenLists(snapshot.snapshot(), graph, user, direction, states,
                               static_cast<uint64_t>(cursor));
  PageBuilder page(limit);
  // Newest first: the first edge below min_position ends the range.
  for (; lists.Valid() && !page.full() && lists.position() >= min_position; lists.Next()) {
    page.Add(lists.other(), lists.position());
  }
  RETURN_IF_ERROR(lists.status());
  return std::move(page).Finish();
}

absl::StatusOr<std::vector<UserId>> GraphStoreImpl::SelectAll(GraphId graph, UserId user,
                                                              Direction direction,
                                                              StateMask states) {
  RETURN_IF_ERROR(ValidateStates(states));
  rocksdb::ManagedSnapshot snapshot(db_.get());
  ListMerger lists = OpenLists(snapshot.snapshot(), graph, user, direction, states, 0);
  std::vector<UserId> ids;
  for (; lists.Valid(); lists.Next()) ids.push_back(lists.other());
  RETURN_IF_ERROR(lists.status());
  return ids;
}

}  // namespace roost::graph
