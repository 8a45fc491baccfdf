// The Topology implementation: instantiates a validated spec (instances, queues,
// routes, workers), and runs and stops it.
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "topology/outbox.h"
#include "topology/runtime.h"
#include "topology/spout_runner.h"
#include "topology/topology.h"
#include "topology/topology_metrics.h"
#include "topology/topology_spec.h"
#include "topology/worker.h"

namespace roost::topology {
namespace {

void PrintDeadLetter(const std::string& component, const Tuple& tuple, const absl::Status& error) {
  absl::FPrintF(stderr, "topology: dead letter in '%s' at offset %d: %s\n", component, tuple.offset,
                error.ToString());
}

int SpoutInstances(const TopologyBuilder::Impl& spec) {
  int n = 0;
  for (const ComponentSpec& c : spec.components) n += c.is_spout() ? c.parallelism : 0;
  return n;
}

int WorkerCount(int requested) {
  if (requested > 0) return requested;
  unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : static_cast<int>(hardware);
}

class Engine final : public Topology {
 public:
  Engine(const TopologyBuilder::Impl& spec, TopologyOptions options)
      : owned_metrics_(options.metrics == nullptr ? std::make_unique<MetricsRegistry>() : nullptr),
        metrics_(options.metrics != nullptr ? options.metrics : owned_metrics_.get()),
        runtime_(SpoutInstances(spec), std::move(options)) {}

  ~Engine() override {
    Stop();
    for (const std::string& gauge : gauges_) metrics_->RemoveGauge(gauge);
  }

  // Creates every instance, queue, route and worker of `spec`.
  absl::Status Instantiate(const TopologyBuilder::Impl& spec);

  absl::Status Start() override ABSL_LOCKS_EXCLUDED(lifecycle_mu_);
  void Stop() override ABSL_LOCKS_EXCLUDED(lifecycle_mu_);

  LogOffset committed_offset() const override { return runtime_.tracker().committed(); }
  bool WaitForCommitted(LogOffset offset, absl::Time deadline) const override {
    return runtime_.tracker().WaitForCommitted(offset, deadline);
  }
  absl::Status status() const override { return runtime_.first_error(); }

 private:
  enum class State { kCreated, kRunning, kStopped };

  // The streams of component `producer` and the queues of the bolts subscribed to
  // them, for its instance `task_index`.
  Outbox MakeOutbox(const TopologyBuilder::Impl& spec, size_t producer, int task_index);
  void AddGauge(std::string name, std::function<int64_t()> read);
  void RegisterGauges(const TopologyBuilder::Impl& spec);
  // Undoes Prepare and Open for the first `bolts` bolt and `spouts` spout instances.
  void Unprepare(size_t bolts, size_t spouts);

  std::unique_ptr<MetricsRegistry> owned_metrics_;
  MetricsRegistry* const metrics_;
  Runtime runtime_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<BoltTask>> bolts_;  // by component, then task index
  std::vector<std::unique_ptr<SpoutRunner>> spouts_;
  // Per component, its first BoltTask in bolts_ (bolts only).
  std::vector<size_t> first_task_;
  std::vector<std::string> gauges_;

  absl::Mutex lifecycle_mu_;
  State state_ ABSL_GUARDED_BY(lifecycle_mu_) = State::kCreated;
};

absl::Status Engine::Instantiate(const TopologyBuilder::Impl& spec) {
  const TopologyOptions& options = runtime_.options();
  const int worker_count = WorkerCount(options.worker_threads);
  for (int i = 0; i < worker_count; ++i) workers_.push_back(std::make_unique<Worker>(&runtime_));

  std::vector<ComponentMetrics> metrics;
  for (const ComponentSpec& c : spec.components) {
    metrics.push_back(RegisterComponentMetrics(*metrics_, c.name));
  }
  const Watermarks watermarks{options.queue_low_watermark, options.queue_high_watermark};
  first_task_.assign(spec.components.size(), 0);
  size_t next_worker = 0;
  int next_spout = 0;
  for (size_t c = 0; c < spec.components.size(); ++c) {
    const ComponentSpec& component = spec.components[c];
    first_task_[c] = bolts_.size();
    for (int i = 0; i < component.parallelism; ++i) {
      TaskContext context{component.name, i, component.parallelism};
      if (component.is_spout()) {
        std::unique_ptr<Spout> spout = component.spout();
        if (spout == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("the factory of spout '", component.name, "' returned null"));
        }
        spouts_.push_back(std::make_unique<SpoutRunner>(std::move(spout), std::move(context),
                                                        next_spout++, &runtime_));
        continue;
      }
      std::unique_ptr<Bolt> bolt = component.bolt();
      if (bolt == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("the factory of bolt '", component.name, "' returned null"));
      }
      // Round robin, so the instances of one component spread over the workers.
      Worker& worker = *workers_[next_worker++ % workers_.size()];
      bolts_.push_back(std::make_unique<BoltTask>(std::move(bolt), std::move(context), metrics[c],
                                                  watermarks, &runtime_.gate(), worker.wakeup()));
      bolts_.back()->instance_executed =
          metrics_->GetCounter(InstanceMetricName(component.name, i, "executed"));
      worker.Assign(bolts_.back().get());
    }
  }
  // Outboxes last: they point at the queues of every subscriber.
  size_t spout = 0;
  for (size_t c = 0; c < spec.components.size(); ++c) {
    const ComponentSpec& component = spec.components[c];
    for (int i = 0; i < component.parallelism; ++i) {
      if (component.is_spout()) {
        spouts_[spout++]->SetOutbox(MakeOutbox(spec, c, i));
      } else {
        bolts_[first_task_[c] + i]->outbox.emplace(MakeOutbox(spec, c, i));
      }
    }
  }
  RegisterGauges(spec);
  return absl::OkStatus();
}

Outbox Engine::MakeOutbox(const TopologyBuilder::Impl& spec, size_t producer, int task_index) {
  const ComponentSpec& source = spec.components[producer];
  std::vector<StreamRoutes> streams;
  std::vector<InputQueue*> destinations;
  for (size_t c = 0; c < spec.components.size(); ++c) {
    const ComponentSpec& subscriber = spec.components[c];
    // One set of buffers per subscriber, shared by all the streams it takes from this
    // producer, so that its input from this instance stays in emission order.
    size_t first_buffer = destinations.size();
    bool has_buffers = false;
    for (const Subscription& input : subscriber.inputs) {
      if (input.source != source.name) continue;
      if (!has_buffers) {
        for (int i = 0; i < subscriber.parallelism; ++i) {
          destinations.push_back(&bolts_[first_task_[c] + i]->queue);
        }
        has_buffers = true;
      }
      StreamRoutes* stream = nullptr;
      for (StreamRoutes& s : streams) {
        if (s.stream == input.stream) stream = &s;
      }
      if (stream == nullptr) stream = &streams.emplace_back(StreamRoutes{input.stream, {}});
      // Shuffles of different producer instances start at different subscribers.
      stream->routes.push_back(Route{input.grouping, input.key, first_buffer,
                                     subscriber.parallelism, task_index % subscriber.parallelism});
    }
  }
  return Outbox(std::move(streams), std::move(destinations), runtime_.options().batch_size,
                &runtime_.in_flight(), RegisterComponentMetrics(*metrics_, source.name).emitted);
}

void Engine::AddGauge(std::string name, std::function<int64_t()> read) {
  metrics_->SetGauge(name, std::move(read));
  gauges_.push_back(std::move(name));
}

void Engine::RegisterGauges(const TopologyBuilder::Impl& spec) {
  for (size_t c = 0; c < spec.components.size(); ++c) {
    const ComponentSpec& component = spec.components[c];
    if (component.is_spout()) continue;
    std::vector<const InputQueue*> queues;
    for (int i = 0; i < component.parallelism; ++i) {
      const InputQueue* queue = &bolts_[first_task_[c] + i]->queue;
      queues.push_back(queue);
      AddGauge(InstanceMetricName(component.name, i, "queue_depth"),
               [queue] { return static_cast<int64_t>(queue->depth()); });
    }
    AddGauge(MetricName(component.name, "queue_depth"), [queues] {
      int64_t sum = 0;
      for (const InputQueue* queue : queues) sum += static_cast<int64_t>(queue->depth());
      return sum;
    });
    AddGauge(MetricName(component.name, "queue_depth_max"), [queues] {
      int64_t max = 0;
      for (const InputQueue* queue : queues) {
        max = std::max(max, static_cast<int64_t>(queue->max_depth()));
      }
      return max;
    });
  }
  AddGauge("topology.committed_offset",
           [this] { return static_cast<int64_t>(runtime_.tracker().committed()); });
  AddGauge("topology.in_flight", [this] { return runtime_.in_flight().count(); });
}

void Engine::Unprepare(size_t bolts, size_t spouts) {
  for (size_t i = 0; i < spouts; ++i) spouts_[i]->Close();
  for (size_t i = 0; i < bolts; ++i) bolts_[i]->bolt->Cleanup();
}

absl::Status Engine::Start() {
  absl::MutexLock lock(&lifecycle_mu_);
  if (state_ != State::kCreated) {
    return absl::FailedPreconditionError("a topology can be started only once");
  }
  for (size_t i = 0; i < bolts_.size(); ++i) {
    if (absl::Status status = bolts_[i]->bolt->Prepare(bolts_[i]->context); !status.ok()) {
      Unprepare(i, 0);
      state_ = State::kStopped;
      return TaskError(status, "bolt", bolts_[i]->context);
    }
  }
  for (size_t i = 0; i < spouts_.size(); ++i) {
    if (absl::Status status = spouts_[i]->Open(); !status.ok()) {
      Unprepare(bolts_.size(), i);
      state_ = State::kStopped;
      return TaskError(status, "spout", spouts_[i]->context());
    }
  }
  for (auto& worker : workers_) worker->Start();
  for (auto& spout : spouts_) spout->Start();
  state_ = State::kRunning;
  return absl::OkStatus();
}

void Engine::Stop() {
  absl::MutexLock lock(&lifecycle_mu_);
  if (state_ != State::kRunning) {
    state_ = State::kStopped;
    return;
  }
  // Ticks first: once the spouts are gone, only ticks could add work from nothing.
  runtime_.DisableTicks();
  runtime_.StopSpouts();
  for (auto& spout : spouts_) spout->Join();
  runtime_.in_flight().WaitIdle();
  // Everything emitted is executed, so every root is complete and the final commit
  // is known.
  for (auto& spout : spouts_) spout->Close();
  for (auto& worker : workers_) worker->RequestStop();
  for (auto& worker : workers_) worker->Join();
  state_ = State::kStopped;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Topology>> Topology::Create(TopologyBuilder builder,
                                                           TopologyOptions options) {
  if (builder.impl_ == nullptr) return absl::InvalidArgumentError("the builder was moved from");
  if (absl::Status status = Validate(*builder.impl_, options); !status.ok()) return status;
  if (!options.dead_letter) options.dead_letter = PrintDeadLetter;
  auto engine = std::make_unique<Engine>(*builder.impl_, std::move(options));
  if (absl::Status status = engine->Instantiate(*builder.impl_); !status.ok()) return status;
  return engine;
}

}  // namespace roost::topology
