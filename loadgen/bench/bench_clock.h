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
#include <sstream>
#include <string>

#include "benchmark/benchmark.h"

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

// CPU time (user and system) of another process, from /proc/<pid>/stat; 0 when it
// cannot be read.
inline int64_t ProcessCpuNsOf(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  // "pid (comm) state ...": utime and stime are the 12th and 13th fields after ')'.
  const size_t paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(line.substr(paren + 2));
  std::string field;
  int64_t utime = 0, stime = 0;
  for (int i = 1; i <= 13 && fields >> field; ++i) {
    if (i == 12) utime = std::stoll(field);
    if (i == 13) stime = std::stoll(field);
  }
  return (utime + stime) * (1'000'000'000 / sysconf(_SC_CLK_TCK));
}

// Busy time of the whole machine, every CPU, from /proc/stat (jiffies, as ns).
inline int64_t MachineBusyNs() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return (user + nice + system + irq + softirq + steal) * (1'000'000'000 / sysconf(_SC_CLK_TCK));
}

// What a measured stretch cost: this process's CPU per unit of work, and how many
// cores other processes kept busy meanwhile (above ~0.1 the run was disturbed).
class Cost {
 public:
  Cost() : wall_(NowNs()), cpu_(ProcessCpuNs()), machine_(MachineBusyNs()) {}
  // Sets the counters cpu_us_per_<unit> and other_cores_used.
  void Report(benchmark::State& state, double units, const std::string& unit) const {
    const double wall = static_cast<double>(NowNs() - wall_);
    const double cpu = static_cast<double>(ProcessCpuNs() - cpu_);
    const double machine = static_cast<double>(MachineBusyNs() - machine_);
    state.counters["cpu_us_per_" + unit] = cpu / 1e3 / units;
    state.counters["other_cores_used"] = (machine - cpu) / wall;
  }

 private:
  const int64_t wall_, cpu_, machine_;
};

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_BENCH_BENCH_CLOCK_H_
