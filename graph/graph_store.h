// GraphStore keeps FlockDB-style edges in RocksDB.
//
// Each edge is stored twice, forward under its source and backward under its
// destination, in one atomic WriteBatch, in lists keyed
//   (graph, direction, user, state, ~position, other)
// for newest-first paging, plus an element index keyed (graph, source, destination)
// holding (position, state, updated_at) for inclusion tests (either direction) and
// last-write-wins.
// Counts per (graph, direction, user, state) are kept by a RocksDB merge operator
// (atomic add), so they are exact and never computed by scanning.
//
// Writes are idempotent: an edge write applies only when its updated_at is newer than
// the stored one (ties broken by the higher state), so replaying events gives the same
// graph, and states and counts are the same whatever order writes arrive in.
// A write for a pair that did not exist, or whose stored state is REMOVED, starts a new
// edge whose position is the write's `position`; otherwise the original position is
// kept (unarchive restores it, as in FlockDB). Positions alone can depend on arrival
// order, when one pair's writes straddle a creation or REMOVED and arrive out of
// updated_at order (see last_write_wins.h); route a pair's writes in order to avoid it.
//
// Thread-safe: concurrent writers are serialized per edge pair by striped locks.
#ifndef ROOST_GRAPH_GRAPH_STORE_H_
#define ROOST_GRAPH_GRAPH_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/types.h"
#include "graph/edge.h"

namespace roost::graph {

struct GraphStoreOptions {
  bool create_if_missing = true;
  // Opens the store for reading only (verification tools): writes fail and nothing
  // on disk changes, not even by recovery.
  bool read_only = false;
  size_t block_cache_bytes = size_t{64} << 20;
  // The follower lists (FOLLOWS, backward, NORMAL) of users with at least
  // follower_cache_min_followers followers are kept in memory once read, within
  // follower_cache_bytes (0: no cache); see follower_cache.h.
  size_t follower_cache_bytes = size_t{256} << 20;
  uint64_t follower_cache_min_followers = 10'000;
};

// A request to set one edge's state.
struct EdgeWrite {
  GraphId graph = 0;
  UserId source = 0;
  UserId destination = 0;
  EdgeState state = EdgeState::kNormal;
  uint64_t updated_at = 0;  // last write wins by this
  uint64_t position = 0;    // used only when the write creates a new edge
};

// What a write changed: the edge before (nullopt if it did not exist) and after.
// Callers use it to keep derived state (timelines) in step.
struct EdgeChange {
  std::optional<Edge> before;
  Edge after;
  size_t write = 0;  // from Apply: the index in its `writes` of the write that made it
                     // (from MassUpdate: meaningless)
};

// Receives the changes of each committed chunk of a MassUpdate.
using ChangeSink = std::function<void(absl::Span<const EdgeChange> changes)>;

// A mass update: every edge of `user` in `graph`, both directions, whose state is in
// `from` moves to `to` as of `updated_at` (edges updated later are left alone). An
// edge keeps its position, so unarchive restores the original order.
struct MassSpec {
  GraphId graph = 0;
  UserId user = 0;
  StateMask from = 0;
  EdgeState to = EdgeState::kNormal;
  uint64_t updated_at = 0;
};

// Where a mass update carried out in slices resumes (MassUpdateSlice): the last list
// entry it handled. Start from a default-constructed one.
struct MassCursor {
  int list = 0;           // direction * kNumEdgeStates + state
  uint64_t position = 0;  // 0: the list's start
  UserId other = 0;
};

// A mass update that a writer carries out in slices, recorded in the store until it
// is finished so that a restart resumes it. `offset` (the log offset of the event that
// asked for it) and `owner` (which writer; opaque to the store) identify it.
struct MassJob {
  MassSpec spec;
  LogOffset offset = 0;
  uint32_t owner = 0;
};

struct Page {
  std::vector<UserId> ids;
  std::vector<uint64_t> positions;  // aligned with ids: each one's position
  int64_t next_cursor = 0;          // 0 at the end
};

enum class SetOp { kIntersect, kUnion, kDifference };

// Selects the edges a writer may touch by their source: a pipeline whose writers each
// own a set of sources passes its own share, so that every edge keeps one writer.
// nullptr selects every edge.
using SourceFilter = std::function<bool(UserId source)>;

struct QueryTerm {
  GraphId graph = 0;
  UserId user = 0;
  Direction direction = Direction::kForward;
};

class GraphStore {
 public:
  static absl::StatusOr<std::unique_ptr<GraphStore>> Open(const std::string& path,
                                                          const GraphStoreOptions& options);
  virtual ~GraphStore() = default;

  // Applies the writes (each atomically; the whole span is one WriteBatch). Returns one
  // entry per write that changed something (stale or repeated writes change nothing;
  // a newer write of the same state changes only updated_at and is reported).
  // INVALID_ARGUMENT, and nothing applied, if any write has graph, source or
  // destination 0, an unknown state, or a position outside [1, INT64_MAX] (positions
  // are cursors).
  virtual absl::StatusOr<std::vector<EdgeChange>> Apply(absl::Span<const EdgeWrite> writes) = 0;

  // Carries out `spec` (see MassSpec) for at most `max_edges` list entries from
  // `*cursor` on, restricted to the edges whose source `only_sources` selects, and
  // advances the cursor; true once the whole update is done. It commits in bounded
  // chunks, and hands each chunk's changes to `on_changes` once committed, so that an
  // error part-way loses no report of what was already done (the cursor covers only
  // committed chunks, and a retry finds those edges moved and changes nothing).
  // Slices read the lists as they are, not at one snapshot: an edge written between
  // slices by a newer write is left alone by last-write-wins.
  virtual absl::StatusOr<bool> MassUpdateSlice(const MassSpec& spec,
                                               const SourceFilter& only_sources, size_t max_edges,
                                               MassCursor* cursor,
                                               const ChangeSink& on_changes) = 0;
  // Applies `spec` to the given (source, destination) pairs only, each of which must
  // have spec.user at one end: lets a writer with a mass update in progress put it
  // ahead of a newer write to the same pair, so every pair sees its writes in order.
  virtual absl::StatusOr<std::vector<EdgeChange>> MassUpdatePairs(
      const MassSpec& spec, absl::Span<const std::pair<UserId, UserId>> pairs) = 0;

  // The whole of `spec` at once (MassUpdateSlice without a bound).
  absl::Status MassUpdate(GraphId graph, UserId user, StateMask from, EdgeState to,
                          uint64_t updated_at, const SourceFilter& only_sources,
                          const ChangeSink& on_changes) {
    MassCursor cursor;
    return MassUpdateSlice(MassSpec{graph, user, from, to, updated_at}, only_sources, SIZE_MAX,
                           &cursor, on_changes)
        .status();
  }
  // The same, returning every change (for tests and small users).
  absl::StatusOr<std::vector<EdgeChange>> MassUpdate(GraphId graph, UserId user, StateMask from,
                                                     EdgeState to, uint64_t updated_at,
                                                     const SourceFilter& only_sources = nullptr) {
    std::vector<EdgeChange> all;
    absl::Status status = MassUpdate(
        graph, user, from, to, updated_at, only_sources,
        [&all](absl::Span<const EdgeChange> c) { all.insert(all.end(), c.begin(), c.end()); });
    if (!status.ok()) return status;
    return all;
  }

  virtual absl::StatusOr<std::optional<Edge>> GetEdge(GraphId graph, UserId source,
                                                      UserId destination) = 0;

  // A page of the user's list, newest first, edges whose state is in `states`.
  // `cursor` 0 starts at the newest; otherwise it is a previous page's next_cursor and
  // the page starts strictly after it. Stable under concurrent inserts.
  // INVALID_ARGUMENT for a negative cursor, limit 0, or an unknown state bit.
  absl::StatusOr<Page> Select(GraphId graph, UserId user, Direction direction, StateMask states,
                              int64_t cursor, size_t limit) {
    return SelectRange(graph, user, direction, states, cursor, limit, 0);
  }
  // Select restricted to edges whose position is at least `min_position` (with the
  // cursor as the upper bound, a time range, positions being Snowflake ids, as TAO's
  // assoc_time_range): the last page is the one that reaches below it.
  virtual absl::StatusOr<Page> SelectRange(GraphId graph, UserId user, Direction direction,
                                           StateMask states, int64_t cursor, size_t limit,
                                           uint64_t min_position) = 0;
  // Every id in the list (all pages); for internal fanout and rebuild paths.
  virtual absl::StatusOr<std::vector<UserId>> SelectAll(GraphId graph, UserId user,
                                                        Direction direction, StateMask states) = 0;

  virtual absl::StatusOr<uint64_t> Count(GraphId graph, UserId user, Direction direction,
                                         StateMask states) = 0;

  // For each destination, whether source -> destination exists in state NORMAL.
  virtual absl::StatusOr<std::vector<bool>> Contains(GraphId graph, UserId source,
                                                     absl::Span<const UserId> destinations) = 0;
  // For each source, whether source -> destination exists in state NORMAL: read from
  // the sources' entries (one MultiGet) or, for many sources, from the destination's
  // list (its count, then the list).
  virtual absl::StatusOr<std::vector<bool>> SourcesContain(GraphId graph,
                                                           absl::Span<const UserId> sources,
                                                           UserId destination) = 0;

  // Set algebra over NORMAL edges of the terms (1 to 8): results newest first by the
  // first term's position (for UNION: by the highest position among the terms),
  // paged by cursor like Select. Positions are the only cursor, so two different ids
  // at one position would be split by a page boundary; positions are event ids, unique
  // per list, and only a UNION mixing directions can tie (u -> v sits at one position
  // in u's forward and v's backward list).
  virtual absl::StatusOr<Page> Query(SetOp op, absl::Span<const QueryTerm> terms, int64_t cursor,
                                     size_t limit) = 0;

  // Records a mass job as pending (idempotent), lists the pending ones in offset
  // order, and removes a finished one.
  virtual absl::Status RecordMassJob(const MassJob& job) = 0;
  virtual absl::StatusOr<std::vector<MassJob>> PendingMassJobs() = 0;
  virtual absl::Status FinishMassJob(const MassJob& job) = 0;

  // The exact number of ids Query returns over all its pages, counted at one snapshot
  // in one pass: INTERSECT walks its smallest term and probes the others; DIFFERENCE
  // walks the first; UNION walks every term and counts an id in the first term that
  // holds it. (FlockDB's counts of compound queries were estimates.)
  virtual absl::StatusOr<uint64_t> QueryCount(SetOp op, absl::Span<const QueryTerm> terms) = 0;
  // Each candidate's position in the term's NORMAL list, 0 where it is not there (one
  // MultiGet): how a query over users of several partitions probes this one's terms.
  virtual absl::StatusOr<std::vector<uint64_t>> TermPositions(
      const QueryTerm& term, absl::Span<const UserId> candidates) = 0;

  // The log offset through which the pipeline has applied events to this store,
  // persisted; 0 for a new store.
  virtual absl::StatusOr<LogOffset> CommittedOffset() = 0;
  virtual absl::Status SetCommittedOffset(LogOffset offset) = 0;

  // The follower cache's contents (follower_cache.h), for gauges and tests.
  struct CacheStats {
    size_t lists = 0;
    size_t bytes = 0;
  };
  virtual CacheStats FollowerCacheStats() const = 0;

  // Flushes and compacts everything into the bottom level (for measuring the size on
  // disk, or after a mass removal); slow, and the store stays usable meanwhile.
  virtual absl::Status Compact() = 0;

  // Consistency checks for `roostctl graph verify` and crash tests. Each scans the
  // whole store (at one snapshot) and returns the number of problems found, 0 when
  // consistent. VerifyCounts recomputes every (graph, direction, user, state) count
  // from the lists and counts the counters that disagree.
  virtual absl::StatusOr<uint64_t> VerifyCounts() = 0;
  // Checks that each edge's element entry has both its list keys (forward and
  // backward), and that no list key lacks an element entry.
  virtual absl::StatusOr<uint64_t> VerifyIndexes() = 0;
};

}  // namespace roost::graph

#endif  // ROOST_GRAPH_GRAPH_STORE_H_
