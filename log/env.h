// Env is the log's window on the file system, in the manner of LevelDB's Env, so that
// tests can inject short and torn writes, failed syncs and full disks. Default() is
// POSIX. Implementations are thread-safe; files are used by one thread at a time.
// Errors carry the path; ENOSPC and EDQUOT map to RESOURCE_EXHAUSTED, a missing file to
// NOT_FOUND, and I/O failures to UNAVAILABLE.
#ifndef ROOST_LOG_ENV_H_
#define ROOST_LOG_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace roost::log {

// The most space a WritableFile reserves past its last append.
inline constexpr uint64_t kMaxReservedBytes = uint64_t{2} << 20;

// A file opened for appending. It may reserve space past what was appended (the
// POSIX file does, as zeros, so that syncs need not commit a size change); a crash can
// leave that space in the file, while Truncate and Close remove it.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual absl::Status Append(absl::string_view data) = 0;
  // fdatasync.
  virtual absl::Status Sync() = 0;
  // Cuts the file to `size` bytes, dropping anything reserved; appends continue there.
  // Not synced.
  virtual absl::Status Truncate(uint64_t size) = 0;
  virtual absl::Status Close() = 0;
};

// A file read at arbitrary offsets.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at `offset` into scratch; *result points at what was read
  // (shorter at end of file).
  virtual absl::Status Read(uint64_t offset, size_t n, absl::string_view* result,
                            char* scratch) const = 0;
};

// A held lock on a file; released on destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;
  // The POSIX environment. Never deleted.
  static Env* Default();

  // Opens `path` for appending at its end, creating it (owner-only) if needed.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  // Creates `path` (owner-only), or empties it if it exists: a new segment must not
  // inherit bytes from an earlier, abandoned attempt to create it.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // The names (not paths) of the entries in `dir`, without "." and "..", unordered.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  // When the file's data last changed (its mtime): for age-based retention.
  virtual absl::StatusOr<absl::Time> ModifiedTime(const std::string& path) = 0;
  // For a file no WritableFile has open: one that has keeps writing where it believes
  // the end is (use WritableFile::Truncate).
  virtual absl::Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual absl::Status DeleteFile(const std::string& path) = 0;
  // Creates the directory (and parents) with owner-only permissions; OK if it exists.
  virtual absl::Status CreateDirs(const std::string& dir) = 0;
  // Syncs a directory so that created or deleted entries are durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;
  // An exclusive advisory lock (flock) on `path`, created if needed. FAILED_PRECONDITION
  // when another process holds it.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

}  // namespace roost::log

#endif  // ROOST_LOG_ENV_H_
