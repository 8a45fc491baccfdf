// Whole-store consistency checks (VerifyCounts, VerifyIndexes).
#include <memory>
#include <string>

#include "common/coding.h"
#include "common/rocks_status.h"
#include "common/status_macros.h"
#include "graph/graph_store_impl.h"

namespace roost::graph {
namespace {

// Iterates every key that starts with one tag byte, at a snapshot.
class TagScan {
 public:
  TagScan(rocksdb::DB* db, const rocksdb::Snapshot* snapshot, char tag)
      : upper_bound_(keys::PrefixSuccessor(std::string(1, tag))), upper_bound_slice_(upper_bound_) {
    rocksdb::ReadOptions options;
    options.snapshot = snapshot;
    options.iterate_upper_bound = &upper_bound_slice_;
    // A full scan would only evict the serving working set.
    options.fill_cache = false;
    iter_.reset(db->NewIterator(options));
    iter_->Seek(std::string(1, tag));
  }
  TagScan(const TagScan&) = delete;
  TagScan& operator=(const TagScan&) = delete;

  rocksdb::Iterator* operator->() { return iter_.get(); }
  absl::string_view key() const { return {iter_->key().data(), iter_->key().size()}; }
  absl::string_view value() const { return {iter_->value().data(), iter_->value().size()}; }

 private:
  std::string upper_bound_;
  rocksdb::Slice upper_bound_slice_;
  std::unique_ptr<rocksdb::Iterator> iter_;
};

// The part of a list or count key that names a counter: graph dir user state.
absl::string_view CounterName(absl::string_view key) {
  return key.substr(1, keys::kCountKeySize - 1);
}

}  // namespace

// A merge join: list keys sorted by (graph, dir, user, state, ...) form runs, one per
// counter, in the same order as the count keys, so one pass over each range compares
// them with constant memory.
absl::StatusOr<uint64_t> GraphStoreImpl::VerifyCounts() {
  rocksdb::ManagedSnapshot snapshot(db_.get());
  TagScan lists(db_.get(), snapshot.snapshot(), keys::kListTag);
  TagScan counts(db_.get(), snapshot.snapshot(), keys::kCountTag);
  uint64_t mismatches = 0;
  std::string run;  // the counter of the current run of list keys
  int64_t run_length = 0;
  auto next_run = [&]() -> bool {
    if (!lists->Valid()) return false;
    run = std::string(CounterName(lists.key()));
    run_length = 0;
    while (lists->Valid() && CounterName(lists.key()) == run) {
      ++run_length;
      lists->Next();
    }
    return true;
  };
  bool have_run = next_run();
  while (have_run || counts->Valid()) {
    int64_t stored = 0;
    if (counts->Valid() && !keys::DecodeCount(counts.value(), &stored)) {
      return absl::DataLossError("graph verify: malformed count");
    }
    const int order = !have_run ? 1
                      : !counts->Valid()
                          ? -1
                          : absl::string_view(run).compare(CounterName(counts.key()));
    if (order < 0) {  // lists without a counter
      ++mismatches;
      have_run = next_run();
    } else if (order > 0) {  // a counter without lists must be 0
      if (stored != 0) ++mismatches;
      counts->Next();
    } else {
      if (stored != run_length) ++mismatches;
      have_run = next_run();
      counts->Next();
    }
  }
  RETURN_IF_ERROR(FromRocks(lists->status()));
  RETURN_IF_ERROR(FromRocks(counts->status()));
  return mismatches;
}

// Every element entry must have its two list keys, forward and backward; there must
// be exactly two list keys per element entry, which with the first check rules out
// list keys without an element.
absl::StatusOr<uint64_t> GraphStoreImpl::VerifyIndexes() {
  rocksdb::ManagedSnapshot snapshot(db_.get());
  rocksdb::ReadOptions options;
  options.snapshot = snapshot.snapshot();
  options.fill_cache = false;
  std::string unused;
  auto exists = [&](const std::string& key) -> absl::StatusOr<bool> {
    rocksdb::Status s = db_->Get(options, key, &unused);
    if (s.IsNotFound()) return false;
    RETURN_IF_ERROR(FromRocks(s));
    return true;
  };

  uint64_t problems = 0;
  uint64_t elements = 0;
  TagScan scan(db_.get(), snapshot.snapshot(), keys::kElementTag);
  for (; scan->Valid(); scan->Next()) {
    ++elements;
    const absl::string_view key = scan.key();
    keys::ElementValue value;
    if (key.size() != keys::kElementKeySize || !keys::DecodeElementValue(scan.value(), &value)) {
      ++problems;
      continue;
    }
    Edge edge;
    edge.graph = static_cast<GraphId>(key[1]);
    edge.source = DecodeBigEndian64(key.data() + 2);
    edge.destination = DecodeBigEndian64(key.data() + 10);
    edge.state = value.state;
    edge.position = value.position;
    for (const std::string& list_key : {keys::ForwardListKey(edge), keys::BackwardListKey(edge)}) {
      ASSIGN_OR_RETURN(bool has_list, exists(list_key));
      if (!has_list) ++problems;
    }
  }
  RETURN_IF_ERROR(FromRocks(scan->status()));

  uint64_t list_keys = 0;
  TagScan lists(db_.get(), snapshot.snapshot(), keys::kListTag);
  for (; lists->Valid(); lists->Next()) ++list_keys;
  RETURN_IF_ERROR(FromRocks(lists->status()));
  const uint64_t expected = 2 * elements;
  problems += list_keys > expected ? list_keys - expected : expected - list_keys;
  return problems;
}

}  // namespace roost::graph
