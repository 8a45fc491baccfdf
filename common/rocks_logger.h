// RocksLogger: the info log of a RocksDB database (its LOG file), written so that a
// failing disk cannot take the process down.
//
// RocksDB's own file logger keeps writing to a file after a write failed, which the
// RocksDB of Debian 12 (built with assertions) answers with an abort: on a full disk
// the first background error message killed roostd (seen in the disk-full test). This
// logger drops lines it cannot write, counts them, and tries again at the next line.
// It also echoes ERROR and FATAL lines to stderr, prefixed with the store's name, so a
// store's failure shows in roostd's output and not only in a file, and rotates the
// file at 16 MiB (LOG -> LOG.old) so that it cannot grow without bound.
#ifndef ROOST_COMMON_ROCKS_LOGGER_H_
#define ROOST_COMMON_ROCKS_LOGGER_H_

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"

namespace roost {

class RocksLogger final : public rocksdb::Logger {
 public:
  static constexpr uint64_t kRotateBytes = uint64_t{16} << 20;

  // Logs to `dir`/LOG, creating `dir` if missing. `name` prefixes the lines echoed to
  // stderr.
  RocksLogger(std::string dir, std::string name);
  ~RocksLogger() override;

  using rocksdb::Logger::Logv;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }

  uint64_t dropped_lines() const;

 private:
  // Opens the file if it is not open; false if it cannot be.
  bool OpenLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  const std::string name_;
  mutable absl::Mutex mu_;
  std::FILE* file_ ABSL_GUARDED_BY(mu_) = nullptr;
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace roost

#endif  // ROOST_COMMON_ROCKS_LOGGER_H_
