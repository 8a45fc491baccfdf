// Opening the store, writes (Apply, MassUpdate) and point reads.
#include "graph/graph_store_impl.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/coding.h"
#include "common/rocks_logger.h"
#include "common/rocks_status.h"
#include "common/status_macros.h"
#include "graph/count_merge_operator.h"
#include "graph/last_write_wins.h"
#include "rocksdb/cache.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace roost::graph {
namespace {

// SourcesContain reads the destination's list instead of looking each source up from
// this many sources on, while the list has at most this many entries per source: a
// point lookup (a memtable search, or a filtered SST read) costs about as much as
// reading this many list entries in order.
constexpr size_t kScanMinSources = 8;
constexpr uint64_t kScanEntriesPerLookup = 16;

absl::Status ValidateWrite(const EdgeWrite& w) {
  if (w.graph == 0 || w.source == 0 || w.destination == 0) {
    return absl::InvalidArgumentError("graph write: graph, source and destination must be set");
  }
  if (!keys::IsValidState(static_cast<uint8_t>(w.state))) {
    return absl::InvalidArgumentError("graph write: unknown edge state");
  }
  // Positions are paging cursors: positive int64, since 0 means "from the start".
  if (w.position == 0 || w.position > uint64_t{std::numeric_limits<int64_t>::max()}) {
    return absl::InvalidArgumentError(
        absl::StrCat("graph write: position out of range: ", w.position));
  }
  return absl::OkStatus();
}

Edge ToEdge(GraphId graph, UserId source, UserId destination, const keys::ElementValue& v) {
  Edge edge;
  edge.graph = graph;
  edge.source = source;
  edge.destination = destination;
  edge.position = v.position;
  edge.state = v.state;
  edge.updated_at = v.updated_at;
  return edge;
}

// For each element read, whether it is there in state NORMAL.
std::vector<bool> NormalOf(absl::Span<const std::optional<keys::ElementValue>> found) {
  std::vector<bool> normal(found.size());
  for (size_t i = 0; i < found.size(); ++i) {
    normal[i] = found[i].has_value() && found[i]->state == EdgeState::kNormal;
  }
  return normal;
}

using CountDeltas = absl::flat_hash_map<std::string, int64_t>;

// The writes of one Apply, handed to RocksDB in key order. A memtable insert that
// follows its predecessor in key order reuses the skip list's search path, so a sorted
// batch costs far less to insert than the same keys in edge order (which scatters
// them: each edge writes under two users); inserts dominated the graph writer's time.
// The sort is stable, so two writes of one key keep their order.
class SortedBatch {
 public:
  void Put(std::string key, std::string value) {
    ops_.push_back({std::move(key), std::move(value), Kind::kPut});
  }
  void Delete(std::string key) { ops_.push_back({std::move(key), {}, Kind::kDelete}); }
  void Merge(std::string key, std::string value) {
    ops_.push_back({std::move(key), std::move(value), Kind::kMerge});
  }

  rocksdb::WriteBatch Build() {
    std::stable_sort(ops_.begin(), ops_.end(),
                     [](const Op& a, const Op& b) { return a.key < b.key; });
    rocksdb::WriteBatch batch;
    for (const Op& op : ops_) {
      switch (op.kind) {
        case Kind::kPut:
          batch.Put(op.key, op.value);
          break;
        case Kind::kDelete:
          batch.Delete(op.key);
          break;
        case Kind::kMerge:
          batch.Merge(op.key, op.value);
          break;
      }
    }
    return batch;
  }

 private:
  enum class Kind { kPut, kDelete, kMerge };
  struct Op {
    std::string key;
    std::string value;
    Kind kind;
  };
  std::vector<Op> ops_;
};

// Stages the transition before -> after of one edge: list keys and counts in both
// directions, and its element entry.
void StageTransition(const std::optional<Edge>& before, const Edge& after, SortedBatch* batch,
                     CountDeltas* deltas) {
  const bool lists_unchanged =
      before.has_value() && before->state == after.state && before->position == after.position;
  if (!lists_unchanged) {
    if (before.has_value()) {
      batch->Delete(keys::ForwardListKey(*before));
      batch->Delete(keys::BackwardListKey(*before));
      --(*deltas)[keys::CountKey(before->graph, Direction::kForward, before->source,
                                 before->state)];
      --(*deltas)[keys::CountKey(before->graph, Direction::kBackward, before->destination,
                                 before->state)];
    }
    batch->Put(keys::ForwardListKey(after), std::string());
    batch->Put(keys::BackwardListKey(after), std::string());
    ++(*deltas)[keys::CountKey(after.graph, Direction::kForward, after.source, after.state)];
    ++(*deltas)[keys::CountKey(after.graph, Direction::kBackward, after.destination, after.state)];
  }
  const std::string value =
      keys::EncodeElementValue(keys::ElementValue{after.position, after.state, after.updated_at});
  batch->Put(keys::ForwardElementKey(after.graph, after.source, after.destination), value);
}

// Stamps a new store with the format, and refuses one written in another format: its
// keys would be misread. A store with data but no stamp is format 1.
absl::Status CheckFormat(rocksdb::DB* db, const std::string& path, bool read_only) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), keys::FormatKey(), &value);
  if (!s.IsNotFound()) RETURN_IF_ERROR(FromRocks(s));
  uint64_t format = 0;
  if (s.ok()) {
    format = value.size() == 8 ? DecodeFixed64(value.data()) : 0;
  } else {
    std::unique_ptr<rocksdb::Iterator> any(db->NewIterator(rocksdb::ReadOptions()));
    any->SeekToFirst();
    RETURN_IF_ERROR(FromRocks(any->status()));
    if (!any->Valid()) {  // a new store
      if (read_only) return absl::OkStatus();
      PutFixed64(&value, keys::kFormatVersion);
      return FromRocks(db->Put(rocksdb::WriteOptions(), keys::FormatKey(), value));
    }
    format = 1;
  }
  if (format == keys::kFormatVersion) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "graph store ", path, " has on-disk format ", format, ", this build reads format ",
      keys::kFormatVersion, ": rebuild it from the log (roostd --rebuild)"));
}

}  // namespace

absl::Status ValidatePaging(int64_t cursor, size_t limit) {
  if (cursor < 0) return absl::InvalidArgumentError("graph: negative cursor");
  if (limit == 0) return absl::InvalidArgumentError("graph: limit must be positive");
  return absl::OkStatus();
}

absl::Status ValidateStates(StateMask states) {
  if (!keys::IsValidStateMask(states)) {
    return absl::InvalidArgumentError("graph: unknown state in mask");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<GraphStore>> GraphStore::Open(const std::string& path,
                                                             const GraphStoreOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.merge_operator = NewCountMergeOperator();
  // A read-only open (roostctl graph verify, perhaps beside a running roostd) writes
  // no log of its own, as RocksDB's read-only mode does not.
  if (!options.read_only) db_options.info_log = std::make_shared<RocksLogger>(path, "graph");
  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // Contains, LWW reads and query probes are point lookups, mostly of absent keys.
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  // The same for the memtable: every write first reads its pair's element entry, which
  // for a new edge is absent, and perf of graph_bench's load put the memtable search at
  // twice the SST files' filtered lookups. Measured: load 91.0k -> 99.3k edges/s (one
  // run each, so within noise), other figures unchanged.
  db_options.memtable_whole_key_filtering = true;
  db_options.memtable_prefix_bloom_size_ratio = 0.05;

  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(options.read_only ? rocksdb::DB::OpenForReadOnly(db_options, path, &raw)
                                              : rocksdb::DB::Open(db_options, path, &raw)));
  std::unique_ptr<rocksdb::DB> db(raw);
  RETURN_IF_ERROR(CheckFormat(db.get(), path, options.read_only));
  return std::unique_ptr<GraphStore>(std::make_unique<GraphStoreImpl>(std::move(db), options));
}

GraphStoreImpl::GraphStoreImpl(std::unique_ptr<rocksdb::DB> db, const GraphStoreOptions& options)
    : db_(std::move(db)),
      cache_min_followers_(options.follower_cache_min_followers),
      cache_(options.follower_cache_bytes == 0 || options.read_only
                 ? nullptr
                 : std::make_unique<FollowerCache>(options.follower_cache_bytes)) {}

absl::StatusOr<std::vector<EdgeChange>> GraphStoreImpl::Apply(absl::Span<const EdgeWrite> writes) {
  for (const EdgeWrite& w : writes) RETURN_IF_ERROR(ValidateWrite(w));
  if (writes.empty()) return std::vector<EdgeChange>();
  PairLocks::Held held = locks_.Lock(writes);
  return ApplyLocked(writes, kAllStates);
}

absl::StatusOr<std::vector<EdgeChange>> GraphStoreImpl::ApplyLocked(
    absl::Span<const EdgeWrite> writes, StateMask required_states) {
  // The current edge of each distinct pair, read once; a later write to the same pair
  // in this batch is decided against the earlier one's result.
  std::vector<std::string> write_keys;
  std::vector<std::string> read_keys;
  absl::flat_hash_map<std::string, std::optional<Edge>> current;
  write_keys.reserve(writes.size());
  for (const EdgeWrite& w : writes) {
    write_keys.push_back(keys::ForwardElementKey(w.graph, w.source, w.destination));
    if (current.try_emplace(write_keys.back()).second) read_keys.push_back(write_keys.back());
  }
  ASSIGN_OR_RETURN(Elements stored, ReadElements(nullptr, read_keys));
  for (size_t i = 0; i < read_keys.size(); ++i) {
    if (!stored[i].has_value()) continue;
    const char* key = read_keys[i].data();
    // Element key: tag graph source(8) destination(8).
    current[read_keys[i]] = ToEdge(static_cast<GraphId>(key[1]), DecodeBigEndian64(key + 2),
                                   DecodeBigEndian64(key + 10), *stored[i]);
  }

  SortedBatch batch;
  CountDeltas deltas;
  std::vector<EdgeChange> changes;
  for (size_t i = 0; i < writes.size(); ++i) {
    std::optional<Edge>& edge = current[write_keys[i]];
    EdgeWrite write = writes[i];
    if (required_states != kAllStates) {
      if (!edge.has_value() || !HasState(required_states, edge->state)) continue;
      write.position = edge->position;  // a mass update keeps every edge's position
    }
    std::optional<Edge> after = ResolveWrite(edge, write);
    if (!after.has_value()) continue;
    StageTransition(edge, *after, &batch, &deltas);
    changes.push_back(EdgeChange{edge, *after, i});
    edge = *after;
  }
  if (changes.empty()) return changes;
  for (const auto& [key, delta] : deltas) {
    if (delta != 0) batch.Merge(key, keys::EncodeCount(delta));
  }
  rocksdb::WriteBatch sorted = batch.Build();
  RETURN_IF_ERROR(
      FromRocks(guard_.Run([&] { return db_->Write(rocksdb::WriteOptions(), &sorted); })));
  if (cache_ != nullptr) {
    for (const EdgeChange& change : changes) cache_->OnChange(change);  // pairs still locked
  }
  return changes;
}

absl::StatusOr<GraphStoreImpl::Elements> GraphStoreImpl::ReadElements(
    const rocksdb::Snapshot* snapshot, const std::vector<std::string>& element_keys) {
  const size_t n = element_keys.size();
  std::vector<rocksdb::Slice> slices(element_keys.begin(), element_keys.end());
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  db_->MultiGet(options, db_->DefaultColumnFamily(), n, slices.data(), values.data(),
                statuses.data());
  Elements elements(n);
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    RETURN_IF_ERROR(FromRocks(statuses[i]));
    keys::ElementValue value;
    if (!keys::DecodeElementValue(absl::string_view(values[i].data(), values[i].size()), &value)) {
      return absl::DataLossError("graph: malformed element entry");
    }
    elements[i] = value;
  }
  return elements;
}

absl::StatusOr<GraphStoreImpl::Elements> GraphStoreImpl::ProbeTerm(
    const rocksdb::Snapshot* snapshot, const QueryTerm& term, absl::Span<const UserId> ids) {
  std::vector<std::string> element_keys;
  element_keys.reserve(ids.size());
  for (UserId id : ids) {
    element_keys.push_back(keys::ElementKey(term.graph, term.direction, term.user, id));
  }
  return ReadElements(snapshot, element_keys);
}

absl::StatusOr<std::optional<Edge>> GraphStoreImpl::GetEdge(GraphId graph, UserId source,
                                                            UserId destination) {
  ASSIGN_OR_RETURN(Elements found,
                   ReadElements(nullptr, {keys::ForwardElementKey(graph, source, destination)}));
  if (!found[0].has_value()) return std::optional<Edge>();
  return std::optional<Edge>(ToEdge(graph, source, destination, *found[0]));
}

absl::StatusOr<uint64_t> GraphStoreImpl::Count(GraphId graph, UserId user, Direction direction,
                                               StateMask states) {
  RETURN_IF_ERROR(ValidateStates(states));
  std::vector<std::string> count_keys;
  for (int s = 0; s < kNumEdgeStates; ++s) {
    const auto state = static_cast<EdgeState>(s);
    if (HasState(states, state))
      count_keys.push_back(keys::CountKey(graph, direction, user, state));
  }
  std::vector<rocksdb::Slice> slices(count_keys.begin(), count_keys.end());
  std::vector<std::string> values;
  // One MultiGet reads all the counters at one consistent view.
  std::vector<rocksdb::Status> statuses = db_->MultiGet(rocksdb::ReadOptions(), slices, &values);
  int64_t total = 0;
  for (size_t i = 0; i < count_keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    RETURN_IF_ERROR(FromRocks(statuses[i]));
    int64_t count = 0;
    if (!keys::DecodeCount(values[i], &count) || count < 0) {
      return absl::DataLossError("graph: malformed or negative edge count");
    }
    total += count;
  }
  return static_cast<uint64_t>(total);
}

absl::StatusOr<std::vector<bool>> GraphStoreImpl::Contains(GraphId graph, UserId source,
                                                           absl::Span<const UserId> destinations) {
  ASSIGN_OR_RETURN(Elements found,
                   ProbeTerm(nullptr, QueryTerm{graph, source, Direction::kForward}, destinations));
  return NormalOf(found);
}

absl::StatusOr<std::vector<bool>> GraphStoreImpl::SourcesContain(GraphId graph,
                                                                 absl::Span<const UserId> sources,
                                                                 UserId destination) {
  // Many sources (a delivery's recipients, checked against its author): the
  // destination's backward list holds the same edges (an edge's element entry and its
  // list keys are written in one batch), and reading it in order, or from the follower
  // cache, costs far less per entry than a point lookup does. The count only picks the
  // plan: if it cannot be read, the lookups answer.
  if (sources.size() >= kScanMinSources) {
    const absl::StatusOr<uint64_t> listed =
        Count(graph, destination, Direction::kBackward, kNormalOnly);
    if (listed.ok() && *listed <= sources.size() * kScanEntriesPerLookup) {
      absl::flat_hash_map<UserId, bool> listed_sources;
      listed_sources.reserve(sources.size());
      for (UserId source : sources) listed_sources.emplace(source, false);
      ASSIGN_OR_RETURN(const std::vector<UserId> list,
                       SelectAll(graph, destination, Direction::kBackward, kNormalOnly));
      for (UserId id : list) {
        if (auto it = listed_sources.find(id); it != listed_sources.end()) it->second = true;
      }
      std::vector<bool> normal(sources.size());
      for (size_t i = 0; i < sources.size(); ++i) normal[i] = listed_sources[sources[i]];
      return normal;
    }
  }
  std::vector<std::string> element_keys;
  element_keys.reserve(sources.size());
  for (UserId source : sources) {
    element_keys.push_back(keys::ForwardElementKey(graph, source, destination));
  }
  ASSIGN_OR_RETURN(Elements found, ReadElements(nullptr, element_keys));
  return NormalOf(found);
}

absl::Status GraphStoreImpl::Compact() {
  RETURN_IF_ERROR(FromRocks(db_->Flush(rocksdb::FlushOptions())));
  rocksdb::CompactRangeOptions options;
  options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return FromRocks(db_->CompactRange(options, nullptr, nullptr));
}

absl::StatusOr<LogOffset> GraphStoreImpl::CommittedOffset() {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), keys::CommittedOffsetKey(), &value);
  if (s.IsNotFound()) return LogOffset{0};
  RETURN_IF_ERROR(FromRocks(s));
  if (value.size() != 8) return absl::DataLossError("graph: malformed committed offset");
  return DecodeFixed64(value.data());
}

// Not synced: the WAL keeps writes in order, so after a crash a recovered offset
// implies the edge writes before it were recovered too, and the pipeline replays the
// rest from the log.
absl::Status GraphStoreImpl::SetCommittedOffset(LogOffset offset) {
  std::string value;
  PutFixed64(&value, offset);
  return FromRocks(guard_.Run(
      [&] { return db_->Put(rocksdb::WriteOptions(), keys::CommittedOffsetKey(), value); }));
}

}  // namespace roost::graph
