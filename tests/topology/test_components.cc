#include "tests/topology/test_components.h"

#include <algorithm>
#include <utility>

#include "gtest/gtest.h"

namespace roost::topology::test {

void Feed::Push(Item item) {
  absl::MutexLock lock(&mu_);
  items_.push_back(std::move(item));
}

void Feed::PushRange(LogOffset first, LogOffset last, StreamId stream) {
  absl::MutexLock lock(&mu_);
  for (LogOffset offset = first; offset <= last; ++offset) {
    items_.push_back(Item{offset, stream, static_cast<int64_t>(offset)});
  }
}

bool Feed::WaitEmitted(size_t n, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return emitted_ >= n; };
  return mu_.AwaitWithDeadline(absl::Condition(&done), deadline);
}

LogOffset Feed::last_committed() const {
  absl::MutexLock lock(&mu_);
  return committed_.empty() ? 0 : committed_.back();
}

std::vector<LogOffset> Feed::committed() const {
  absl::MutexLock lock(&mu_);
  return committed_;
}

int Feed::closes() const {
  absl::MutexLock lock(&mu_);
  return closes_;
}

absl::Status FeedSpout::NextBatch(absl::Time deadline, SpoutCollector& out) {
  std::vector<Item> batch;
  {
    absl::MutexLock lock(&feed_->mu_);
    auto ready = [this]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(feed_->mu_) { return !feed_->items_.empty(); };
    feed_->mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
    while (!feed_->items_.empty() && batch.size() < feed_->per_batch_) {
      batch.push_back(std::move(feed_->items_.front()));
      feed_->items_.pop_front();
    }
  }
  // Emit outside the lock: Emit may wait for back pressure.
  for (Item& item : batch) out.Emit(item.offset, item.stream, std::move(item.value));
  absl::MutexLock lock(&feed_->mu_);
  feed_->emitted_ += batch.size();
  return absl::OkStatus();
}

void FeedSpout::Committed(LogOffset offset) {
  absl::MutexLock lock(&feed_->mu_);
  feed_->committed_.push_back(offset);
}

void FeedSpout::Close() {
  absl::MutexLock lock(&feed_->mu_);
  ++feed_->closes_;
}

void Recorder::Add(Record record) {
  absl::MutexLock lock(&mu_);
  records_.push_back(record);
}

bool Recorder::WaitCount(size_t n, absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return records_.size() >= n; };
  return mu_.AwaitWithDeadline(absl::Condition(&done), deadline);
}

std::vector<Record> Recorder::records() const {
  absl::MutexLock lock(&mu_);
  return records_;
}

std::vector<std::vector<int64_t>> Recorder::ByTask(int parallelism) const {
  absl::MutexLock lock(&mu_);
  std::vector<std::vector<int64_t>> by_task(parallelism);
  for (const Record& r : records_) by_task.at(r.task).push_back(r.value);
  return by_task;
}

int Recorder::cleanups() const {
  absl::MutexLock lock(&mu_);
  return cleanups_;
}

void Recorder::AddCleanup() {
  absl::MutexLock lock(&mu_);
  ++cleanups_;
}

absl::Status RecordingBolt::Prepare(const TaskContext& context) {
  task_ = context.task_index;
  return absl::OkStatus();
}

absl::Status RecordingBolt::Execute(const Tuple& input, Emitter& out) {
  const int64_t value = std::any_cast<int64_t>(input.value);
  recorder_->Add(Record{task_, input.offset, input.stream, value});
  if (forward_stream_ >= 0) out.Emit(forward_stream_, value * 2);
  return absl::OkStatus();
}

std::unique_ptr<Topology> StartTopology(TopologyBuilder builder, TopologyOptions options) {
  auto topology = Topology::Create(std::move(builder), std::move(options));
  if (!topology.ok()) {
    ADD_FAILURE() << "Create: " << topology.status();
    return nullptr;
  }
  if (absl::Status status = (*topology)->Start(); !status.ok()) {
    ADD_FAILURE() << "Start: " << status;
    return nullptr;
  }
  return *std::move(topology);
}

TopologyBuilder SourceToSink(std::shared_ptr<Feed> feed, std::shared_ptr<Recorder> sink) {
  TopologyBuilder builder;
  builder.AddSpout("source", FeedSpouts(std::move(feed)));
  builder.AddBolt("sink", RecordingBolts(std::move(sink))).Shuffle("source");
  return builder;
}

int64_t MetricValue(const MetricsRegistry& registry, const std::string& name) {
  auto snapshot = registry.Snapshot();
  auto it = snapshot.find(name);
  return it == snapshot.end() ? 0 : it->second;
}

}  // namespace roost::topology::test
