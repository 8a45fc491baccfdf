// PageBuilder: fills a page of at most `limit` ids read newest first, wherever they
// come from (one store's lists, or the partitions of a cluster). One id past the limit
// is offered as a look-ahead, so that next_cursor is 0 exactly when nothing follows.
#ifndef ROOST_GRAPH_PAGE_BUILDER_H_
#define ROOST_GRAPH_PAGE_BUILDER_H_

#include <cstddef>
#include <cstdint>
#include <utility>

#include "common/types.h"
#include "graph/graph_store.h"

namespace roost::graph {

class PageBuilder {
 public:
  explicit PageBuilder(size_t limit) : limit_(limit) {}

  // True once the look-ahead has been offered: stop adding.
  bool full() const { return more_; }
  void Add(UserId id, uint64_t position) {
    if (page_.ids.size() < limit_) {
      page_.ids.push_back(id);
      page_.positions.push_back(position);
      last_position_ = position;
    } else {
      more_ = true;
    }
  }
  Page Finish() && {
    page_.next_cursor = more_ ? static_cast<int64_t>(last_position_) : 0;
    return std::move(page_);
  }

 private:
  size_t limit_;
  Page page_;
  uint64_t last_position_ = 0;
  bool more_ = false;
};

}  // namespace roost::graph

#endif  // ROOST_GRAPH_PAGE_BUILDER_H_
