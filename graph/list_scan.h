// Reading edge lists newest first: one list (ListScanner) and several lists merged by
// position (ListMerger); a reader fills a page from them (page_builder.h).
#ifndef ROOST_GRAPH_LIST_SCAN_H_
#define ROOST_GRAPH_LIST_SCAN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/types.h"
#include "graph/edge.h"
#include "graph/graph_keys.h"
#include "graph/graph_store.h"
#include "graph/page_builder.h"
#include "rocksdb/db.h"

namespace roost::graph {

// Iterates the list (graph, direction, user, state) newest first, over positions
// strictly below `before` (0: from the newest). `snapshot` may be null (the iterator's
// implicit snapshot is used); `db` and `snapshot` must outlive the scanner.
// Not movable: the RocksDB iterator points at the upper bound it owns.
class ListScanner {
 public:
  ListScanner(rocksdb::DB* db, const rocksdb::Snapshot* snapshot, GraphId graph,
              Direction direction, UserId user, EdgeState state, uint64_t before);
  ListScanner(const ListScanner&) = delete;
  ListScanner& operator=(const ListScanner&) = delete;

  // False at the end of the list or after an error (see status()).
  bool Valid() const { return valid_; }
  // REQUIRES: Valid().
  uint64_t position() const { return entry_.position; }
  UserId other() const { return entry_.other; }
  void Next();
  absl::Status status() const { return status_; }

 private:
  void Load();

  std::string upper_bound_;
  rocksdb::Slice upper_bound_slice_;
  std::unique_ptr<rocksdb::Iterator> iter_;  // declared last: destroyed first
  keys::ParsedListKey entry_;
  bool valid_ = false;
  absl::Status status_;
};

// Merges scanners into one stream, newest first; equal positions come out in the
// order the scanners were added.
class ListMerger {
 public:
  void Add(std::unique_ptr<ListScanner> scanner);

  bool Valid() const { return current_ >= 0; }
  // REQUIRES: Valid().
  uint64_t position() const { return scanners_[current_]->position(); }
  UserId other() const { return scanners_[current_]->other(); }
  // Which scanner (in Add order) the current entry came from.
  size_t source() const { return static_cast<size_t>(current_); }
  void Next();
  // The first error of any scanner.
  absl::Status status() const;

 private:
  void PickNewest();

  std::vector<std::unique_ptr<ListScanner>> scanners_;
  int current_ = -1;
};

}  // namespace roost::graph

#endif  // ROOST_GRAPH_LIST_SCAN_H_
