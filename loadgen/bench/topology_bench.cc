// Benchmarks of the topology engine, in-process and through the public
// topology API only (topology/topology.h):
//
// - BM_WordCount/workers:W/split:S/count:C/packed:P/high:H: the classic word count,
//   sentences -> split (shuffle) -> count (fields by word), as fast as it goes, with
//   the engine's normal reliability: the spout emits every sentence with its offset,
//   each NextBatch call is a root, and a run ends when committed_offset() reaches the
//   last sentence. Counts the tuples every bolt executed (a sentence at split, each word at count)
//   per second, per core of the machine, and sentences/s; and the latency from the spout's Emit to
//   the count bolt executing the word (the timestamp travels in the tuple value), at saturation, so
//   mostly time queued behind the back-pressure watermarks. W worker threads, S split and C count
//   instances, queue high watermark H (low H/4); P=0 carries text (strings, a heap allocation per
//   tuple), P=1 8-byte packed values (no allocation: nearly all of what remains is the engine). The
//   counts are checked exactly. cpu_cores_used and other_cores_used tell how much of
//   the machine the run had: it is shared.
// - BM_WordCountPaced/rate: the same topology at a fixed sentence rate below
//   saturation: the latency without a standing queue.
// - BM_BackPressure: a spout as fast as it goes into a bolt that spins ~100x longer per
//   tuple than the engine needs to move one; for 5 s it samples the process RSS, the
//   queue depth and the spouts' paused time every 100 ms. Memory should stay flat and
//   the queue under the high watermark plus a batch. The series goes to stderr.
//
// The engine has no mode without tracking: every spout NextBatch call that emits opens
// a root (ack_tracker.h), so there is no "acking off" variant to compare with. Its cost
// is per batch, not per tuple (a root per NextBatch call, an atomic add per hand-off
// and per executed chunk); under perf the tracker's functions take ~0.1% of samples.
//
// Every run is bounded in count (sentences or tuples emitted) and in time.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <any>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "common/metrics.h"
#include "common/stable_hash.h"
#include "loadgen/bench/bench_clock.h"
#include "loadgen/histogram.h"
#include "topology/topology.h"
#include "topology/typed_stream.h"

namespace roost::loadgen {
namespace {

using topology::Bolt;
using topology::Emitter;
using topology::Spout;
using topology::SpoutCollector;
using topology::Topology;
using topology::TopologyBuilder;
using topology::TopologyOptions;
using topology::Tuple;
using topology::TypedStream;

// The machine's cores: per-core figures divide by it.
const int kCores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
// Every run commits this many sentences (about 8 words each; 5x more with packed
// values, which go faster), or fails after kTimeLimit.
constexpr LogOffset kSentences = 2'000'000;
constexpr LogOffset kPackedSentences = 10'000'000;
constexpr absl::Duration kTimeLimit = absl::Seconds(60);
// The spout emits this many sentences per NextBatch call (one root each).
constexpr int kSpoutBatch = 256;
// One sentence in this many carries an emit timestamp, and its words are timed at the
// count bolt: reading the clock (kvm-clock here) on every tuple would cost more than
// some of what is measured.
constexpr LogOffset kLatencySampleEvery = 16;

// ---- The word count ----

// A fixed corpus of sentences, 4 to 12 words (8 on average) drawn uniformly from 1,000
// words of 3 to 9 letters. Sentence i of the run (offset i) is sentences[(i-1) % size].
struct Corpus {
  std::vector<std::string> sentences;
  std::vector<int64_t> words;              // per sentence
  std::vector<std::vector<uint64_t>> ids;  // per sentence, its words' vocabulary indexes
  size_t vocabulary = 0;
};

const Corpus& TheCorpus() {
  static const Corpus* const corpus = [] {
    auto* c = new Corpus;
    std::mt19937_64 rng(5);
    std::vector<std::string> vocabulary;
    for (int i = 0; i < 1000; ++i) {
      std::string word;
      const int letters = 3 + static_cast<int>(rng() % 7);
      for (int l = 0; l < letters; ++l) word += static_cast<char>('a' + rng() % 26);
      vocabulary.push_back(std::move(word));
    }
    for (int s = 0; s < 4096; ++s) {
      const int words = 4 + static_cast<int>(rng() % 9);
      std::string sentence;
      std::vector<uint64_t> ids;
      for (int w = 0; w < words; ++w) {
        if (w > 0) sentence += ' ';
        ids.push_back(rng() % vocabulary.size());
        sentence += vocabulary[ids.back()];
      }
      c->sentences.push_back(std::move(sentence));
      c->words.push_back(words);
      c->ids.push_back(std::move(ids));
    }
    c->vocabulary = vocabulary.size();
    return c;
  }();
  return *corpus;
}

const std::string& SentenceAt(LogOffset offset) {
  const Corpus& corpus = TheCorpus();
  return corpus.sentences[(offset - 1) % corpus.sentences.size()];
}

int64_t WordsUpTo(LogOffset last) {
  const Corpus& corpus = TheCorpus();
  int64_t words = 0;
  for (LogOffset offset = 1; offset <= last; ++offset) {
    words += corpus.words[(offset - 1) % corpus.words.size()];
  }
  return words;
}

// The tuple values. A sentence points into the corpus (as a record read from a log
// buffer would); words are copied out. emitted_ns is 0 on sentences not sampled.
// Both are larger than std::any's inline storage (one pointer), so each tuple costs a
// heap allocation, freed by its consumer, as any realistic value does.
struct Sentence {
  const std::string* text;
  int64_t emitted_ns;
};
struct Word {
  std::string text;
  int64_t emitted_ns;
};
constexpr TypedStream<Sentence> kSentenceStream{0};  // sentences -> split
constexpr TypedStream<Word> kWordStream{0};          // split -> count

// The packed variant, to see the engine without that allocation: a value is one
// uint64_t, which std::any stores inline: a sentence's corpus index or a word's
// vocabulary index in the top 16 bits, the emit time (ns since Epoch(), plus one) in
// the low 48, 0 when not sampled. Split then walks the sentence's pre-tokenized word
// indexes and count increments an array: what remains is nearly all engine.
constexpr int kStampBits = 48;
constexpr uint64_t kStampMask = (uint64_t{1} << kStampBits) - 1;
constexpr TypedStream<uint64_t> kPackedStream{0};  // both streams, packed

int64_t Epoch() {
  static const int64_t epoch = NowNs();
  return epoch;
}
uint64_t Stamp() { return static_cast<uint64_t>(NowNs() - Epoch() + 1); }
uint64_t Pack(uint64_t index, uint64_t stamp) { return index << kStampBits | stamp; }
uint64_t IndexOf(uint64_t packed) { return packed >> kStampBits; }
uint64_t StampOf(uint64_t packed) { return packed & kStampMask; }

// Emits offsets 1..limit, kSpoutBatch per call; at `rate` sentences/s when rate > 0.
class SentenceSpout : public Spout {
 public:
  SentenceSpout(LogOffset limit, double rate, bool packed)
      : limit_(limit), rate_(rate), packed_(packed) {}

  absl::Status NextBatch(absl::Time deadline, SpoutCollector& out) override {
    if (next_ > limit_) {
      absl::SleepFor(deadline - absl::Now());  // all emitted: idle, as at a log's tail
      return absl::OkStatus();
    }
    LogOffset end = std::min(limit_ + 1, next_ + kSpoutBatch);
    if (rate_ > 0) {
      const int64_t now = NowNs();
      if (start_ns_ == 0) start_ns_ = now;
      // Sentence i is due at start + (i - 1) / rate.
      const double elapsed_s = static_cast<double>(now - start_ns_) / 1e9;
      const auto due = static_cast<LogOffset>(elapsed_s * rate_) + 1;
      if (due < next_) {
        const int64_t at =
            start_ns_ + static_cast<int64_t>(static_cast<double>(next_ - 1) * 1e9 / rate_);
        absl::SleepFor(std::min(absl::Nanoseconds(at - now), deadline - absl::Now()));
        return absl::OkStatus();
      }
      end = std::min(end, due + 1);
    }
    const Corpus& corpus = TheCorpus();
    for (; next_ < end; ++next_) {
      const bool sampled = next_ % kLatencySampleEvery == 0;
      if (packed_) {
        kPackedStream.Emit(out, next_,
                           Pack((next_ - 1) % corpus.sentences.size(), sampled ? Stamp() : 0));
      } else {
        kSentenceStream.Emit(out, next_, Sentence{&SentenceAt(next_), sampled ? NowNs() : 0});
      }
    }
    return absl::OkStatus();
  }

 private:
  const LogOffset limit_;
  const double rate_;
  const bool packed_;
  LogOffset next_ = 1;
  int64_t start_ns_ = 0;
};

class SplitBolt : public Bolt {
 public:
  absl::Status Execute(const Tuple& input, Emitter& out) override {
    const auto& sentence = kSentenceStream.Get(input);
    const absl::string_view text = *sentence.text;
    size_t start = 0;
    while (start < text.size()) {
      size_t space = text.find(' ', start);
      if (space == absl::string_view::npos) space = text.size();
      if (space > start) {
        kWordStream.Emit(out,
                         Word{std::string(text.substr(start, space - start)), sentence.emitted_ns});
      }
      start = space + 1;
    }
    return absl::OkStatus();
  }
};

class PackedSplitBolt : public Bolt {
 public:
  absl::Status Execute(const Tuple& input, Emitter& out) override {
    const uint64_t sentence = kPackedStream.Get(input);
    for (uint64_t id : TheCorpus().ids[IndexOf(sentence)]) {
      kPackedStream.Emit(out, Pack(id, StampOf(sentence)));
    }
    return absl::OkStatus();
  }
};

// What the count instances hand over at Cleanup.
struct CountResults {
  absl::Mutex mu;
  Histogram latency ABSL_GUARDED_BY(mu);
  int64_t words ABSL_GUARDED_BY(mu) = 0;
};

class CountBolt : public Bolt {
 public:
  explicit CountBolt(std::shared_ptr<CountResults> results) : results_(std::move(results)) {}

  absl::Status Execute(const Tuple& input, Emitter& out) override {
    const auto& word = kWordStream.Get(input);
    ++counts_[word.text];
    if (word.emitted_ns != 0) latency_.Record(static_cast<uint64_t>(NowNs() - word.emitted_ns));
    return absl::OkStatus();
  }

  void Cleanup() override {
    int64_t words = 0;
    for (const auto& [text, count] : counts_) words += count;
    absl::MutexLock lock(&results_->mu);
    results_->latency.Merge(latency_);
    results_->words += words;
  }

 private:
  std::shared_ptr<CountResults> results_;
  absl::flat_hash_map<std::string, int64_t> counts_;
  Histogram latency_;
};

class PackedCountBolt : public Bolt {
 public:
  explicit PackedCountBolt(std::shared_ptr<CountResults> results)
      : results_(std::move(results)), counts_(TheCorpus().vocabulary) {}

  absl::Status Execute(const Tuple& input, Emitter& out) override {
    const uint64_t word = kPackedStream.Get(input);
    ++counts_[IndexOf(word)];
    if (StampOf(word) != 0) latency_.Record(Stamp() - StampOf(word));
    return absl::OkStatus();
  }

  void Cleanup() override {
    int64_t words = 0;
    for (int64_t count : counts_) words += count;
    absl::MutexLock lock(&results_->mu);
    results_->latency.Merge(latency_);
    results_->words += words;
  }

 private:
  std::shared_ptr<CountResults> results_;
  std::vector<int64_t> counts_;
  Histogram latency_;
};

struct WordCountConfig {
  int workers = kCores;
  int split = 1;
  int count = 1;
  LogOffset sentences = kSentences;
  double rate = 0;  // sentences/s; 0: as fast as it goes
  bool packed = false;
  size_t high_watermark = 0;  // 0: the engine's default (2048, low 512)
};

// The word count's topology: sentences -> split (shuffle) -> count (fields by word).
TopologyBuilder WordCount(const WordCountConfig& config, std::shared_ptr<CountResults> results) {
  TopologyBuilder builder;
  const LogOffset limit = config.sentences;
  const double rate = config.rate;
  const bool packed = config.packed;
  builder.AddSpout("sentences", [limit, rate, packed] {
    return std::make_unique<SentenceSpout>(limit, rate, packed);
  });
  if (packed) {
    builder
        .AddBolt(
            "split", [] { return std::make_unique<PackedSplitBolt>(); }, config.split)
        .Shuffle("sentences");
    builder
        .AddBolt(
            "count", [results] { return std::make_unique<PackedCountBolt>(results); }, config.count)
        .Fields("split", kPackedStream, [](uint64_t word) { return StableHash(IndexOf(word)); });
  } else {
    builder
        .AddBolt(
            "split", [] { return std::make_unique<SplitBolt>(); }, config.split)
        .Shuffle("sentences");
    builder
        .AddBolt(
            "count", [results] { return std::make_unique<CountBolt>(results); }, config.count)
        .Fields("split", kWordStream,
                [](const Word& word) { return std::hash<std::string>{}(word.text); });
  }
  return builder;
}

// What a finished run reports: rates over `seconds`, the CPU it and the rest of the
// machine used, and the latency.
void ReportWordCount(benchmark::State& state, double tuples, LogOffset sentences, double seconds,
                     int64_t cpu_ns, int64_t busy_ns, const Histogram& latency) {
  state.counters["tuples_per_s"] = tuples / seconds;
  state.counters["tuples_per_s_per_core"] = tuples / seconds / kCores;
  state.counters["sentences_per_s"] = static_cast<double>(sentences) / seconds;
  state.counters["seconds"] = seconds;
  // How much of the machine's cores the run kept busy (all threads, until the last
  // commit).
  state.counters["cpu_cores_used"] = static_cast<double>(cpu_ns) / 1e9 / seconds;
  // What the rest of the machine (other processes, the hypervisor's steal) took
  // meanwhile: on a shared machine, a run with more than ~0.1 here was disturbed.
  state.counters["other_cores_used"] =
      std::max(0.0, static_cast<double>(busy_ns - cpu_ns) / 1e9 / seconds);
  state.counters["latency_p50_us"] = static_cast<double>(latency.ValueAtPercentile(50)) / 1e3;
  state.counters["latency_p99_us"] = static_cast<double>(latency.ValueAtPercentile(99)) / 1e3;
  state.counters["latency_max_us"] = static_cast<double>(latency.max()) / 1e3;
  state.counters["latency_samples"] = static_cast<double>(latency.count());
}

// Runs the word count once, from Start until the last sentence is committed, and
// reports it on `state`. False (with the state skipped) when it failed.
bool RunWordCount(benchmark::State& state, const WordCountConfig& config) {
  auto results = std::make_shared<CountResults>();
  MetricsRegistry metrics;
  const LogOffset limit = config.sentences;
  TopologyBuilder builder = WordCount(config, results);
  std::atomic<int64_t> committed_all_ns{0};
  TopologyOptions options;
  options.worker_threads = config.workers;
  options.metrics = &metrics;
  if (config.high_watermark > 0) {
    options.queue_high_watermark = config.high_watermark;
    options.queue_low_watermark = config.high_watermark / 4;  // the defaults' ratio
  }
  options.on_commit = [&committed_all_ns, limit](LogOffset offset) {
    if (offset >= limit && committed_all_ns.load(std::memory_order_relaxed) == 0) {
      committed_all_ns.store(NowNs(), std::memory_order_relaxed);
    }
  };
  absl::StatusOr<std::unique_ptr<Topology>> topology =
      Topology::Create(std::move(builder), std::move(options));
  if (!topology.ok()) {
    state.SkipWithError(topology.status().ToString().c_str());
    return false;
  }
  Epoch();  // fixed before any stamp
  const int64_t start_cpu_ns = ProcessCpuNs();
  const int64_t start_busy_ns = MachineBusyNs();
  const int64_t start_ns = NowNs();
  if (absl::Status status = (*topology)->Start(); !status.ok()) {
    state.SkipWithError(status.ToString().c_str());
    return false;
  }
  const bool committed = (*topology)->WaitForCommitted(limit, absl::Now() + kTimeLimit);
  const int64_t cpu_ns = ProcessCpuNs() - start_cpu_ns;
  const int64_t busy_ns = MachineBusyNs() - start_busy_ns;
  const LogOffset last_commit = (*topology)->committed_offset();
  (*topology)->Stop();
  // How deep the queues got: split's is bounded by the spout's pause, count's is not
  // only by it (split keeps executing its backlog, ~8 words per sentence).
  std::map<std::string, int64_t> snapshot = metrics.Snapshot();
  for (const char* bolt : {"split", "count"}) {
    state.counters[absl::StrCat(bolt, "_queue_max")] =
        static_cast<double>(snapshot[absl::StrCat("topology.", bolt, ".queue_depth_max")]);
  }
  if (!committed) {
    state.SkipWithError(absl::StrCat("committed only ", last_commit, " of ", limit,
                                     " sentences within ", absl::FormatDuration(kTimeLimit))
                            .c_str());
    return false;
  }
  const double seconds = static_cast<double>(committed_all_ns.load() - start_ns) / 1e9;
  auto counter = [&metrics](const std::string& name) { return metrics.GetCounter(name)->Value(); };
  const int64_t split_executed = counter("topology.split.executed");
  const int64_t count_executed = counter("topology.count.executed");
  const int64_t expected_words = WordsUpTo(limit);
  absl::MutexLock lock(&results->mu);
  if (split_executed != static_cast<int64_t>(limit) || count_executed != expected_words ||
      results->words != expected_words || counter("topology.split.failed") != 0 ||
      counter("topology.count.failed") != 0) {
    state.SkipWithError(absl::StrCat("split executed ", split_executed, " of ", limit,
                                     " sentences, count ", count_executed, " (counted ",
                                     results->words, ") of ", expected_words, " words")
                            .c_str());
    return false;
  }
  ReportWordCount(state, static_cast<double>(split_executed + count_executed), limit, seconds,
                  cpu_ns, busy_ns, results->latency);
  return true;
}

void BM_WordCount(benchmark::State& state) {
  WordCountConfig config;
  config.workers = static_cast<int>(state.range(0));
  config.split = static_cast<int>(state.range(1));
  config.count = static_cast<int>(state.range(2));
  config.packed = state.range(3) != 0;
  config.sentences = config.packed ? kPackedSentences : kSentences;
  config.high_watermark = static_cast<size_t>(state.range(4));
  for (auto _ : state) {
    if (!RunWordCount(state, config)) break;
  }
}
BENCHMARK(BM_WordCount)
    ->ArgNames({"workers", "split", "count", "packed", "high"})
    // Watermarks 16384 (low 4096), the engine's default until these runs showed...
    ->Args({1, 1, 1, 0, 16384})
    ->Args({2, 1, 1, 0, 16384})
    ->Args({2, 2, 2, 0, 16384})
    ->Args({2, 2, 4, 0, 16384})
    ->Args({1, 1, 1, 1, 16384})
    ->Args({2, 1, 1, 1, 16384})
    ->Args({2, 2, 2, 1, 16384})
    // ... that 8x lower (2048, low 512, now the default) is faster and 10x lower in
    // latency: split emits ~8 words per sentence it executes, and keeps executing its
    // backlog while the spout is paused, so count's queue reaches ~8x the high
    // watermark, and the saturated latency with it.
    ->Args({1, 1, 1, 0, 2048})
    ->Args({2, 2, 2, 0, 2048})
    ->Args({1, 1, 1, 1, 2048})
    ->Args({2, 2, 2, 1, 2048})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_WordCountPaced(benchmark::State& state) {
  WordCountConfig config;
  config.rate = static_cast<double>(state.range(0));
  config.sentences = static_cast<LogOffset>(config.rate * 3);  // 3 s
  for (auto _ : state) {
    if (!RunWordCount(state, config)) break;
  }
}
BENCHMARK(BM_WordCountPaced)
    ->ArgName("sentences_per_s")
    ->Arg(10'000)
    ->Arg(100'000)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// ---- Back pressure ----

// Emits tuples with consecutive offsets, kSpoutBatch per call, up to `limit`.
class FloodSpout : public Spout {
 public:
  explicit FloodSpout(LogOffset limit) : limit_(limit) {}
  absl::Status NextBatch(absl::Time deadline, SpoutCollector& out) override {
    if (next_ > limit_) {
      absl::SleepFor(deadline - absl::Now());
      return absl::OkStatus();
    }
    const LogOffset end = std::min(limit_ + 1, next_ + kSpoutBatch);
    for (; next_ < end; ++next_) out.Emit(next_, 0, int64_t{0});
    return absl::OkStatus();
  }

 private:
  const LogOffset limit_;
  LogOffset next_ = 1;
};

// Spins `spin_ns` on every tuple (0: does nothing).
class SpinBolt : public Bolt {
 public:
  explicit SpinBolt(int64_t spin_ns) : spin_ns_(spin_ns) {}
  absl::Status Execute(const Tuple& input, Emitter& out) override {
    if (spin_ns_ > 0) {
      const int64_t until = NowNs() + spin_ns_;
      while (NowNs() < until) {
      }
    }
    return absl::OkStatus();
  }

 private:
  const int64_t spin_ns_;
};

int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

struct Sample {
  double t_s;
  int64_t rss;
  int64_t queue_depth;  // topology.slow.queue_depth
  int64_t in_flight;    // topology.in_flight: every tuple queued or executing
  int64_t paused_us;    // topology.slow.back_pressure_micros (finished pauses)
  int64_t pauses;
  int64_t executed;
  int64_t emitted;
};

// flood -> bolt "slow" (1 instance, 1 worker: the spout thread and the worker have a
// core each), spinning `spin_ns` per tuple. Runs `duration`, sampling every
// `interval` into `samples` when given; returns the tuples executed per second.
double RunFlood(int64_t spin_ns, absl::Duration duration, absl::Duration interval,
                std::vector<Sample>* samples, int64_t* queue_depth_max) {
  MetricsRegistry metrics;
  TopologyBuilder builder;
  // Bounded in count too: more than the spout could emit unimpeded in `duration`.
  const auto limit = static_cast<LogOffset>(absl::ToDoubleSeconds(duration) * 100e6);
  builder.AddSpout("flood", [limit] { return std::make_unique<FloodSpout>(limit); });
  builder.AddBolt("slow", [spin_ns] { return std::make_unique<SpinBolt>(spin_ns); })
      .Shuffle("flood");
  TopologyOptions options;
  options.worker_threads = 1;
  options.metrics = &metrics;
  std::unique_ptr<Topology> topology = *Topology::Create(std::move(builder), std::move(options));
  Counter* executed = metrics.GetCounter("topology.slow.executed");
  const int64_t start_ns = NowNs();
  if (!topology->Start().ok()) std::abort();
  const int64_t end_ns = start_ns + absl::ToInt64Nanoseconds(duration);
  if (samples == nullptr) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(end_ns - start_ns));
  } else {
    const int64_t step = absl::ToInt64Nanoseconds(interval);
    for (int64_t at = start_ns + step; at <= end_ns; at += step) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(at - NowNs()));
      const int64_t now = NowNs();
      const std::map<std::string, int64_t> snapshot = metrics.Snapshot();
      auto value = [&snapshot](const std::string& name) {
        auto it = snapshot.find(name);
        return it == snapshot.end() ? int64_t{0} : it->second;
      };
      samples->push_back(Sample{static_cast<double>(now - start_ns) / 1e9, RssBytes(),
                                value("topology.slow.queue_depth"), value("topology.in_flight"),
                                value("topology.slow.back_pressure_micros"),
                                value("topology.slow.back_pressure_pauses"),
                                value("topology.slow.executed"), value("topology.flood.emitted")});
    }
  }
  const int64_t done = executed->Value();
  const double seconds = static_cast<double>(NowNs() - start_ns) / 1e9;
  if (queue_depth_max != nullptr) {
    *queue_depth_max = metrics.Snapshot()["topology.slow.queue_depth_max"];
  }
  topology->Stop();
  return static_cast<double>(done) / seconds;
}

void BM_BackPressure(benchmark::State& state) {
  constexpr double kSlowdown = 100;
  const TopologyOptions defaults;
  for (auto _ : state) {
    // Calibration: how fast the engine moves tuples from this spout through a bolt
    // that does nothing (the better of two 0.5 s runs, against other work); the
    // slow bolt then spins 100x that per-tuple time.
    double unimpeded = 0;
    for (int i = 0; i < 2; ++i) {
      unimpeded = std::max(
          unimpeded, RunFlood(0, absl::Milliseconds(500), absl::ZeroDuration(), nullptr, nullptr));
    }
    const auto spin_ns = static_cast<int64_t>(kSlowdown * 1e9 / unimpeded);
    std::vector<Sample> samples;
    int64_t depth_max = 0;
    const double slow =
        RunFlood(spin_ns, absl::Seconds(5), absl::Milliseconds(100), &samples, &depth_max);
    if (samples.size() < 2) {
      state.SkipWithError("too few samples");
      break;
    }
    const Sample& first = samples.front();
    const Sample& last = samples.back();
    int64_t rss_max = 0, depth_sampled_max = 0, in_flight_max = 0;
    const Sample* at_1s = &first;  // the first sample at or after 1 s: the queue's
                                   // buffers have grown to their size by then
    for (const Sample& s : samples) {
      if (at_1s->t_s < 1.0 && s.t_s >= 1.0) at_1s = &s;
      rss_max = std::max(rss_max, s.rss);
      depth_sampled_max = std::max(depth_sampled_max, s.queue_depth);
      in_flight_max = std::max(in_flight_max, s.in_flight);
    }
    const double window_s = last.t_s - first.t_s;
    state.counters["unimpeded_tuples_per_s"] = unimpeded;
    state.counters["spin_us"] = static_cast<double>(spin_ns) / 1e3;
    state.counters["slow_tuples_per_s"] = slow;
    state.counters["slowdown_x"] = unimpeded / slow;
    state.counters["rss_first_mib"] = static_cast<double>(first.rss) / (1 << 20);
    state.counters["rss_last_mib"] = static_cast<double>(last.rss) / (1 << 20);
    state.counters["rss_max_mib"] = static_cast<double>(rss_max) / (1 << 20);
    state.counters["rss_growth_kib"] = static_cast<double>(last.rss - first.rss) / 1024;
    state.counters["rss_growth_after_1s_kib"] = static_cast<double>(last.rss - at_1s->rss) / 1024;
    state.counters["queue_depth_max"] = static_cast<double>(depth_max);
    state.counters["queue_depth_sampled_max"] = static_cast<double>(depth_sampled_max);
    state.counters["in_flight_sampled_max"] = static_cast<double>(in_flight_max);
    state.counters["high_watermark"] = static_cast<double>(defaults.queue_high_watermark);
    state.counters["paused_pct"] =
        100.0 * static_cast<double>(last.paused_us - first.paused_us) / 1e6 / window_s;
    state.counters["pauses"] = static_cast<double>(last.pauses);
    // Cross-check from the spout's side: the share of its unimpeded rate it emitted.
    state.counters["spout_active_pct"] =
        100.0 * static_cast<double>(last.emitted - first.emitted) / window_s / unimpeded;

    std::fprintf(stderr,
                 "BM_BackPressure samples (spin %.2f us/tuple): t_s rss_mib queue_depth "
                 "in_flight paused_ms pauses executed emitted\n",
                 static_cast<double>(spin_ns) / 1e3);
    for (const Sample& s : samples) {
      std::fprintf(stderr, "  %.2f %.2f %lld %lld %.1f %lld %lld %lld\n", s.t_s,
                   static_cast<double>(s.rss) / (1 << 20), static_cast<long long>(s.queue_depth),
                   static_cast<long long>(s.in_flight), static_cast<double>(s.paused_us) / 1e3,
                   static_cast<long long>(s.pauses), static_cast<long long>(s.executed),
                   static_cast<long long>(s.emitted));
    }
  }
}
BENCHMARK(BM_BackPressure)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace roost::loadgen

BENCHMARK_MAIN();
