#include "tests/log/log_test_util.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "log/log_format.h"

namespace roost::log::testing {

TestDir::TestDir() {
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path path(::testing::TempDir());
  path /= absl::StrCat("roost_log.", test->test_suite_name(), ".", test->name(), ".", getpid());
  std::filesystem::remove_all(path);
  path_ = path.string();
}

TestDir::~TestDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string Payload(uint64_t i) { return absl::StrFormat("record-%06d", i); }

absl::StatusOr<std::vector<LogRecord>> ReadAll(Log& log, LogOffset start) {
  absl::StatusOr<std::unique_ptr<LogReader>> reader = log.NewReader(start);
  if (!reader.ok()) return reader.status();
  std::vector<LogRecord> records;
  while ((*reader)->next_offset() <= log.durable_offset()) {
    const LogOffset before = (*reader)->next_offset();
    const absl::Status status = (*reader)->ReadBatch(1000, absl::InfinitePast(), &records);
    if (!status.ok()) return status;
    if ((*reader)->next_offset() == before) {
      return absl::InternalError(absl::StrCat("reader made no progress at offset ", before));
    }
  }
  return records;
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    LogOffset base;
    const std::string name = entry.path().filename().string();
    if (ParseSegmentFileName(name, &base)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void AppendFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << bytes;
}

void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

class FaultEnv::FaultFile final : public WritableFile {
 public:
  FaultFile(FaultEnv* env, std::unique_ptr<WritableFile> base)
      : env_(env), base_(std::move(base)) {}

  absl::Status Append(absl::string_view data) override {
    if (TakeFault(env_->fail_appends)) {
      // A torn write: part of the data reaches the file before the error.
      base_->Append(data.substr(0, data.size() / 2)).IgnoreError();
      return absl::Status(env_->append_error.load(), "injected write failure");
    }
    return base_->Append(data);
  }

  absl::Status Sync() override {
    env_->WaitWhileHeld();
    if (TakeFault(env_->fail_syncs)) return absl::UnavailableError("injected fdatasync failure");
    absl::Status status = base_->Sync();
    if (status.ok()) ++env_->syncs;
    return status;
  }

  absl::Status Truncate(uint64_t size) override { return base_->Truncate(size); }
  absl::Status Close() override { return base_->Close(); }

 private:
  FaultEnv* const env_;
  const std::unique_ptr<WritableFile> base_;
};

class FaultEnv::FaultReadFile final : public RandomAccessFile {
 public:
  FaultReadFile(FaultEnv* env, std::unique_ptr<RandomAccessFile> base)
      : env_(env), base_(std::move(base)) {}

  absl::Status Read(uint64_t offset, size_t n, absl::string_view* result,
                    char* scratch) const override {
    if (env_->reads_broken.load() || TakeFault(env_->fail_reads)) {
      return absl::UnavailableError("injected pread failure: Input/output error");
    }
    return base_->Read(offset, n, result, scratch);
  }

 private:
  FaultEnv* const env_;
  const std::unique_ptr<RandomAccessFile> base_;
};

absl::StatusOr<std::unique_ptr<RandomAccessFile>> FaultEnv::NewRandomAccessFile(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> file = base_->NewRandomAccessFile(path);
  if (!file.ok()) return file.status();
  return std::make_unique<FaultReadFile>(this, std::move(file).value());
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultEnv::NewAppendableFile(const std::string& path) {
  absl::StatusOr<std::unique_ptr<WritableFile>> file = base_->NewAppendableFile(path);
  if (!file.ok()) return file.status();
  return std::make_unique<FaultFile>(this, std::move(file).value());
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultEnv::NewWritableFile(const std::string& path) {
  if (TakeFault(fail_creates)) return absl::UnavailableError("injected create failure");
  absl::StatusOr<std::unique_ptr<WritableFile>> file = base_->NewWritableFile(path);
  if (!file.ok()) return file.status();
  return std::make_unique<FaultFile>(this, std::move(file).value());
}

void FaultEnv::HoldSyncs() {
  absl::MutexLock lock(&mu_);
  hold_syncs_ = true;
}

void FaultEnv::ReleaseSyncs() {
  absl::MutexLock lock(&mu_);
  hold_syncs_ = false;
}

void FaultEnv::AwaitHeldSync() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](int* held) { return *held > 0; }, &held_syncs_));
}

void FaultEnv::WaitWhileHeld() {
  absl::MutexLock lock(&mu_);
  if (!hold_syncs_) return;
  ++held_syncs_;
  mu_.Await(absl::Condition(
      +[](bool* hold) { return !*hold; }, &hold_syncs_));
  --held_syncs_;
}

void FaultEnvLogTest::OpenLog(SegmentedLogOptions options) {
  options.env = &env_;
  absl::StatusOr<std::unique_ptr<Log>> log = OpenSegmentedLog(dir_.path(), options);
  ASSERT_TRUE(log.ok()) << log.status();
  log_ = std::move(log).value();
}

bool FaultEnv::TakeFault(std::atomic<int>& counter) {
  int left = counter.load();
  while (left > 0) {
    if (counter.compare_exchange_weak(left, left - 1)) return true;
  }
  return false;
}

}  // namespace roost::log::testing
