// OpenSegmentedLog and the group-commit writer. One thread owns the tail segment: it takes
// every queued append at once, frames the batch with dense offsets, writes it with one
// Append, makes it durable with one fdatasync (per the sync policy), publishes the new
// durable offset to readers and only then runs the callbacks.
#include "log/segmented_log.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "log/log_format.h"
#include "log/log_reader_impl.h"
#include "log/segment_files.h"
#include "log/segment_list.h"

namespace roost::log {
namespace {

// A batch buffer grown by an unusually large batch is released rather than kept.
constexpr size_t kMaxRetainedBatchBytes = size_t{16} << 20;

// Callers see UNAVAILABLE ("retry later"), or RESOURCE_EXHAUSTED when the disk is
// full ("make room"), whatever the Env reported.
absl::Status AppendError(const absl::Status& cause) {
  if (cause.code() == absl::StatusCode::kResourceExhausted) return cause;
  return absl::UnavailableError(absl::StrCat("roost log write failed: ", cause.message()));
}

void Warn(absl::string_view what, const absl::Status& status) {
  absl::FPrintF(stderr, "roost log: %s: %s\n", what, status.ToString());
}

class SegmentedLog final : public Log {
 public:
  SegmentedLog(Env* env, std::string dir, const SegmentedLogOptions& options,
               std::unique_ptr<FileLock> lock, RecoveredLog recovered)
      : env_(env),
        dir_(std::move(dir)),
        options_(options),
        lock_(std::move(lock)),
        segments_(dir_, recovered.segments, recovered.durable_offset),
        tail_(std::move(recovered.tail)),
        tail_base_(recovered.segments.back().base),
        tail_bytes_(recovered.segments.back().durable_bytes),
        next_offset_(recovered.durable_offset + 1),
        epoch_(recovered.epoch) {
    writer_ = std::thread([this] { WriterLoop(); });
  }

  ~SegmentedLog() override { Close(); }

  void AppendAsync(std::string record, AppendCallback done) override;
  absl::StatusOr<LogOffset> Append(std::string record) override;

  LogOffset durable_offset() const override { return segments_.durable_offset(); }
  LogOffset first_offset() const override { return segments_.first_offset(); }
  LogOffset WaitForDurable(LogOffset offset, absl::Time deadline) const override {
    return segments_.WaitForDurable(offset, deadline);
  }

  absl::StatusOr<std::unique_ptr<LogReader>> NewReader(LogOffset start) override;
  absl::StatusOr<LogOffset> TruncateBefore(LogOffset offset) override;
  absl::StatusOr<LogOffset> ApplyRetention(const RetentionPolicy& policy,
                                           LogOffset protect_from) override;
  void Close() override;

 private:
  struct PendingAppend {
    std::string record;
    AppendCallback done;
  };

  void WriterLoop();
  // Writes, syncs and acknowledges (or fails) every append in *batch; clears it.
  void WriteBatch(std::vector<PendingAppend>* batch);
  // Makes the tail durable up to tail_bytes_. After a failure it first truncates what
  // the failed write or the unacknowledged batch left past tail_bytes_, so the file
  // never holds a partial or unacknowledged frame before later, acknowledged ones.
  absl::Status SyncTail();
  // Seals the tail and starts a segment at next_offset_.
  absl::Status RollSegment();

  Env* const env_;
  const std::string dir_;
  const SegmentedLogOptions options_;
  const std::unique_ptr<FileLock> lock_;  // held for the Log's lifetime
  SegmentList segments_;

  absl::Mutex mu_;
  absl::CondVar work_cv_;  // the writer waits here for appends and Close
  std::vector<PendingAppend> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  // Owned by the writer thread, the only one that touches the tail file, hence
  // unguarded. (Set before it starts; read after it is joined.)
  std::unique_ptr<WritableFile> tail_;
  LogOffset tail_base_;
  uint64_t tail_bytes_;  // the header and the acknowledged frames
  LogOffset next_offset_;
  const uint64_t epoch_;                   // this writer's, in every segment it creates
  absl::Time tail_created_ = absl::Now();  // Open gives every writer a new tail
  // kInterval: the tail holds acknowledged bytes that must be synced by next_sync_.
  bool unsynced_ = false;
  absl::Time next_sync_ = absl::InfiniteFuture();
  // A write or sync failed and SyncTail has not yet succeeded: nothing more may be
  // acknowledged.
  bool damaged_ = false;
  std::string frames_;  // the batch being written; reused for its capacity

  std::once_flag close_once_;
  std::thread writer_;
};

void SegmentedLog::AppendAsync(std::string record, AppendCallback done) {
  if (record.size() > kMaxPayloadBytes) {
    done(absl::InvalidArgumentError(absl::StrCat(
        "log record of ", record.size(), " bytes exceeds the limit of ", kMaxPayloadBytes)));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (!closed_) {
      queue_.push_back(PendingAppend{std::move(record), std::move(done)});
      // The writer sleeps only on an empty queue, so only the first append wakes it.
      if (queue_.size() == 1) work_cv_.Signal();
      return;
    }
  }
  done(absl::UnavailableError(absl::StrCat("roost log ", dir_, " is closed")));
}

absl::StatusOr<LogOffset> SegmentedLog::Append(std::string record) {
  absl::Notification done;
  absl::StatusOr<LogOffset> result;
  AppendAsync(std::move(record), [&result, &done](absl::StatusOr<LogOffset> offset) {
    result = std::move(offset);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

absl::StatusOr<std::unique_ptr<LogReader>> SegmentedLog::NewReader(LogOffset start) {
  start = std::max(start, first_offset());
  const LogOffset durable = durable_offset();
  if (start > durable + 1) {
    return absl::OutOfRangeError(absl::StrCat("cannot read roost log ", dir_, " from offset ",
                                              start, ": durable offset is ", durable));
  }
  return LogReaderImpl::Create(env_, &segments_, start);
}

absl::StatusOr<LogOffset> SegmentedLog::TruncateBefore(LogOffset offset) {
  // Removed from the list first, so no new reader opens a file being deleted.
  const std::vector<LogOffset> removed = segments_.RemoveBefore(offset);
  for (LogOffset base : removed) {
    const absl::Status deleted = env_->DeleteFile(SegmentFilePath(dir_, base));
    // A file left behind is only disk space: the list no longer refers to it, and the
    // next Open re-lists what is there. Reported, not fatal.
    if (!deleted.ok()) Warn("deleting a segment past retention failed", deleted);
  }
  if (!removed.empty()) {
    absl::Status synced = env_->SyncDir(dir_);
    if (!synced.ok()) Warn("syncing the log directory after retention failed", synced);
  }
  return segments_.first_offset();
}

absl::StatusOr<LogOffset> SegmentedLog::ApplyRetention(const RetentionPolicy& policy,
                                                       LogOffset protect_from) {
  const std::vector<SegmentInfo> segments = segments_.Segments();
  uint64_t total = 0;
  for (const SegmentInfo& s : segments) total += s.durable_bytes;
  const absl::Time now = absl::Now();
  LogOffset cut = 0;  // delete the segments below this offset
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const LogOffset next = segments[i + 1].base;
    if (next > protect_from) break;  // holds a record not yet committed by every store
    bool expired = policy.max_bytes > 0 && total > policy.max_bytes;
    if (!expired && policy.max_age > absl::ZeroDuration()) {
      ASSIGN_OR_RETURN(const absl::Time modified,
                       env_->ModifiedTime(SegmentFilePath(dir_, segments[i].base)));
      expired = now - modified > policy.max_age;
    }
    if (!expired) break;
    total -= segments[i].durable_bytes;
    cut = next;
  }
  if (cut == 0) return segments_.first_offset();
  return TruncateBefore(cut);
}

void SegmentedLog::Close() {
  std::call_once(close_once_, [this] {
    {
      absl::MutexLock lock(&mu_);
      closed_ = true;
      work_cv_.Signal();
    }
    writer_.join();
    segments_.Close();
  });
}

void SegmentedLog::WriterLoop() {
  NameThisThread("roost-log");
  std::vector<PendingAppend> batch;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      while (queue_.empty() && !closed_) {
        if (!unsynced_) {
          work_cv_.Wait(&mu_);
        } else if (work_cv_.WaitWithDeadline(&mu_, next_sync_)) {
          break;  // the interval sync is due
        }
      }
      if (queue_.empty() && closed_) break;
      // At most kMaxBatchBytes of frames per write and sync (or one larger record):
      // recovery relies on it to tell a torn last batch from corruption.
      size_t bytes = 0, take = 0;
      while (take < queue_.size() &&
             (take == 0 || bytes + FrameSize(queue_[take].record.size()) <= kMaxBatchBytes)) {
        bytes += FrameSize(queue_[take++].record.size());
      }
      if (take == queue_.size()) {
        batch.swap(queue_);
      } else {
        std::move(queue_.begin(), queue_.begin() + take, std::back_inserter(batch));
        queue_.erase(queue_.begin(), queue_.begin() + take);
      }
    }
    if (!batch.empty()) WriteBatch(&batch);
    // A failure leaves unsynced_ set and moves next_sync_, so it is retried later;
    // meanwhile damaged_ fails new batches.
    if (unsynced_ && absl::Now() >= next_sync_) SyncTail().IgnoreError();
  }
  // Closing: what was acknowledged without a sync (kInterval) is synced now.
  if (unsynced_ || damaged_) {
    const absl::Status status = SyncTail();
    if (!status.ok()) Warn(absl::StrCat("final sync of ", dir_, " failed"), status);
  }
  const absl::Status status = tail_->Close();
  if (!status.ok()) Warn("closing the tail segment failed", status);
}

void SegmentedLog::WriteBatch(std::vector<PendingAppend>* batch) {
  absl::Status status;
  if (damaged_) status = SyncTail();
  // A segment is rolled only once it holds a record, so two never share a base.
  if (status.ok() && next_offset_ > tail_base_ &&
      (tail_bytes_ >= options_.segment_bytes ||
       (options_.segment_max_age > absl::ZeroDuration() &&
        absl::Now() - tail_created_ >= options_.segment_max_age))) {
    status = RollSegment();
  }
  if (status.ok()) {
    frames_.clear();
    LogOffset offset = next_offset_;
    for (const PendingAppend& append : *batch) AppendFrame(&frames_, offset++, append.record);
    status = tail_->Append(frames_);
    if (!status.ok()) damaged_ = true;  // part of the batch may have reached the file
  }
  if (status.ok() && options_.sync == SyncPolicy::kAlways) status = SyncTail();
  const size_t batch_bytes = frames_.size();
  if (frames_.capacity() > kMaxRetainedBatchBytes) std::string().swap(frames_);

  if (!status.ok()) {
    const absl::Status error = AppendError(status);
    for (PendingAppend& append : *batch) append.done(error);
    batch->clear();
    return;
  }
  const LogOffset first = next_offset_;
  next_offset_ += batch->size();
  tail_bytes_ += batch_bytes;
  if (options_.sync == SyncPolicy::kInterval && !unsynced_) {
    unsynced_ = true;
    next_sync_ = absl::Now() + options_.sync_interval;
  }
  // Published before the callbacks run, so that a caller holding its offset can read
  // the record (or wait for it) at once.
  segments_.Publish(next_offset_ - 1, tail_bytes_);
  for (size_t i = 0; i < batch->size(); ++i) (*batch)[i].done(first + i);
  batch->clear();
}

absl::Status SegmentedLog::SyncTail() {
  absl::Status status;
  if (damaged_) status = tail_->Truncate(tail_bytes_);
  if (status.ok() && options_.sync != SyncPolicy::kNone) status = tail_->Sync();
  damaged_ = !status.ok();
  if (status.ok()) {
    unsynced_ = false;
  } else if (unsynced_) {
    next_sync_ = absl::Now() + options_.sync_interval;
  }
  return status;
}

absl::Status SegmentedLog::RollSegment() {
  // Recovery scans only the tail, so a segment must be whole on disk, at its final
  // size (without the space the file reserved past its records), before the next one
  // exists.
  RETURN_IF_ERROR(tail_->Truncate(tail_bytes_));
  RETURN_IF_ERROR(SyncTail());
  ASSIGN_OR_RETURN(
      std::unique_ptr<WritableFile> next,
      CreateSegment(env_, dir_, next_offset_, options_.sync != SyncPolicy::kNone, epoch_));
  const absl::Status closed = tail_->Close();
  // The sealed segment's records are already written (and synced, unless kNone).
  if (!closed.ok()) Warn("closing a sealed segment failed", closed);
  tail_ = std::move(next);
  tail_base_ = next_offset_;
  tail_bytes_ = kSegmentHeaderSize;
  tail_created_ = absl::Now();
  segments_.AddSegment(SegmentInfo{tail_base_, tail_bytes_});
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SyncPolicy> ParseSyncPolicy(absl::string_view text) {
  if (text == "always") return SyncPolicy::kAlways;
  if (text == "interval") return SyncPolicy::kInterval;
  if (text == "none") return SyncPolicy::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown sync policy \"", text, "\" (want always, interval or none)"));
}

absl::StatusOr<RecoverMode> ParseRecoverMode(absl::string_view text) {
  if (text == "fail") return RecoverMode::kFail;
  if (text == "truncate") return RecoverMode::kTruncate;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log recovery mode \"", text, "\" (want fail or truncate)"));
}

absl::StatusOr<std::unique_ptr<Log>> OpenSegmentedLog(const std::string& dir,
                                                      const SegmentedLogOptions& options) {
  if (options.segment_bytes == 0) {
    return absl::InvalidArgumentError("SegmentedLogOptions.segment_bytes must be positive");
  }
  if (options.sync_interval < absl::ZeroDuration() ||
      options.segment_max_age < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "SegmentedLogOptions.sync_interval and segment_max_age must not be negative");
  }
  Env* const env = options.env != nullptr ? options.env : Env::Default();
  RETURN_IF_ERROR(env->CreateDirs(dir));
  ASSIGN_OR_RETURN(std::unique_ptr<FileLock> lock, env->LockFile(dir + "/LOCK"));
  ASSIGN_OR_RETURN(RecoveredLog recovered,
                   RecoverSegments(env, dir, options.sync != SyncPolicy::kNone, options.recover));
  return std::unique_ptr<Log>(
      new SegmentedLog(env, dir, options, std::move(lock), std::move(recovered)));
}

}  // namespace roost::log
