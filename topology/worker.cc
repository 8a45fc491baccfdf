#include "topology/worker.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/time/clock.h"
#include "common/thread_name.h"
#include "topology/ack_tracker.h"

namespace roost::topology {
namespace {

// Background steps run only while at most this much work is in flight; a worker
// looks again this soon at background work held back.
constexpr int64_t kBackgroundMaxInFlight = 128;
constexpr std::chrono::milliseconds kBackgroundMaxWait{50};
constexpr absl::Duration kBackgroundRecheck = absl::Milliseconds(1);

// The Emitter a bolt sees: output anchored to the tuple being executed (or, for
// ticks, to nothing).
class AnchoredEmitter final : public Emitter {
 public:
  AnchoredEmitter(Outbox& outbox, LogOffset offset, Root* root)
      : outbox_(outbox), offset_(offset), root_(root) {}

  void Emit(StreamId stream, std::any value) override {
    outbox_.Emit(Envelope{Tuple{offset_, stream, std::move(value)}, root_});
  }

 private:
  Outbox& outbox_;
  const LogOffset offset_;
  Root* const root_;
};

// Gives back one unit per input of [begin, end) to its root, one atomic per run of
// equal roots.
void ReleaseRoots(AckTracker& tracker, const std::vector<Envelope>& inputs, size_t begin,
                  size_t end) {
  Root* run = nullptr;
  int64_t run_length = 0;
  for (size_t i = begin; i < end; ++i) {
    Root* root = inputs[i].root;
    if (root != run) {
      if (run != nullptr) tracker.Done(run, run_length);
      run = root;
      run_length = 0;
    }
    ++run_length;
  }
  if (run != nullptr) tracker.Done(run, run_length);
}

}  // namespace

void Worker::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Worker::RequestStop() {
  stop_.store(true);
  wakeup_.Notify();
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::Run() {
  NameThisThread("roost-worker");
  const absl::Duration period = runtime_->options().tick_period;
  const bool ticking = period > absl::ZeroDuration();
  absl::Time next_tick = ticking ? absl::Now() + period : absl::InfiniteFuture();
  while (true) {
    wakeup_.Clear();
    bool worked = false;
    for (BoltTask* task : tasks_) worked |= RunChunk(*task);
    if (ticking && absl::Now() >= next_tick) {
      for (BoltTask* task : tasks_) Tick(*task);
      // Skip ticks missed while busy rather than firing them in a burst.
      next_tick = std::max(next_tick + period, absl::Now());
    }
    bool held_back = false;
    for (BoltTask* task : tasks_) {
      const Background step = RunBackground(*task);
      worked |= step == Background::kWorked;
      held_back |= step == Background::kHeldBack;
    }
    if (worked) continue;
    // Stop is requested only once nothing is in flight, so no work is left behind.
    if (stop_.load()) break;
    // Nothing wakes a worker when the queues drain, so background work held back by
    // them looks again soon.
    wakeup_.Wait(held_back ? std::min(next_tick, absl::Now() + kBackgroundRecheck) : next_tick);
  }
  for (BoltTask* task : tasks_) task->bolt->Cleanup();
}

bool Worker::RunChunk(BoltTask& task) {
  if (task.next == task.taken.size()) {
    task.taken.clear();
    task.next = 0;
    task.queue.TakeAll(task.taken);
    if (task.taken.empty()) return false;
  }
  const TopologyOptions& options = runtime_->options();
  const size_t begin = task.next;
  const size_t end = std::min(task.taken.size(), begin + options.batch_size);
  ExecuteCounts counts;
  task.background = true;  // the input may have given it some
  const auto start = std::chrono::steady_clock::now();
  if (!task.batches || !ExecuteBatch(task, begin, end, counts)) {
    for (size_t i = begin; i < end; ++i) ExecuteOne(task, task.taken[i], counts);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  task.outbox->Flush();
  ReleaseRoots(runtime_->tracker(), task.taken, begin, end);
  task.next = end;
  task.queue.Consumed(end - begin);
  runtime_->in_flight().Done(static_cast<int64_t>(end - begin));

  const ComponentMetrics& m = task.metrics;
  m.executed->Add(counts.executed);
  m.acked->Add(counts.acked);
  if (counts.failed != 0) m.failed->Add(counts.failed);
  if (counts.dead_lettered != 0) m.dead_lettered->Add(counts.dead_lettered);
  const int64_t nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
  m.execute_nanos->Add(nanos);
  const auto tuples = static_cast<int64_t>(end - begin);
  m.execute_latency->Record(nanos / tuples, tuples);
  if (task.instance_executed != nullptr) task.instance_executed->Add(counts.executed);
  return true;
}

bool Worker::ExecuteBatch(BoltTask& task, size_t begin, size_t end, ExecuteCounts& counts) {
  const size_t n = end - begin;
  std::vector<AnchoredEmitter> emitters;
  std::vector<const Tuple*> inputs;
  std::vector<Emitter*> outs;
  emitters.reserve(n);  // no reallocation: outs points into it
  inputs.reserve(n);
  outs.reserve(n);
  for (size_t i = begin; i < end; ++i) {
    const Envelope& input = task.taken[i];
    emitters.emplace_back(*task.outbox, input.tuple.offset, input.root);
    inputs.push_back(&input.tuple);
    outs.push_back(&emitters.back());
  }
  const absl::Status status = task.bolt->ExecuteBatch(inputs, outs);
  counts.executed += static_cast<int64_t>(n);
  if (status.ok()) {
    counts.acked += static_cast<int64_t>(n);
    return true;
  }
  counts.failed += static_cast<int64_t>(n);
  return false;
}

void Worker::ExecuteOne(BoltTask& task, const Envelope& input, ExecuteCounts& counts) {
  const TopologyOptions& options = runtime_->options();
  AnchoredEmitter emitter(*task.outbox, input.tuple.offset, input.root);
  for (int attempt = 0;; ++attempt) {
    ++counts.executed;
    absl::Status status = task.bolt->Execute(input.tuple, emitter);
    if (status.ok()) {
      ++counts.acked;
      return;
    }
    ++counts.failed;
    if (attempt >= options.max_retries && absl::IsResourceExhausted(status) &&
        runtime_->ticks_enabled()) {
      // Out of a resource that comes back (a full disk): giving the tuple up would
      // stop applying for good; waiting for it, retrying with backoff, lets applying
      // resume by itself. Stop ends the wait (ticks are disabled first), and the
      // tuple is then dead-lettered, so its offset is never committed past.
      absl::SleepFor(
          std::min(absl::Milliseconds(250),
                   absl::Milliseconds(10) * (1 << std::min(attempt - options.max_retries, 5))));
      continue;
    }
    if (attempt >= options.max_retries) {
      ++counts.dead_lettered;
      options.dead_letter(task.context.component, input.tuple, status);
      return;
    }
  }
}

template <typename Call>
void Worker::RunUnanchored(BoltTask& task, Call call) {
  // Counted in flight so that Stop, having disabled ticks, cannot find the bolts idle
  // while a tick or a background step is still emitting.
  InFlight& in_flight = runtime_->in_flight();
  in_flight.Add(1);
  if (runtime_->ticks_enabled()) {
    // Output anchored to nothing: it carries the committed offset (everything up to it
    // is done) and holds back no commit.
    AnchoredEmitter emitter(*task.outbox, runtime_->tracker().committed(), nullptr);
    call(emitter);
    task.outbox->Flush();
  }
  in_flight.Done(1);
}

void Worker::Tick(BoltTask& task) {
  RunUnanchored(task, [&task](Emitter& out) { task.bolt->Tick(out); });
  task.background = true;
}

Worker::Background Worker::RunBackground(BoltTask& task) {
  if (!task.background || !runtime_->ticks_enabled()) return Background::kNone;
  // Background output goes behind whatever the queues hold, and input that arrives
  // meanwhile queues behind that: running only while little is in flight bounds what
  // new input waits for. (The back-pressure gate would allow thousands per queue.)
  // So background work has idle priority, but under a sustained full load it still
  // takes a step every kBackgroundMaxWait rather than starve.
  const auto now = std::chrono::steady_clock::now();
  if (runtime_->in_flight().count() > kBackgroundMaxInFlight &&
      now - task.last_background < kBackgroundMaxWait) {
    return Background::kHeldBack;
  }
  task.last_background = now;
  bool more = false;
  RunUnanchored(task, [&task, &more](Emitter& out) { more = task.bolt->Background(out); });
  task.background = more;
  return more ? Background::kWorked : Background::kNone;
}

}  // namespace roost::topology
