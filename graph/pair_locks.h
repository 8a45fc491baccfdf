// Striped locks over edge pairs. Deciding a write (read the element entry, compare by
// last-write-wins, write the batch) must not interleave with another write to the same
// pair, or one of them could be decided against a stale entry and the counts would
// drift. Pairs hash onto a fixed set of mutexes; a batch locks the stripes of all its
// pairs in ascending order, so two batches never deadlock.
#ifndef ROOST_GRAPH_PAIR_LOCKS_H_
#define ROOST_GRAPH_PAIR_LOCKS_H_

#include <algorithm>
#include <cstddef>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "graph/graph_store.h"

namespace roost::graph {

class PairLocks {
 public:
  // Holds a set of stripes until destroyed. The analysis cannot follow a dynamic set
  // of mutexes, hence the opt-outs; correctness rests on the sorted acquisition.
  class Held {
   public:
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    Held(Held&& other) noexcept = default;
    ~Held() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      for (auto it = locked_.rbegin(); it != locked_.rend(); ++it) (*it)->Unlock();
    }

   private:
    friend class PairLocks;
    Held() = default;
    std::vector<absl::Mutex*> locked_;
  };

  // Locks the stripes of every pair written by `writes`.
  Held Lock(absl::Span<const EdgeWrite> writes) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    std::vector<size_t> stripes;
    stripes.reserve(writes.size());
    for (const EdgeWrite& w : writes) {
      stripes.push_back(absl::HashOf(w.graph, w.source, w.destination) % kStripes);
    }
    std::sort(stripes.begin(), stripes.end());
    stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
    Held held;
    held.locked_.reserve(stripes.size());
    for (size_t s : stripes) {
      mutexes_[s].Lock();
      held.locked_.push_back(&mutexes_[s]);
    }
    return held;
  }

 private:
  static constexpr size_t kStripes = 256;
  absl::Mutex mutexes_[kStripes];
};

}  // namespace roost::graph

#endif  // ROOST_GRAPH_PAIR_LOCKS_H_
