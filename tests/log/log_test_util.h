// Helpers shared by the log's tests: a fresh directory per test, whole-log reads, raw
// file edits, and FaultEnv, an Env that injects failed writes, failed syncs and held
// syncs on top of the real file system.
#ifndef ROOST_TESTS_LOG_LOG_TEST_UTIL_H_
#define ROOST_TESTS_LOG_LOG_TEST_UTIL_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "gtest/gtest.h"
#include "log/env.h"
#include "log/log_reader.h"
#include "log/segmented_log.h"

#define ASSERT_OK(expr)                                             \
  do {                                                              \
    const ::absl::Status _roost_assert_status = (expr);             \
    ASSERT_TRUE(_roost_assert_status.ok()) << _roost_assert_status; \
  } while (0)

// ASSERT_OK_AND_ASSIGN(auto x, MakeX()); fails the test on an error status.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(ROOST_CONCAT_(_roost_assert_or_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                               \
  ASSERT_TRUE(statusor.ok()) << statusor.status();      \
  lhs = std::move(statusor).value()

namespace roost::log::testing {

// A fresh, empty directory named after the running test, removed on destruction.
class TestDir {
 public:
  TestDir();
  ~TestDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The segmented log in `dir` without syncs (a test's appends need not survive a power
// cut), for the tests of what reads it.
inline std::unique_ptr<Log> OpenUnsyncedLog(const std::string& dir) {
  SegmentedLogOptions options;
  options.sync = SyncPolicy::kNone;
  absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir, options);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : nullptr;
}

// The payload tests append as record i.
std::string Payload(uint64_t i);

// Every durable record from `start` on, read with a fresh reader without waiting.
absl::StatusOr<std::vector<LogRecord>> ReadAll(Log& log, LogOffset start = 1);

// The segment file names in `dir`, sorted.
std::vector<std::string> SegmentFiles(const std::string& dir);
std::string ReadFileBytes(const std::string& path);
void AppendFileBytes(const std::string& path, const std::string& bytes);
void WriteFileBytes(const std::string& path, const std::string& bytes);

// Wraps another Env (the POSIX one by default) and injects faults into the files it
// opens for writing. Each fail_* counter is how many upcoming calls fail.
class FaultEnv : public Env {
 public:
  explicit FaultEnv(Env* base = Env::Default()) : base_(base) {}

  std::atomic<int> fail_syncs{0};    // WritableFile::Sync fails (as fdatasync's EIO)
  std::atomic<int> fail_appends{0};  // WritableFile::Append writes half, then fails
  std::atomic<int> fail_creates{0};  // NewWritableFile fails
  std::atomic<int> fail_reads{0};    // RandomAccessFile::Read fails (as pread's EIO)
  // While set, every RandomAccessFile::Read fails (a device gone for a while).
  std::atomic<bool> reads_broken{false};
  std::atomic<absl::StatusCode> append_error{absl::StatusCode::kUnavailable};
  std::atomic<int> syncs{0};  // WritableFile::Sync calls that succeeded

  // While held, every WritableFile::Sync blocks, so a test can queue appends behind a
  // batch that is written but not yet durable.
  void HoldSyncs();
  void ReleaseSyncs();
  // Blocks until a Sync is blocked by HoldSyncs.
  void AwaitHeldSync();

  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_->ListDir(dir);
  }
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override {
    return base_->FileSize(path);
  }
  absl::StatusOr<absl::Time> ModifiedTime(const std::string& path) override {
    return base_->ModifiedTime(path);
  }
  absl::Status Truncate(const std::string& path, uint64_t size) override {
    return base_->Truncate(path, size);
  }
  absl::Status DeleteFile(const std::string& path) override { return base_->DeleteFile(path); }
  absl::Status CreateDirs(const std::string& dir) override { return base_->CreateDirs(dir); }
  absl::Status SyncDir(const std::string& dir) override { return base_->SyncDir(dir); }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }

 private:
  class FaultFile;
  friend class FaultFile;
  class FaultReadFile;
  friend class FaultReadFile;

  // Consumes one fault from `counter`; false when none is left.
  static bool TakeFault(std::atomic<int>& counter);
  void WaitWhileHeld();

  Env* const base_;
  absl::Mutex mu_;
  bool hold_syncs_ ABSL_GUARDED_BY(mu_) = false;
  int held_syncs_ ABSL_GUARDED_BY(mu_) = 0;
};

// A test with a fresh directory and a FaultEnv to open logs over.
class FaultEnvLogTest : public ::testing::Test {
 protected:
  // Opens log_ in dir_ with `options`, over env_.
  void OpenLog(SegmentedLogOptions options = {});

  TestDir dir_;
  FaultEnv env_;
  std::unique_ptr<Log> log_;
};

}  // namespace roost::log::testing

#endif  // ROOST_TESTS_LOG_LOG_TEST_UTIL_H_
