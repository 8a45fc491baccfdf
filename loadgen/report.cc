#include "loadgen/report.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/subprocess.h"

namespace roost::loadgen {
namespace {

constexpr char kGnuplot[] = "/usr/bin/gnuplot";

// ---- Text -------------------------------------------------------------------------

// 3 significant digits; `v` is at least 1 and below 999.5 (the caller picks the unit).
std::string ThreeDigits(double v) {
  if (v < 9.995) return absl::StrFormat("%.2f", v);
  if (v < 99.95) return absl::StrFormat("%.1f", v);
  return absl::StrFormat("%.0f", v);
}

std::string LatencyAt(const Histogram& h, double percentile) {
  return h.count() == 0 ? "-" : FormatDuration(h.ValueAtPercentile(percentile));
}

std::string FormatRate(double per_second) {
  return per_second >= 1000 ? absl::StrFormat("%.0f", per_second)
                            : absl::StrFormat("%.1f", per_second);
}

// "3.2×"; "-" when either side is missing, so an empty run never divides by zero.
std::string Ratio(double numerator, double denominator) {
  if (!(numerator > 0) || !(denominator > 0)) return "-";
  const double r = numerator / denominator;
  if (r >= 9.95) return absl::StrFormat("%.0f×", r);
  if (r >= 0.995) return absl::StrFormat("%.1f×", r);
  return absl::StrFormat("%.2f×", r);
}

// "0", or "12 (UNAVAILABLE 10, DEADLINE_EXCEEDED 2)": the most frequent code first.
std::string FormatErrors(const std::map<absl::StatusCode, uint64_t>& errors) {
  std::vector<std::pair<absl::StatusCode, uint64_t>> sorted(errors.begin(), errors.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  uint64_t total = 0;
  std::vector<std::string> parts;
  for (const auto& [code, n] : sorted) {
    total += n;
    parts.push_back(absl::StrCat(absl::StatusCodeToString(code), " ", n));
  }
  if (total == 0) return "0";
  return absl::StrCat(total, " (", absl::StrJoin(parts, ", "), ")");
}

// Columns of text: the first left-aligned (names), the others right-aligned (numbers),
// except a last one of words (error lists). Widths count code points, as "µ" and "×"
// are two bytes each but one column on a terminal.
class TextTable {
 public:
  explicit TextTable(bool last_is_text = false) : last_is_text_(last_is_text) {}

  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

  std::string Render() const {
    std::vector<size_t> width;
    for (const auto& row : rows_) {
      width.resize(std::max(width.size(), row.size()), 0);
      for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], Width(row[i]));
    }
    std::string out;
    for (const auto& row : rows_) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        const std::string pad(width[i] - Width(row[i]), ' ');
        const bool left = i == 0 || (last_is_text_ && i + 1 == row.size());
        if (i > 0) line += "  ";
        line += left ? row[i] + pad : pad + row[i];
      }
      line.erase(line.find_last_not_of(' ') + 1);
      absl::StrAppend(&out, line, "\n");
    }
    return out;
  }

 private:
  static size_t Width(const std::string& s) {
    return std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; });
  }

  const bool last_is_text_;
  std::vector<std::vector<std::string>> rows_;
};

bool HasKind(const RunResult& r, int kind) { return r.ops[kind].count() > 0; }

std::string Mode(const RunResult& r) {
  return r.options.rate > 0 ? absl::StrCat("open loop at ", r.options.rate, " ops/s")
                            : "closed loop";
}

// ---- JSON -------------------------------------------------------------------------

nlohmann::json ErrorsJson(const std::map<absl::StatusCode, uint64_t>& errors) {
  nlohmann::json out = nlohmann::json::object();  // {} rather than null when empty
  for (const auto& [code, n] : errors) out[absl::StatusCodeToString(code)] = n;
  return out;
}

nlohmann::json LatencyJson(const Histogram& h, uint64_t ok, double seconds,
                           const std::map<absl::StatusCode, uint64_t>& errors) {
  nlohmann::json buckets = nlohmann::json::array();
  h.ForEachBucket([&buckets](uint64_t lowest, uint64_t highest, uint64_t count) {
    buckets.push_back({lowest, highest, count});
  });
  return {{"count", h.count()},
          {"ok", ok},
          {"ops_per_s", seconds > 0 ? static_cast<double>(h.count()) / seconds : 0.0},
          {"mean_ns", h.mean()},
          {"min_ns", h.min()},
          {"p50_ns", h.ValueAtPercentile(50)},
          {"p90_ns", h.ValueAtPercentile(90)},
          {"p99_ns", h.ValueAtPercentile(99)},
          {"p999_ns", h.ValueAtPercentile(99.9)},
          {"max_ns", h.max()},
          {"errors", ErrorsJson(errors)},
          {"histogram", std::move(buckets)}};
}

// ---- Files ------------------------------------------------------------------------

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const int write_errno = errno;
  if (std::fclose(f) != 0 || !written) {
    return absl::InternalError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(written ? errno : write_errno)));
  }
  return absl::OkStatus();
}

std::string HtmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// ---- Charts -----------------------------------------------------------------------

// A gnuplot single-quoted string: backslashes are literal there, quotes are doubled.
std::string GnuplotQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

struct Series {
  std::string title;
  std::string style;  // gnuplot line properties
  std::vector<std::pair<double, double>> points;
};

struct Chart {
  std::string name;      // file stem: name.svg, name.dat
  std::string settings;  // gnuplot commands before the plot
  double warmup_s = 0;   // shaded from 0 when > 0
  std::vector<Series> series;
};

// Appends the commands drawing `chart` to *script and returns its data file's text:
// one block per series, blank-line separated, addressed by gnuplot's `index`.
std::string AddChart(const Chart& chart, const std::filesystem::path& dir, std::string* script) {
  const std::string svg = (dir / (chart.name + ".svg")).string();
  const std::string dat = (dir / (chart.name + ".dat")).string();
  absl::StrAppend(script, "reset\nset output ", GnuplotQuote(svg), "\n");
  std::vector<const Series*> drawn;
  for (const Series& s : chart.series) {
    if (!s.points.empty()) drawn.push_back(&s);
  }
  if (drawn.empty()) {
    // gnuplot refuses to plot nothing, and an empty axis would hide why.
    absl::StrAppend(script,
                    "set label 'no data' at graph 0.5, graph 0.5 center\n"
                    "set xrange [0:1]\nset yrange [0:1]\nunset key\nplot 2 notitle\n");
    return "";
  }
  absl::StrAppend(script, chart.settings, "set grid\nset key outside right top\n");
  if (chart.warmup_s > 0) {
    absl::StrAppendFormat(script,
                          "set object 1 rect from first 0, graph 0 to first %g, graph 1 behind "
                          "fillcolor rgb '#e8e8e8' fillstyle solid 1.0 noborder\n"
                          "set label 'warm-up' at first 0, graph 0.97 left offset 0.5, 0\n",
                          chart.warmup_s);
  }
  std::string data;
  std::vector<std::string> plots;
  for (size_t i = 0; i < drawn.size(); ++i) {
    absl::StrAppend(&data, i > 0 ? "\n\n" : "", "# ", drawn[i]->title, "\n");
    for (const auto& [x, y] : drawn[i]->points) absl::StrAppendFormat(&data, "%.9g %.9g\n", x, y);
    plots.push_back(absl::StrCat(GnuplotQuote(dat), " index ", i, " using 1:2 ", drawn[i]->style,
                                 " title ", GnuplotQuote(drawn[i]->title)));
  }
  absl::StrAppend(script, "plot ", absl::StrJoin(plots, ", \\\n     "), "\n");
  return data;
}

// Latency by percentile, HdrHistogram-style: x is 1/(1-p) on a log scale, so each
// "nine" gets the same width and the tail is as visible as the median.
Chart LatencyChart(const std::vector<RunResult>& runs) {
  Chart chart;
  chart.name = "latency";
  chart.settings =
      "set title 'Latency by percentile'\nset logscale xy\nset xrange [1:100000]\n"
      "set xlabel 'percentile'\nset ylabel 'latency (ms)'\n"
      "set xtics ('50%%' 2, '90%%' 10, '99%%' 100, '99.9%%' 1000, '99.99%%' 10000, "
      "'99.999%%' 100000)\n";
  for (size_t run = 0; run < runs.size(); ++run) {
    for (int kind = 0; kind < kNumOpKinds; ++kind) {
      const Histogram& h = runs[run].ops[kind].latency;
      if (h.count() == 0) continue;
      // Colour tells the operation apart, the dash pattern the run.
      Series s{absl::StrCat(runs[run].target, " ", OpName(static_cast<OpKind>(kind))),
               absl::StrCat("with lines lw 2 lc ", kind + 1, " dt ", run + 1),
               {}};
      for (int k = 0; k <= 50; ++k) {
        const double x = std::pow(10.0, k / 10.0);  // 1/(1-p), p up to 99.999%
        const double p = std::min(100.0 * (1.0 - 1.0 / x), 99.999);
        // Log axes drop zeros; 1 ns is below anything measurable anyway.
        const double ms = static_cast<double>(std::max<uint64_t>(h.ValueAtPercentile(p), 1)) / 1e6;
        s.points.emplace_back(x, ms);
      }
      chart.series.push_back(std::move(s));
    }
  }
  return chart;
}

double MaxWarmup(const std::vector<RunResult>& runs) {
  double warmup = 0;
  for (const RunResult& r : runs) {
    warmup = std::max(warmup, absl::ToDoubleSeconds(r.options.warmup));
  }
  return warmup;
}

// Per-interval time series: `value(interval, seconds_covered)`, skipped when negative.
template <typename Value>
Chart IntervalChart(const std::vector<RunResult>& runs, std::string name, std::string settings,
                    Value value) {
  Chart chart{std::move(name), std::move(settings), MaxWarmup(runs), {}};
  for (size_t run = 0; run < runs.size(); ++run) {
    Series s{runs[run].target, absl::StrCat("with linespoints lw 2 pt 7 ps 0.4 lc ", run + 1), {}};
    double previous_end = 0;
    for (const Interval& interval : runs[run].intervals) {
      const double covered = interval.end_seconds - previous_end;
      previous_end = interval.end_seconds;
      if (covered <= 0) continue;
      const double y = value(interval, covered);
      if (y >= 0) s.points.emplace_back(interval.end_seconds, y);
    }
    chart.series.push_back(std::move(s));
  }
  return chart;
}

Chart ThroughputChart(const std::vector<RunResult>& runs) {
  return IntervalChart(runs, "throughput",
                       "set title 'Throughput (completed operations per interval)'\n"
                       "set xlabel 'seconds since start'\nset ylabel 'ops/s'\n"
                       "set xrange [0:*]\nset yrange [0:*]\n",
                       [](const Interval& interval, double covered) {
                         uint64_t completed = 0;
                         for (uint64_t n : interval.completed) completed += n;
                         return static_cast<double>(completed) / covered;
                       });
}

Chart P99Chart(const std::vector<RunResult>& runs) {
  return IntervalChart(runs, "p99",
                       "set title 'p99 latency per interval'\nset logscale y\n"
                       "set xlabel 'seconds since start'\nset ylabel 'p99 latency (ms)'\n"
                       "set xrange [0:*]\n",
                       [](const Interval& interval, double) {
                         // An interval in which nothing completed has no p99 to draw.
                         return interval.p99_ns == 0 ? -1.0
                                                     : static_cast<double>(interval.p99_ns) / 1e6;
                       });
}

absl::Status RenderCharts(const std::vector<RunResult>& runs, const std::filesystem::path& dir) {
  if (access(kGnuplot, X_OK) != 0) {
    return absl::FailedPreconditionError(
        "gnuplot is not installed (scripts/install-deps.sh installs it)");
  }
  // noenhanced: run names are shown as written, '_' is not a subscript.
  std::string script =
      "set terminal svg size 900,500 font 'sans-serif,12' background rgb 'white' noenhanced\n";
  for (const Chart& chart : {LatencyChart(runs), ThroughputChart(runs), P99Chart(runs)}) {
    const std::string data = AddChart(chart, dir, &script);
    if (absl::Status s = WriteFile((dir / (chart.name + ".dat")).string(), data); !s.ok()) return s;
  }
  absl::StrAppend(&script, "unset output\n");
  const std::string script_path = (dir / "charts.gnuplot").string();
  if (absl::Status s = WriteFile(script_path, script); !s.ok()) return s;

  Subprocess gnuplot;
  if (absl::Status s = gnuplot.Start({kGnuplot, script_path}); !s.ok()) return s;
  std::string output;
  const int code = gnuplot.Wait(absl::Now() + absl::Seconds(60), &output);
  if (code != 0) {
    return absl::InternalError(
        absl::StrCat("gnuplot ", script_path, " exited with ", code, ": ", output));
  }
  return absl::OkStatus();
}

std::string IndexHtml(const std::vector<RunResult>& runs) {
  std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>Roost load report</title>\n<style>\n"
      "body { font-family: sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }\n"
      "pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 13px; }\n"
      "img { display: block; max-width: 100%; margin: 1em 0; border: 1px solid #ddd; }\n"
      "p.note { color: #555; }\n</style>\n</head>\n<body>\n<h1>Roost load report</h1>\n"
      "<p>Generated ",
      HtmlEscape(absl::FormatTime("%Y-%m-%d %H:%M:%S %Z", absl::Now(), absl::LocalTimeZone())),
      ". Open-loop latencies are measured from each operation's intended send time.</p>\n");
  for (const RunResult& r : runs) {
    absl::StrAppend(&html, "<h2>", HtmlEscape(r.target), "</h2>\n<pre>", HtmlEscape(FormatTable(r)),
                    "</pre>\n");
  }
  if (runs.size() > 1) {
    absl::StrAppend(&html, "<h2>Comparisons</h2>\n");
    for (size_t i = 1; i < runs.size(); ++i) {
      absl::StrAppend(&html, "<pre>", HtmlEscape(FormatComparison(runs[0], runs[i])), "</pre>\n");
    }
  }
  absl::StrAppend(
      &html, "<h2>Charts</h2>\n", "<img src=\"latency.svg\" alt=\"latency by percentile\">\n",
      "<p class=\"note\">Colour: operation; dash pattern: run. The x axis gives each nine the "
      "same width.</p>\n",
      "<img src=\"throughput.svg\" alt=\"throughput per interval\">\n",
      "<img src=\"p99.svg\" alt=\"p99 latency per interval\">\n",
      "<p class=\"note\">The shaded start is the warm-up, executed but not measured.</p>\n",
      "</body>\n</html>\n");
  return html;
}

}  // namespace

std::string FormatDuration(uint64_t ns) {
  if (ns < 1000) return absl::StrCat(ns, " ns");
  // Move up a unit when rounding would show four digits ("1000 µs" reads as "1.00 ms").
  double v = static_cast<double>(ns) / 1e3;
  if (v < 999.5) return absl::StrCat(ThreeDigits(v), " µs");
  v /= 1e3;
  if (v < 999.5) return absl::StrCat(ThreeDigits(v), " ms");
  v /= 1e3;
  return v < 999.5 ? absl::StrCat(ThreeDigits(v), " s") : absl::StrFormat("%.0f s", v);
}

std::string FormatTable(const RunResult& r) {
  std::string out =
      absl::StrFormat("%s: %s, concurrency %d, %.1f s measured after %.1f s warm-up", r.target,
                      Mode(r), r.options.concurrency, absl::ToDoubleSeconds(r.measured),
                      absl::ToDoubleSeconds(r.options.warmup));
  if (r.stopped) out += " (stopped early)";
  if (r.exhausted) out += " (the operations ran out before the duration)";
  out += "\n";

  TextTable table(/*last_is_text=*/true);
  table.AddRow({"op", "count", "ops/s", "p50", "p90", "p99", "p99.9", "max", "errors"});
  auto add = [&](const std::string& name, const OpStats& stats, double per_second) {
    const Histogram& h = stats.latency;
    table.AddRow({name, absl::StrCat(stats.count()), FormatRate(per_second), LatencyAt(h, 50),
                  LatencyAt(h, 90), LatencyAt(h, 99), LatencyAt(h, 99.9), LatencyAt(h, 100),
                  FormatErrors(stats.errors)});
  };
  for (int kind = 0; kind < kNumOpKinds; ++kind) {
    if (!HasKind(r, kind)) continue;
    add(std::string(OpName(static_cast<OpKind>(kind))), r.ops[kind],
        r.Throughput(static_cast<OpKind>(kind)));
  }
  add("all", r.all, r.Throughput());
  out += table.Render();

  if (r.fanout_lag.count() > 0 || r.fanout_missing > 0 || !r.fanout_errors.empty()) {
    const Histogram& lag = r.fanout_lag;
    absl::StrAppend(&out, "fanout lag (post acknowledged -> visible in a follower's home): n=",
                    lag.count(), ", p50 ", LatencyAt(lag, 50), ", p90 ", LatencyAt(lag, 90),
                    ", p99 ", LatencyAt(lag, 99), ", max ", LatencyAt(lag, 100), "; missing ",
                    r.fanout_missing, "; errors ", FormatErrors(r.fanout_errors), "\n");
  }
  // More than 1% late means the schedule, not the server, set part of the latencies.
  if (r.options.rate > 0 && r.issued > 0 && r.late_sends * 100 > r.issued) {
    absl::StrAppendFormat(
        &out,
        "warning: %.1f%% of sends left more than 1 ms after their intended time (the client "
        "or --concurrency was the limit; latencies include that wait, as they should)\n",
        100.0 * static_cast<double>(r.late_sends) / static_cast<double>(r.issued));
  }
  return out;
}

std::string FormatComparison(const RunResult& roost, const RunResult& baseline) {
  const int ping = static_cast<int>(OpKind::kPing);
  bool only_ping = HasKind(baseline, ping);
  for (int kind = 0; kind < kNumOpKinds; ++kind) {
    if (kind != ping && HasKind(baseline, kind)) only_ping = false;
  }
  auto p = [](const OpStats& s, double percentile) {
    return static_cast<double>(s.latency.ValueAtPercentile(percentile));
  };
  TextTable table;
  std::string out;
  if (only_ping) {
    // What a call costs when the server does nothing: the floor under every operation.
    const OpStats& empty = baseline.ops[ping];
    out = absl::StrCat(roost.target, " vs ", baseline.target, " (an empty RPC: p50 ",
                       LatencyAt(empty.latency, 50), ", p99 ", LatencyAt(empty.latency, 99), ", ",
                       FormatRate(baseline.Throughput()), " ops/s)\n");
    table.AddRow({"op", "p50", "× empty p50", "p99", "× empty p99"});
    auto add = [&](const std::string& name, const OpStats& s) {
      table.AddRow({name, LatencyAt(s.latency, 50), Ratio(p(s, 50), p(empty, 50)),
                    LatencyAt(s.latency, 99), Ratio(p(s, 99), p(empty, 99))});
    };
    for (int kind = 0; kind < kNumOpKinds; ++kind) {
      if (!HasKind(roost, kind)) continue;
      add(std::string(OpName(static_cast<OpKind>(kind))), roost.ops[kind]);
    }
    add("all", roost.all);
    absl::StrAppend(&out, table.Render(), "throughput: ", roost.target, " ",
                    FormatRate(roost.Throughput()), " ops/s, ", baseline.target, " ",
                    FormatRate(baseline.Throughput()),
                    " ops/s: ", Ratio(roost.Throughput(), baseline.Throughput()), "\n");
    return out;
  }

  const std::string& a = roost.target;
  const std::string& b = baseline.target;
  out = absl::StrCat(a, " vs ", b, " (", b, "/", a, " above 1×: ", a, " is faster)\n");
  const std::string ratio = absl::StrCat(b, "/", a);
  table.AddRow({"op", a + " p50", b + " p50", ratio, a + " p99", b + " p99", ratio, a + " ops/s",
                b + " ops/s"});
  auto add = [&](const std::string& name, const OpStats& x, const OpStats& y, double x_rate,
                 double y_rate) {
    table.AddRow({name, LatencyAt(x.latency, 50), LatencyAt(y.latency, 50),
                  Ratio(p(y, 50), p(x, 50)), LatencyAt(x.latency, 99), LatencyAt(y.latency, 99),
                  Ratio(p(y, 99), p(x, 99)), FormatRate(x_rate), FormatRate(y_rate)});
  };
  for (int kind = 0; kind < kNumOpKinds; ++kind) {
    if (!HasKind(roost, kind) || !HasKind(baseline, kind)) continue;
    const OpKind k = static_cast<OpKind>(kind);
    add(std::string(OpName(k)), roost.ops[kind], baseline.ops[kind], roost.Throughput(k),
        baseline.Throughput(k));
  }
  add("all", roost.all, baseline.all, roost.Throughput(), baseline.Throughput());
  return out + table.Render();
}

nlohmann::json ToJson(const RunResult& r) {
  const double seconds = absl::ToDoubleSeconds(r.measured);
  nlohmann::json ops = nlohmann::json::object();
  for (int kind = 0; kind < kNumOpKinds; ++kind) {
    if (!HasKind(r, kind)) continue;
    const OpStats& s = r.ops[kind];
    ops[std::string(OpName(static_cast<OpKind>(kind)))] =
        LatencyJson(s.latency, s.ok, seconds, s.errors);
  }
  // The lag has the operations' shape; its `ok` counts the probes that saw the tweet.
  nlohmann::json fanout = LatencyJson(r.fanout_lag, r.fanout_lag.count(), seconds, r.fanout_errors);
  fanout["missing"] = r.fanout_missing;

  nlohmann::json intervals = nlohmann::json::array();
  for (const Interval& interval : r.intervals) {
    nlohmann::json completed = nlohmann::json::object();
    for (int kind = 0; kind < kNumOpKinds; ++kind) {
      if (interval.completed[kind] > 0) {
        completed[std::string(OpName(static_cast<OpKind>(kind)))] = interval.completed[kind];
      }
    }
    intervals.push_back({{"end_s", interval.end_seconds},
                         {"warmup", interval.warmup},
                         {"completed", std::move(completed)},
                         {"errors", interval.errors},
                         {"p50_ns", interval.p50_ns},
                         {"p99_ns", interval.p99_ns},
                         {"max_ns", interval.max_ns}});
  }
  return {{"target", r.target},
          {"mode", r.options.rate > 0 ? "open" : "closed"},
          {"rate", r.options.rate},
          {"concurrency", r.options.concurrency},
          {"duration_s", absl::ToDoubleSeconds(r.options.duration)},
          {"warmup_s", absl::ToDoubleSeconds(r.options.warmup)},
          {"measured_s", seconds},
          {"issued", r.issued},
          {"late_sends", r.late_sends},
          {"exhausted", r.exhausted},
          {"stopped", r.stopped},
          {"ops", std::move(ops)},
          {"all", LatencyJson(r.all.latency, r.all.ok, seconds, r.all.errors)},
          {"fanout_lag", std::move(fanout)},
          {"intervals", std::move(intervals)}};
}

absl::Status WriteJson(const std::vector<RunResult>& runs, const std::string& path) {
  nlohmann::json list = nlohmann::json::array();
  for (const RunResult& r : runs) list.push_back(ToJson(r));
  const nlohmann::json doc = {{"runs", std::move(list)}};
  return WriteFile(path, doc.dump(1) + "\n");
}

absl::Status WriteReport(const std::vector<RunResult>& runs, const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", error.message()));
  // Absolute, because gnuplot resolves the script's paths from its own working directory.
  const std::filesystem::path root = std::filesystem::absolute(dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat("cannot resolve ", dir, ": ", error.message()));
  }

  if (absl::Status s = WriteJson(runs, (root / "results.json").string()); !s.ok()) return s;
  if (absl::Status s = RenderCharts(runs, root); !s.ok()) return s;
  return WriteFile((root / "index.html").string(), IndexHtml(runs));
}

}  // namespace roost::loadgen
