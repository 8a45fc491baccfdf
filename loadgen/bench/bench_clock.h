// Clocks the benchmarks share: wall time, this process's CPU time, and the whole
// machine's busy time, so that a run can report its CPU cost per unit of work and how
// much of the (shared, noisy) machine other processes took meanwhile.
#ifndef ROOST_LOADGEN_BENCH_BENCH_CLOCK_H_
#define ROOST_LOADGEN_BENCH_BENCH_CLOCK_H_

#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>

namespace roost::loadgen {

// Monotonic wall time.
inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// CPU time of the whole process (every thread).
inline int64_t ProcessCpuNs() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

// Busy time of the whole machine, every CPU, from /proc/stat (jiffies, as ns).
inline int64_t MachineBusyNs() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return (user + nice + system + irq + softirq + steal) * (1'000'000'000 / sysconf(_SC_CLK_TCK));
}

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_BENCH_BENCH_CLOCK_H_
