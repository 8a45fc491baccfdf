#include "tests/log/memory_log.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "log/log_format.h"
#include "log/log_reader.h"

namespace roost::log::testing {

class MemoryLog::Reader final : public LogReader {
 public:
  Reader(const MemoryLog* log, LogOffset start) : log_(log), next_(start) {}

  absl::Status ReadBatch(size_t max_records, absl::Time deadline,
                         std::vector<LogRecord>* out) override {
    Records& r = *log_->records_;
    absl::MutexLock lock(&r.mu);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(r.mu) {
      return next_ < r.first + r.payloads.size() || log_->closed_;
    };
    while (!ready() && !r.appended.WaitWithDeadline(&r.mu, deadline)) {
    }
    next_ = std::max(next_, r.first);
    const LogOffset end = r.first + r.payloads.size();
    if (next_ == end && log_->closed_) return absl::UnavailableError("the log is closed");
    for (size_t n = 0; n < max_records && next_ < end; ++n, ++next_) {
      out->push_back(LogRecord{next_, r.payloads[next_ - r.first]});
    }
    return absl::OkStatus();
  }

  LogOffset next_offset() const override { return next_; }

 private:
  const MemoryLog* const log_;
  LogOffset next_;
};

void MemoryLog::AppendAsync(std::string record, AppendCallback done) {
  done(Append(std::move(record)));
}

absl::StatusOr<LogOffset> MemoryLog::Append(std::string record) {
  if (record.size() > kMaxPayloadBytes) {
    return absl::InvalidArgumentError(absl::StrCat("record of ", record.size(), " bytes"));
  }
  absl::MutexLock lock(&records_->mu);
  if (closed_) return absl::UnavailableError("the log is closed");
  records_->bytes += record.size();
  records_->payloads.push_back(std::move(record));
  records_->appended.SignalAll();
  return records_->first + records_->payloads.size() - 1;
}

LogOffset MemoryLog::durable_offset() const {
  absl::MutexLock lock(&records_->mu);
  return records_->first + records_->payloads.size() - 1;
}

LogOffset MemoryLog::first_offset() const {
  absl::MutexLock lock(&records_->mu);
  return records_->first;
}

LogOffset MemoryLog::WaitForDurable(LogOffset offset, absl::Time deadline) const {
  Records& r = *records_;
  absl::MutexLock lock(&r.mu);
  while (r.first + r.payloads.size() - 1 < offset &&
         !r.appended.WaitWithDeadline(&r.mu, deadline)) {
  }
  return r.first + r.payloads.size() - 1;
}

absl::StatusOr<std::unique_ptr<LogReader>> MemoryLog::NewReader(LogOffset start) {
  const LogOffset end = durable_offset();
  if (start > end + 1) {
    return absl::OutOfRangeError(absl::StrCat("offset ", start, " is past ", end + 1));
  }
  return std::make_unique<Reader>(this, std::max(start, first_offset()));
}

absl::StatusOr<LogOffset> MemoryLog::TruncateBefore(LogOffset offset) {
  Records& r = *records_;
  absl::MutexLock lock(&r.mu);
  // Like the segmented log, the newest record always stays.
  while (r.payloads.size() > 1 && r.first < offset) {
    r.bytes -= r.payloads.front().size();
    r.payloads.pop_front();
    ++r.first;
  }
  return r.first;
}

absl::StatusOr<LogOffset> MemoryLog::ApplyRetention(const RetentionPolicy& policy,
                                                    LogOffset protect_from) {
  Records& r = *records_;
  absl::MutexLock lock(&r.mu);
  // Records carry no time here, so only the byte limit applies.
  while (policy.max_bytes != 0 && r.bytes > policy.max_bytes && r.payloads.size() > 1 &&
         r.first < protect_from) {
    r.bytes -= r.payloads.front().size();
    r.payloads.pop_front();
    ++r.first;
  }
  return r.first;
}

void MemoryLog::Close() {
  absl::MutexLock lock(&records_->mu);
  closed_ = true;
  records_->appended.SignalAll();
}

bool MemoryLog::closed() const {
  absl::MutexLock lock(&records_->mu);
  return closed_;
}

}  // namespace roost::log::testing
