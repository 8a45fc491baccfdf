// MemoryLog: a Log (log/log.h) kept in memory, for tests of the code above the
// log's interface. Its records live in a shared MemoryLog::Records, so a test can
// "reopen" the log by opening a new MemoryLog on the same records. Appends are
// acknowledged at once, on the caller's thread.
#ifndef ROOST_TESTS_LOG_MEMORY_LOG_H_
#define ROOST_TESTS_LOG_MEMORY_LOG_H_

#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "log/log.h"

namespace roost::log::testing {

class MemoryLog final : public Log {
 public:
  // What survives a MemoryLog: its records and its first offset.
  struct Records {
    absl::Mutex mu;
    absl::CondVar appended;  // signalled on every append and on Close
    std::deque<std::string> payloads ABSL_GUARDED_BY(mu);
    LogOffset first = 1 ABSL_GUARDED_BY(mu);  // the offset of payloads.front()
    uint64_t bytes ABSL_GUARDED_BY(mu) = 0;   // of all payloads
  };

  explicit MemoryLog(std::shared_ptr<Records> records = std::make_shared<Records>())
      : records_(std::move(records)) {}
  ~MemoryLog() override { Close(); }

  void AppendAsync(std::string record, AppendCallback done) override;
  absl::StatusOr<LogOffset> Append(std::string record) override;
  LogOffset durable_offset() const override;
  LogOffset first_offset() const override;
  LogOffset WaitForDurable(LogOffset offset, absl::Time deadline) const override;
  absl::StatusOr<std::unique_ptr<LogReader>> NewReader(LogOffset start) override;
  absl::StatusOr<LogOffset> TruncateBefore(LogOffset offset) override;
  absl::StatusOr<LogOffset> ApplyRetention(const RetentionPolicy& policy,
                                           LogOffset protect_from) override;
  void Close() override;

  // Whether Close has run; a reader at the end then stops waiting.
  bool closed() const;

 private:
  class Reader;

  const std::shared_ptr<Records> records_;
  bool closed_ ABSL_GUARDED_BY(records_->mu) = false;
};

}  // namespace roost::log::testing

#endif  // ROOST_TESTS_LOG_MEMORY_LOG_H_
