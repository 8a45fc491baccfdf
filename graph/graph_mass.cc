// Mass updates (FlockDB's archive, unarchive and remove-all of a user's edges): the
// sliced scan that carries them out, the per-pair form that keeps them ordered with
// newer writes, and the records of pending ones.
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/coding.h"
#include "common/rocks_status.h"
#include "common/status_macros.h"
#include "graph/graph_store_impl.h"

namespace roost::graph {
namespace {

// Edges per WriteBatch: bounds the batch (and the stripes held) for a user with
// millions of edges.
constexpr size_t kMassUpdateBatch = 1000;
constexpr int kMassLists = 2 * kNumEdgeStates;
constexpr size_t kMassJobValueSize = 19;  // graph user(8) from to updated_at(8)

absl::Status ValidateMassSpec(const MassSpec& spec) {
  if (spec.graph == 0 || spec.user == 0) {
    return absl::InvalidArgumentError("graph mass update: graph and user must be set");
  }
  RETURN_IF_ERROR(ValidateStates(spec.from));
  if (!keys::IsValidState(static_cast<uint8_t>(spec.to))) {
    return absl::InvalidArgumentError("graph mass update: unknown target state");
  }
  return absl::OkStatus();
}

// The write that moves one edge of the update; its position is ignored (ApplyLocked
// keeps the stored one for mass writes).
EdgeWrite MassWrite(const MassSpec& spec, UserId source, UserId destination) {
  return EdgeWrite{spec.graph, source, destination, spec.to, spec.updated_at, 1};
}

// 'J' offset(8) owner(4): pending jobs iterate in offset order.
std::string MassJobKey(const MassJob& job) {
  std::string key(1, keys::kJobTag);
  PutBigEndian64(&key, job.offset);
  PutBigEndian32(&key, job.owner);
  return key;
}

std::string EncodeMassJob(const MassJob& job) {
  std::string value;
  value.push_back(static_cast<char>(job.spec.graph));
  PutFixed64(&value, job.spec.user);
  value.push_back(static_cast<char>(job.spec.from));
  value.push_back(static_cast<char>(job.spec.to));
  PutFixed64(&value, job.spec.updated_at);
  return value;
}

absl::StatusOr<MassJob> DecodeMassJob(const rocksdb::Slice& key, const rocksdb::Slice& value) {
  MassJob job;
  if (key.size() != 13 || value.size() != kMassJobValueSize) {
    return absl::DataLossError("graph: malformed mass job record");
  }
  job.offset = DecodeBigEndian64(key.data() + 1);
  job.owner = DecodeBigEndian32(key.data() + 9);
  job.spec.graph = static_cast<GraphId>(value[0]);
  job.spec.user = DecodeFixed64(value.data() + 1);
  job.spec.from = static_cast<StateMask>(value[9]);
  job.spec.to = static_cast<EdgeState>(value[10]);
  job.spec.updated_at = DecodeFixed64(value.data() + 11);
  if (!ValidateMassSpec(job.spec).ok()) {
    return absl::DataLossError("graph: malformed mass job record");
  }
  return job;
}

}  // namespace

absl::StatusOr<bool> GraphStoreImpl::MassUpdateSlice(const MassSpec& spec,
                                                     const SourceFilter& only_sources,
                                                     size_t max_edges, MassCursor* cursor,
                                                     const ChangeSink& on_changes) {
  RETURN_IF_ERROR(ValidateMassSpec(spec));
  // `at` runs ahead of *cursor by the entries staged in `chunk`; the cursor moves
  // only once they are committed.
  MassCursor at = *cursor;
  std::vector<EdgeWrite> chunk;
  chunk.reserve(std::min(max_edges, kMassUpdateBatch));
  auto flush = [&]() -> absl::Status {
    if (!chunk.empty()) {
      std::vector<EdgeChange> applied;
      {
        PairLocks::Held held = locks_.Lock(chunk);
        ASSIGN_OR_RETURN(applied, ApplyLocked(chunk, spec.from));
      }
      if (!applied.empty() && on_changes != nullptr) on_changes(applied);
      chunk.clear();
    }
    *cursor = at;
    return absl::OkStatus();
  };
  size_t handled = 0;
  for (; at.list < kMassLists; ++at.list, at.position = 0, at.other = 0) {
    const Direction direction =
        at.list < kNumEdgeStates ? Direction::kForward : Direction::kBackward;
    const auto state = static_cast<EdgeState>(at.list % kNumEdgeStates);
    if (!HasState(spec.from, state)) continue;
    // The lists as they are now, not at the snapshot of an earlier slice: entries
    // already moved have left the list, and the scan resumes after the last entry
    // handled (lists order by position, newest first, then by id).
    ListScanner scan(db_.get(), nullptr, spec.graph, direction, spec.user, state,
                     at.position == 0 ? 0 : at.position + 1);
    for (; scan.Valid(); scan.Next()) {
      if (scan.position() == at.position && scan.other() <= at.other) continue;
      if (handled == max_edges) {
        RETURN_IF_ERROR(flush());
        return false;
      }
      ++handled;
      at.position = scan.position();
      at.other = scan.other();
      const bool forward = direction == Direction::kForward;
      const UserId source = forward ? spec.user : scan.other();
      if (only_sources != nullptr && !only_sources(source)) continue;
      chunk.push_back(MassWrite(spec, source, forward ? scan.other() : spec.user));
      if (chunk.size() == kMassUpdateBatch) RETURN_IF_ERROR(flush());
    }
    RETURN_IF_ERROR(scan.status());
    RETURN_IF_ERROR(flush());
  }
  *cursor = at;
  return true;
}

absl::StatusOr<std::vector<EdgeChange>> GraphStoreImpl::MassUpdatePairs(
    const MassSpec& spec, absl::Span<const std::pair<UserId, UserId>> pairs) {
  RETURN_IF_ERROR(ValidateMassSpec(spec));
  std::vector<EdgeWrite> writes;
  writes.reserve(pairs.size());
  for (const auto& [source, destination] : pairs) {
    if (source != spec.user && destination != spec.user) {
      return absl::InvalidArgumentError(absl::StrCat("graph mass update: pair ", source, " -> ",
                                                     destination, " lacks user ", spec.user));
    }
    writes.push_back(MassWrite(spec, source, destination));
  }
  if (writes.empty()) return std::vector<EdgeChange>();
  PairLocks::Held held = locks_.Lock(writes);
  return ApplyLocked(writes, spec.from);
}

absl::Status GraphStoreImpl::RecordMassJob(const MassJob& job) {
  RETURN_IF_ERROR(ValidateMassSpec(job.spec));
  return FromRocks(guard_.Run(
      [&] { return db_->Put(rocksdb::WriteOptions(), MassJobKey(job), EncodeMassJob(job)); }));
}

absl::StatusOr<std::vector<MassJob>> GraphStoreImpl::PendingMassJobs() {
  const std::string begin(1, keys::kJobTag);
  const std::string end = keys::PrefixSuccessor(begin);
  rocksdb::Slice end_slice(end);
  rocksdb::ReadOptions options;
  options.iterate_upper_bound = &end_slice;
  std::unique_ptr<rocksdb::Iterator> iter(db_->NewIterator(options));
  std::vector<MassJob> jobs;
  for (iter->Seek(begin); iter->Valid(); iter->Next()) {
    ASSIGN_OR_RETURN(MassJob job, DecodeMassJob(iter->key(), iter->value()));
    jobs.push_back(job);
  }
  RETURN_IF_ERROR(FromRocks(iter->status()));
  return jobs;
}

absl::Status GraphStoreImpl::FinishMassJob(const MassJob& job) {
  return FromRocks(
      guard_.Run([&] { return db_->Delete(rocksdb::WriteOptions(), MassJobKey(job)); }));
}

}  // namespace roost::graph
