// The load generator's reports: what a person reads after a run (a text table per
// run, comparisons against the baselines), what a program reads (JSON with the full
// latency distributions and the time series) and an HTML page with charts.
//
// Latencies are the runner's: open-loop ones are measured from the intended send
// time, so they include any wait the client imposed. Text and JSON are pure functions
// of the RunResult; only WriteJson and WriteReport touch the file system, and only
// WriteReport runs a program (gnuplot, to draw SVG charts without a browser or
// internet access).
#ifndef ROOST_LOADGEN_REPORT_H_
#define ROOST_LOADGEN_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "loadgen/runner.h"

namespace roost::loadgen {

// A latency for people, to 3 significant digits: "850 ns", "12.3 µs", "1.23 ms",
// "2.50 s".
std::string FormatDuration(uint64_t ns);

// One run as a fixed-width table (a row per operation kind that completed at least
// once, then "all": count, ops/s, p50, p90, p99, p99.9, max and errors by status
// code) under a line naming the target and the load, followed by the fanout lag and,
// for an open-loop run whose client fell behind its schedule, a warning.
std::string FormatTable(const RunResult& r);

// `roost` against a baseline run of the same workload. Against the grpc-empty
// baseline (its only operation is kPing), each of roost's latencies as a multiple of
// an empty RPC's; against any other (redis), the latencies side by side with
// baseline/roost ratios (above 1×: roost is faster) and the throughputs.
std::string FormatComparison(const RunResult& roost, const RunResult& baseline);

// Everything in a run, for programs: the options, per-kind and overall statistics
// with their histograms ([lowest_ns, highest_ns, count] per non-empty bucket), the
// fanout lag and the progress intervals. Kinds that never completed are left out.
nlohmann::json ToJson(const RunResult& r);

// Writes {"runs": [ToJson(run), ...]} to `path`. INTERNAL (naming the path and the
// reason) when it cannot be written.
absl::Status WriteJson(const std::vector<RunResult>& runs, const std::string& path);

// Writes into `dir` (created when missing): results.json, the charts latency.svg
// (latency by percentile), throughput.svg and p99.svg (per progress interval), their
// gnuplot data and script, and index.html, a self-contained page (no scripts, no
// external resources) with the tables, the comparisons of runs[0] with each later run
// and the charts. FAILED_PRECONDITION when gnuplot is not installed; INTERNAL, with
// its output, when gnuplot fails, or when a file cannot be written.
absl::Status WriteReport(const std::vector<RunResult>& runs, const std::string& dir);

}  // namespace roost::loadgen

#endif  // ROOST_LOADGEN_REPORT_H_
