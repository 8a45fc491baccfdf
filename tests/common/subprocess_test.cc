// Subprocess: output, exit codes, and that a child never outlives a parent that died
// without stopping it.
#include "common/subprocess.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace roost {
namespace {

TEST(SubprocessTest, ReadsOutputAndReportsTheExitCode) {
  Subprocess child;
  ASSERT_TRUE(child.Start({"/bin/sh", "-c", "echo ready; echo more; exit 3"}).ok());
  std::string output;
  EXPECT_TRUE(child.ReadUntil("ready\n", absl::Now() + absl::Seconds(10), &output));
  EXPECT_EQ(child.Wait(absl::Now() + absl::Seconds(10), &output), 3);
  EXPECT_EQ(output, "ready\nmore\n");
  EXPECT_FALSE(child.running());
}

TEST(SubprocessTest, AProgramThatCannotRunExitsWith127) {
  Subprocess child;
  ASSERT_TRUE(child.Start({"/nonexistent/program"}).ok());
  EXPECT_EQ(child.Wait(absl::Now() + absl::Seconds(10)), 127);
}

// Whether `pid` has ended: gone, or a zombie nobody reaped yet.
bool Ended(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, name, state;
  if (!(stat >> pid_field >> name >> state)) return true;
  return state == "Z" || state == "X";
}

TEST(SubprocessTest, AChildDiesWithAParentKilledWithoutStoppingIt) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t parent = fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {  // the parent-to-be-killed: starts a long sleep, says its pid
    Subprocess child;
    if (!child.Start({"/bin/sleep", "60"}).ok()) _exit(1);
    const pid_t pid = child.pid();
    if (write(fds[1], &pid, sizeof(pid)) != sizeof(pid)) _exit(1);
    pause();
    _exit(0);
  }
  pid_t grandchild = 0;
  ASSERT_EQ(read(fds[0], &grandchild, sizeof(grandchild)),
            static_cast<ssize_t>(sizeof(grandchild)));
  close(fds[0]);
  close(fds[1]);
  EXPECT_FALSE(Ended(grandchild));
  kill(parent, SIGKILL);
  waitpid(parent, nullptr, 0);
  // The kernel delivers SIGKILL to the orphan; give it a bounded moment to act.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!Ended(grandchild) && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_TRUE(Ended(grandchild)) << "the sleep outlived its parent";
  if (!Ended(grandchild)) kill(grandchild, SIGKILL);
}

}  // namespace
}  // namespace roost
