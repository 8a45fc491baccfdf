#include "common/rocks_logger.h"

#include <sys/time.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <system_error>
#include <utility>

namespace roost {

RocksLogger::RocksLogger(std::string dir, std::string name)
    : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL),
      dir_(std::move(dir)),
      name_(std::move(name)) {
  // As RocksDB's own file logger does: the database's directory exists from here on
  // (and a new database's first look at it is not an error worth echoing).
  std::error_code ignored;
  std::filesystem::create_directories(dir_, ignored);
}

RocksLogger::~RocksLogger() {
  absl::MutexLock lock(&mu_);
  if (file_ != nullptr) std::fclose(file_);
}

bool RocksLogger::OpenLocked() {
  if (file_ != nullptr) return true;
  const std::string path = dir_ + "/LOG";
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) return false;
  std::fseek(file_, 0, SEEK_END);
  const long size = std::ftell(file_);
  bytes_ = size > 0 ? static_cast<uint64_t>(size) : 0;
  return true;
}

void RocksLogger::Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  if (level < GetInfoLogLevel()) return;
  char message[2048];
  va_list copy;
  va_copy(copy, ap);
  const int n = std::vsnprintf(message, sizeof(message), format, copy);
  va_end(copy);
  if (n < 0) return;

  timeval now;
  gettimeofday(&now, nullptr);
  tm local;
  localtime_r(&now.tv_sec, &local);
  char stamp[40];
  std::snprintf(stamp, sizeof(stamp), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld", local.tm_year + 1900,
                local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<long>(now.tv_usec));
  if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
    std::fprintf(stderr, "roost: rocksdb %s: %s\n", name_.c_str(), message);
  }

  absl::MutexLock lock(&mu_);
  if (bytes_ > kRotateBytes && file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
    std::rename((dir_ + "/LOG").c_str(), (dir_ + "/LOG.old").c_str());
  }
  if (!OpenLocked()) {
    ++dropped_;
    return;
  }
  const int written = std::fprintf(file_, "%s %s\n", stamp, message);
  if (written < 0 || std::fflush(file_) != 0) {
    // Likely a full disk: drop the line, and start afresh with the next one (the
    // stream's error state would otherwise stick).
    ++dropped_;
    std::fclose(file_);
    file_ = nullptr;
    return;
  }
  bytes_ += static_cast<uint64_t>(written);
}

uint64_t RocksLogger::dropped_lines() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

}  // namespace roost
