// ThreadPool runs closures on a fixed set of threads, in the order they were scheduled
// (FIFO across the pool). For work that must leave a latency-sensitive thread, e.g.
// reads that waited for a log position.
//
// Thread-safe. The destructor runs everything already scheduled, then joins.
#ifndef ROOST_COMMON_THREAD_POOL_H_
#define ROOST_COMMON_THREAD_POOL_H_

#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace roost {

class ThreadPool {
 public:
  // `name` names the pool's threads (thread_name.h).
  ThreadPool(int threads, absl::string_view name);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Schedule(absl::AnyInvocable<void()> work) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop(const std::string& name);

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace roost

#endif  // ROOST_COMMON_THREAD_POOL_H_
