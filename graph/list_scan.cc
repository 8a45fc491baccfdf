#include "graph/list_scan.h"

#include <utility>

#include "common/rocks_status.h"

namespace roost::graph {

ListScanner::ListScanner(rocksdb::DB* db, const rocksdb::Snapshot* snapshot, GraphId graph,
                         Direction direction, UserId user, EdgeState state, uint64_t before)
    : upper_bound_(keys::PrefixSuccessor(keys::ListPrefix(graph, direction, user, state))),
      upper_bound_slice_(upper_bound_) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  options.iterate_upper_bound = &upper_bound_slice_;
  iter_.reset(db->NewIterator(options));
  iter_->Seek(before == 0 ? keys::ListPrefix(graph, direction, user, state)
                          : keys::ListSeekKey(graph, direction, user, state, before));
  Load();
}

void ListScanner::Next() {
  iter_->Next();
  Load();
}

void ListScanner::Load() {
  valid_ = false;
  if (!iter_->Valid()) {
    status_ = FromRocks(iter_->status());
    return;
  }
  const rocksdb::Slice key = iter_->key();
  if (!keys::ParseListKey(absl::string_view(key.data(), key.size()), &entry_)) {
    status_ = absl::DataLossError("graph: malformed list key");
    return;
  }
  valid_ = true;
}

void ListMerger::Add(std::unique_ptr<ListScanner> scanner) {
  scanners_.push_back(std::move(scanner));
  PickNewest();
}

void ListMerger::Next() {
  scanners_[current_]->Next();
  PickNewest();
}

// A linear pick is fine: there are at most 8 query terms or 4 states.
void ListMerger::PickNewest() {
  current_ = -1;
  for (size_t i = 0; i < scanners_.size(); ++i) {
    if (!scanners_[i]->Valid()) continue;
    if (current_ < 0 || scanners_[i]->position() > scanners_[current_]->position()) {
      current_ = static_cast<int>(i);
    }
  }
}

absl::Status ListMerger::status() const {
  for (const auto& scanner : scanners_) {
    if (!scanner->status().ok()) return scanner->status();
  }
  return absl::OkStatus();
}

}  // namespace roost::graph
