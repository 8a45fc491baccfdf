// GraphStoreImpl: the RocksDB implementation of GraphStore (graph_store.h states the
// contract; graph_keys.h the layout). Split by concern: graph_store_impl.cc (open,
// writes, point reads), graph_mass.cc (mass updates and their jobs), graph_select.cc
// (paging), graph_query.cc (set algebra),
// graph_verify.cc (consistency checks).
//
// Thread-safe. RocksDB serializes nothing across keys, so writes to one pair are
// serialized by `locks_`; reads need no locks and use snapshots where they combine
// several lookups.
#ifndef ROOST_GRAPH_GRAPH_STORE_IMPL_H_
#define ROOST_GRAPH_GRAPH_STORE_IMPL_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/rocks_write_guard.h"
#include "graph/follower_cache.h"
#include "graph/graph_keys.h"
#include "graph/graph_store.h"
#include "graph/list_scan.h"
#include "graph/pair_locks.h"
#include "rocksdb/db.h"

namespace roost::graph {

inline constexpr size_t kMaxQueryTerms = 8;
inline constexpr StateMask kAllStates = (StateMask{1} << kNumEdgeStates) - 1;

class GraphStoreImpl : public GraphStore {
 public:
  GraphStoreImpl(std::unique_ptr<rocksdb::DB> db, const GraphStoreOptions& options);

  absl::StatusOr<std::vector<EdgeChange>> Apply(absl::Span<const EdgeWrite> writes) override;
  absl::StatusOr<bool> MassUpdateSlice(const MassSpec& spec, const SourceFilter& only_sources,
                                       size_t max_edges, MassCursor* cursor,
                                       const ChangeSink& on_changes) override;
  absl::StatusOr<std::vector<EdgeChange>> MassUpdatePairs(
      const MassSpec& spec, absl::Span<const std::pair<UserId, UserId>> pairs) override;
  absl::Status RecordMassJob(const MassJob& job) override;
  absl::StatusOr<std::vector<MassJob>> PendingMassJobs() override;
  absl::Status FinishMassJob(const MassJob& job) override;
  absl::StatusOr<std::optional<Edge>> GetEdge(GraphId graph, UserId source,
                                              UserId destination) override;
  absl::StatusOr<Page> SelectRange(GraphId graph, UserId user, Direction direction,
                                   StateMask states, int64_t cursor, size_t limit,
                                   uint64_t min_position) override;
  absl::StatusOr<std::vector<UserId>> SelectAll(GraphId graph, UserId user, Direction direction,
                                                StateMask states) override;
  absl::StatusOr<uint64_t> Count(GraphId graph, UserId user, Direction direction,
                                 StateMask states) override;
  absl::StatusOr<std::vector<bool>> Contains(GraphId graph, UserId source,
                                             absl::Span<const UserId> destinations) override;
  absl::StatusOr<std::vector<bool>> SourcesContain(GraphId graph, absl::Span<const UserId> sources,
                                                   UserId destination) override;
  absl::StatusOr<Page> Query(SetOp op, absl::Span<const QueryTerm> terms, int64_t cursor,
                             size_t limit) override;
  absl::StatusOr<uint64_t> QueryCount(SetOp op, absl::Span<const QueryTerm> terms) override;
  absl::StatusOr<std::vector<uint64_t>> TermPositions(const QueryTerm& term,
                                                      absl::Span<const UserId> candidates) override;
  absl::StatusOr<LogOffset> CommittedOffset() override;
  absl::Status SetCommittedOffset(LogOffset offset) override;
  absl::Status Compact() override;
  CacheStats FollowerCacheStats() const override {
    if (cache_ == nullptr) return {};
    return {cache_->lists(), cache_->bytes()};
  }
  absl::StatusOr<uint64_t> VerifyCounts() override;
  absl::StatusOr<uint64_t> VerifyIndexes() override;

 private:
  using Elements = std::vector<std::optional<keys::ElementValue>>;

  // Applies `writes` in order as one WriteBatch. A write applies only if the pair's
  // current state is in `required_states` (a missing edge never qualifies unless the
  // mask is kAllStates) and it wins by last-write-wins.
  // REQUIRES: the stripes of every pair in `writes` are held.
  absl::StatusOr<std::vector<EdgeChange>> ApplyLocked(absl::Span<const EdgeWrite> writes,
                                                      StateMask required_states);

  // The element entries at `element_keys` (nullopt where absent), read at `snapshot`
  // (null: the latest) with one MultiGet.
  absl::StatusOr<Elements> ReadElements(const rocksdb::Snapshot* snapshot,
                                        const std::vector<std::string>& element_keys);
  // The element entries of `ids` in the term's list.
  absl::StatusOr<Elements> ProbeTerm(const rocksdb::Snapshot* snapshot, const QueryTerm& term,
                                     absl::Span<const UserId> ids);

  // The lists of `states` merged newest first, below `before` (0: from the newest).
  ListMerger OpenLists(const rocksdb::Snapshot* snapshot, GraphId graph, UserId user,
                       Direction direction, StateMask states, uint64_t before);

  // The NORMAL lists of `terms` merged newest first, below `before`; an entry's
  // source() is its term's index.
  ListMerger OpenTerms(const rocksdb::Snapshot* snapshot, absl::Span<const QueryTerm> terms,
                       uint64_t before);

  // Set algebra strategies (graph_query.cc).
  // Walks the first term, reading at most `max_candidates` of its ids; if the page is
  // not full by then, sets *spent and returns an empty page.
  absl::StatusOr<Page> WalkFirstTerm(const rocksdb::Snapshot* snapshot, SetOp op,
                                     absl::Span<const QueryTerm> terms, uint64_t cursor,
                                     size_t limit, uint64_t max_candidates, bool* spent);
  absl::StatusOr<Page> IntersectFromSmallest(const rocksdb::Snapshot* snapshot,
                                             absl::Span<const QueryTerm> terms, size_t smallest,
                                             uint64_t cursor, size_t limit);
  absl::StatusOr<Page> Union(const rocksdb::Snapshot* snapshot, absl::Span<const QueryTerm> terms,
                             uint64_t cursor, size_t limit);

  // Loads `user`'s follower list into the cache if it has at least the minimum
  // (`followers`: its size when the caller knows it); true when this call loaded it.
  bool LoadFollowers(UserId user, std::optional<uint64_t> followers);
  bool ServesFromCache(GraphId graph, Direction direction, StateMask states) const {
    return cache_ != nullptr && graph == kFollows && direction == Direction::kBackward &&
           states == kNormalOnly;
  }

  const std::unique_ptr<rocksdb::DB> db_;
  RocksWriteGuard guard_{db_.get()};  // every write goes through it
  const uint64_t cache_min_followers_;
  const std::unique_ptr<FollowerCache> cache_;  // null: no cache
  PairLocks locks_;
};

// Argument checks shared by the read paths: INVALID_ARGUMENT on failure.
absl::Status ValidatePaging(int64_t cursor, size_t limit);
absl::Status ValidateStates(StateMask states);

}  // namespace roost::graph

#endif  // ROOST_GRAPH_GRAPH_STORE_IMPL_H_
