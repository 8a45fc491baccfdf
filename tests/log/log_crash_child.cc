// The child of log_crash_test: appends to the log in DIR from WRITERS threads until it
// is killed, and prints "OFFSET PAYLOAD" for every append once the log has
// acknowledged it (durable under SyncPolicy::kAlways). Payloads are
// "TAG-WRITER-SEQUENCE", unique across the child processes of a test given distinct
// TAGs. One write(2) per line, under PIPE_BUF, so a line on the pipe is whole or absent.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "log/segmented_log.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: log_crash_child DIR TAG WRITERS\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::string tag = argv[2];
  const int writers = std::atoi(argv[3]);
  absl::StatusOr<std::unique_ptr<roost::log::Log>> log =
      roost::log::OpenSegmentedLog(dir, roost::log::SegmentedLogOptions{});
  if (!log.ok()) {
    std::fprintf(stderr, "open: %s\n", log.status().ToString().c_str());
    return 1;
  }
  // Tells the parent the log is open, so a kill can land after recovery, not only
  // during it.
  const char ready[] = "ready\n";
  if (write(STDOUT_FILENO, ready, sizeof(ready) - 1) < 0) return 1;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (uint64_t seq = 0;; ++seq) {
        std::string payload = absl::StrCat(tag, "-", w, "-", seq);
        absl::StatusOr<roost::LogOffset> offset = (*log)->Append(payload);
        if (!offset.ok()) {
          std::fprintf(stderr, "append: %s\n", offset.status().ToString().c_str());
          std::_Exit(1);
        }
        const std::string line = absl::StrCat(*offset, " ", payload, "\n");
        if (write(STDOUT_FILENO, line.data(), line.size()) < 0) std::_Exit(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return 0;
}
