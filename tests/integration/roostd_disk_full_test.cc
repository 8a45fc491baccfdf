// A real full disk: roostd's data dir on a 160 MiB tmpfs that the test fills. Writes get
// RESOURCE_EXHAUSTED, reads go on, and once space is freed writes are acknowledged
// and applied again without a restart; every acknowledged post is there exactly once,
// before and after a restart.
//
// Mounting needs CAP_SYS_ADMIN (root, as on the CI machines); without it there is no
// size-limited file system to fill, and the test says so and skips.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/subprocess.h"
#include "gtest/gtest.h"
#include "tests/integration/roostd_client.h"

namespace roost::testing {
namespace {

constexpr uint64_t kReader = 1, kAuthor = 2;

class DiskFullTest : public RoostdTest {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(mount_);
    const ProcessOutcome mounted = RunProcess(
        {"/usr/bin/env", "mount", "-t", "tmpfs", "-o", "size=160m,mode=0700", "tmpfs", mount_},
        absl::Now() + absl::Seconds(30));
    if (mounted.code != 0) {
      GTEST_SKIP() << "cannot mount a size-limited tmpfs here (needs root): " << mounted.output;
    }
    mounted_ = true;
    dir_ = mount_ + "/data";
  }
  void TearDown() override {
    RoostdTest::TearDown();
    if (mounted_) {
      EXPECT_EQ(
          RunProcess({"/usr/bin/env", "umount", mount_}, absl::Now() + absl::Seconds(30)).code, 0);
    }
    std::filesystem::remove_all(mount_);
  }

  // Fills the file system with `path` until a write fails, or until `leave` bytes are
  // left free; returns bytes written.
  static size_t Fill(const std::string& path, uint64_t leave = 0) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_GE(fd, 0);
    const std::string chunk(4096, 'f');
    size_t written = 0;
    for (;;) {
      if (leave > 0 && std::filesystem::space(path).available <= leave) break;
      const ssize_t n = ::write(fd, chunk.data(), chunk.size());
      if (n <= 0) {
        EXPECT_EQ(errno, ENOSPC);
        break;
      }
      written += static_cast<size_t>(n);
    }
    ::close(fd);
    return written;
  }

  // Posts one numbered tweet; records whether it was acknowledged.
  grpc::StatusCode Post() {
    const std::string text = absl::StrCat("post ", ++posts_);
    v1::PostResponse resp;
    const grpc::Status status = client_->Post(kAuthor, text, &resp);
    if (status.ok()) {
      acked_[resp.tweet_id()] = text;
      last_position_ = resp.position();
    }
    return status.error_code();
  }

  // The author's whole user timeline, paged, after `position`.
  std::vector<std::pair<uint64_t, std::string>> AllTweets(uint64_t position) {
    std::vector<std::pair<uint64_t, std::string>> all;
    uint64_t max_id = 0;
    for (int pages = 0; pages < 1000; ++pages) {
      v1::TimelinePage page;
      const grpc::Status status = client_->User(kAuthor, position, &page, 200, max_id);
      EXPECT_TRUE(status.ok()) << status.error_message();
      for (const v1::Tweet& tweet : page.tweets()) all.emplace_back(tweet.id(), tweet.text());
      if (!status.ok() || page.next_max_id() == 0) break;
      max_id = page.next_max_id();
    }
    return all;
  }

  // What reads show (without waiting for a position) is acknowledged posts only, once.
  void ExpectOnlyAcknowledged(const std::string& when) {
    std::map<uint64_t, std::string> seen;
    for (const auto& [id, text] : AllTweets(0)) {
      EXPECT_TRUE(seen.emplace(id, text).second) << "doubled " << id;
      auto it = acked_.find(id);
      EXPECT_TRUE(it != acked_.end() && it->second == text) << when << ": " << id << " " << text;
    }
  }

  void ExpectExactlyTheAcknowledged(uint64_t position, const std::string& when) {
    const auto all = AllTweets(position);
    EXPECT_EQ(all.size(), acked_.size()) << when;
    std::map<uint64_t, std::string> seen;
    for (const auto& [id, text] : all)
      EXPECT_TRUE(seen.emplace(id, text).second) << "doubled " << id;
    EXPECT_EQ(seen, acked_) << when;
  }

  const std::string mount_ = FreshDir("disk_full_mount");
  bool mounted_ = false;
  int posts_ = 0;
  std::map<uint64_t, std::string> acked_;  // tweet id -> text
  uint64_t last_position_ = 0;
};

TEST_F(DiskFullTest, AFullDiskRefusesWritesKeepsReadsAndResumesWhenSpaceIsFreed) {
  // roostd starts with 4 MiB free, so the stores' RocksDB cannot set aside much room
  // for its write-ahead logs either, and runs out of space alongside the log.
  size_t filled = Fill(mount_ + "/ballast", /*leave=*/4 << 20);
  StartServer({"--log-segment-bytes=131072"});
  client_->MustEdge(true, v1::FOLLOWS, kReader, kAuthor);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(Post(), grpc::StatusCode::OK);

  filled += Fill(mount_ + "/filler");
  // The log appends into the space its segment reserved, then needs a new segment:
  // writes go on for a while, then are refused. Bounded in count and time.
  grpc::StatusCode code = grpc::StatusCode::OK;
  // (ThreadSanitizer's build needs over a minute.)
  const absl::Time give_up = absl::Now() + absl::Seconds(180);
  int accepted_while_full = 0;
  while (code == grpc::StatusCode::OK && posts_ < 20000 && absl::Now() < give_up) {
    code = Post();
    accepted_while_full += code == grpc::StatusCode::OK;
  }
  ASSERT_EQ(code, grpc::StatusCode::RESOURCE_EXHAUSTED);
  int refused = 1;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Post(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    ++refused;
  }
  // Reads are served from what the stores hold: the stores cannot apply writes either
  // (RocksDB cannot write), so the newest acknowledged posts are in the log only.
  ExpectOnlyAcknowledged("with the disk full");
  v1::TimelinePage home;
  EXPECT_TRUE(client_->Home(kReader, 0, &home).ok());

  // Space freed: writes are acknowledged again, at once.
  std::filesystem::remove(mount_ + "/filler");
  std::filesystem::remove(mount_ + "/ballast");
  EXPECT_EQ(Post(), grpc::StatusCode::OK);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(Post(), grpc::StatusCode::OK);
  // Applying resumes by itself: the stores' writes waited for the space (RocksDB
  // takes writes again once 64 MiB, a memtable's worth, are free: hence 160 MiB).
  ExpectExactlyTheAcknowledged(last_position_, "after space was freed");
  // The stores did run out of space (their writes failed, waited and were retried).
  const int64_t store_retries = client_->Counter("topology.tweets.failed");
  EXPECT_GT(store_retries, 0);
  EXPECT_EQ(client_->Counter("topology.tweets.dead_lettered"), 0);

  // And a restart keeps exactly the acknowledged posts.
  StopServer();
  StartServer();
  ExpectExactlyTheAcknowledged(client_->Stats().appended_position(), "after a restart");
  std::printf(
      "filled %zu bytes; %d posts accepted into the log's reserved space, then %d "
      "refused with RESOURCE_EXHAUSTED; the tweet store's writes failed %lld times "
      "and were retried until space was freed; %zu acknowledged in all, 0 lost, 0 "
      "doubled\n",
      filled, accepted_while_full, refused, static_cast<long long>(store_retries), acked_.size());
}

}  // namespace
}  // namespace roost::testing
