#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "gtest/gtest.h"
#include "log/env.h"
#include "tests/log/log_test_util.h"

namespace roost::log::testing {
namespace {

mode_t Permissions(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(PosixEnvTest, CreatesOwnerOnlyDirectoriesAndFiles) {
  TestDir dir;
  Env* env = Env::Default();
  const std::string nested = dir.path() + "/a/b";
  ASSERT_OK(env->CreateDirs(nested));
  ASSERT_OK(env->CreateDirs(nested));  // existing is fine
  EXPECT_EQ(Permissions(dir.path() + "/a"), 0700u);
  EXPECT_EQ(Permissions(nested), 0700u);

  ASSERT_OK_AND_ASSIGN(auto file, env->NewWritableFile(nested + "/f"));
  ASSERT_OK(file->Append("hello"));
  ASSERT_OK(file->Sync());
  ASSERT_OK(file->Close());
  EXPECT_EQ(Permissions(nested + "/f"), 0600u);
  ASSERT_OK(env->SyncDir(nested));
}

// Appends reserve zero-filled space ahead (env.h), but only where it fits: with less
// room than a reservation, what fits is still appended, and only a write that does not
// fit fails. The file size limit stands in for a nearly full disk.
TEST(PosixEnvTest, AReservationThatDoesNotFitFallsBackToPlainAppends) {
  TestDir dir;
  Env* env = Env::Default();
  ASSERT_OK(env->CreateDirs(dir.path()));
  const std::string path = dir.File("f");
  rlimit old_limit;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the signal
  rlimit small = old_limit;
  small.rlim_cur = 64 << 10;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  absl::Status fits, too_big;
  {
    absl::StatusOr<std::unique_ptr<WritableFile>> file = env->NewWritableFile(path);
    if (file.ok()) {
      fits = (*file)->Append(std::string(1000, 'a'));
      too_big = (*file)->Append(std::string(64 << 10, 'b'));
      // As the log does after a failed append: cut the partial write off.
      if (absl::Status cut = (*file)->Truncate(1000); !cut.ok()) fits = cut;
    } else {
      fits = file.status();
    }
  }
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  signal(SIGXFSZ, SIG_DFL);
  EXPECT_TRUE(fits.ok()) << fits;
  EXPECT_EQ(too_big.code(), absl::StatusCode::kResourceExhausted) << too_big;
  // The file holds exactly what was appended: no reservation, no partial write.
  EXPECT_EQ(ReadFileBytes(path), std::string(1000, 'a'));
}

TEST(PosixEnvTest, AppendsReadsTruncatesAndLists) {
  TestDir dir;
  Env* env = Env::Default();
  ASSERT_OK(env->CreateDirs(dir.path()));
  const std::string path = dir.File("f");
  {
    ASSERT_OK_AND_ASSIGN(auto file, env->NewAppendableFile(path));
    ASSERT_OK(file->Append("0123456789"));
  }
  ASSERT_OK(env->Truncate(path, 4));
  {
    // A file opened for appending continues at its end, and at a Truncate's.
    ASSERT_OK_AND_ASSIGN(auto file, env->NewAppendableFile(path));
    ASSERT_OK(file->Append("23"));
    ASSERT_OK(file->Truncate(2));
    ASSERT_OK(file->Append("xy"));
  }
  EXPECT_EQ(ReadFileBytes(path), "01xy");
  ASSERT_OK_AND_ASSIGN(const uint64_t size, env->FileSize(path));
  EXPECT_EQ(size, 4u);

  ASSERT_OK_AND_ASSIGN(auto reader, env->NewRandomAccessFile(path));
  char scratch[16];
  absl::string_view got;
  ASSERT_OK(reader->Read(1, 16, &got, scratch));
  EXPECT_EQ(got, "1xy");  // short at end of file

  ASSERT_OK_AND_ASSIGN(auto names, env->ListDir(dir.path()));
  EXPECT_EQ(names, std::vector<std::string>{"f"});

  {
    // NewWritableFile starts the file afresh.
    ASSERT_OK_AND_ASSIGN(auto file, env->NewWritableFile(path));
    ASSERT_OK(file->Append("new"));
  }
  EXPECT_EQ(ReadFileBytes(path), "new");

  ASSERT_OK(env->DeleteFile(path));
  EXPECT_EQ(env->DeleteFile(path).code(), absl::StatusCode::kNotFound);
  const absl::Status missing = env->FileSize(path).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.message().find(path), absl::string_view::npos) << missing;
}

TEST(PosixEnvTest, LockIsExclusiveUntilReleased) {
  TestDir dir;
  Env* env = Env::Default();
  ASSERT_OK(env->CreateDirs(dir.path()));
  const std::string path = dir.File("LOCK");
  ASSERT_OK_AND_ASSIGN(auto lock, env->LockFile(path));
  const absl::Status second = env->LockFile(path).status();
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.message().find("is locked by another process"), absl::string_view::npos)
      << second;
  lock.reset();
  EXPECT_TRUE(env->LockFile(path).ok());
}

}  // namespace
}  // namespace roost::log::testing
