// What the benchmarks take from their environment: where their files live
// ($ROOST_BENCH_DIR, default /var/tmp: a real disk, not tmpfs) and how large they run
// ($ROOST_BENCH_SCALE, default 1; a smaller value, such as 0.01, shrinks the generated
// data for a quick check that a benchmark works, and its figures are then not the
// stated ones). And how they stop on an error they cannot measure past.
#ifndef ROOST_LOADGEN_BENCH_BENCH_ENV_H_
#define ROOST_LOADGEN_BENCH_BENCH_ENV_H_

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"

namespace roost::loadgen {

[[noreturn]] inline void Die(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), status.ToString().c_str());
  std::abort();
}

// $ROOST_BENCH_DIR/<name>-<pid>: a path of this process's own, so that runs side by
// side do not meet.
inline std::string BenchPath(const std::string& name) {
  const char* root = std::getenv("ROOST_BENCH_DIR");
  return std::string(root != nullptr ? root : "/var/tmp") + "/" + name + "-" +
         std::to_string(getpid());
}

// `n` times $ROOST_BENCH_SCALE, at least 2 (a graph needs two users).
inline uint64_t Scaled(uint64_t n) {
  static const double scale = [] {
    const char* value = std::getenv("ROOST_BENCH_SCALE");
    const double parsed = value != nullptr ? std::strtod(value, nullptr) : 1.0;
    if (!(parsed > 0)) Die("ROOST_BENCH_SCALE", absl::InvalidArgumentError("must be above 0"));
    return parsed;
  }();
  return std::max<uint64_t>(2, static_cast<uint64_t>(std::llround(static_cast<double>(n) * scale)));
}

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_BENCH_BENCH_ENV_H_
