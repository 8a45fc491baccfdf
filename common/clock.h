// Clock abstracts wall time so tests can control it. Implementations are thread-safe.
#ifndef ROOST_COMMON_CLOCK_H_
#define ROOST_COMMON_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace roost {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() const = 0;

  // The process-wide real clock. Never deleted.
  static Clock* Real();
};

// A clock that only moves when told to; for tests.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(std::memory_order_relaxed); }
  void Set(int64_t now_ms) { now_ms_.store(now_ms, std::memory_order_relaxed); }
  void Advance(int64_t ms) { now_ms_.fetch_add(ms, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace roost

#endif  // ROOST_COMMON_CLOCK_H_
