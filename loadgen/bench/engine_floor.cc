#include "loadgen/bench/engine_floor.h"

#include <nats/nats.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "jetstream/connection.h"
#include "jetstream/jetstream_log.h"
#include "loadgen/bench/bench_clock.h"
#include "log/log_reader.h"

namespace roost::loadgen {
namespace {

// A stream of its own for each of the measure's streams, deleted when done.
class FloorStreams {
 public:
  explicit FloorStreams(jetstream::Connection* connection) : connection_(connection) {}
  ~FloorStreams() {
    const std::vector<std::string> names = Names();
    logs_.clear();
    jsCtx* js = nullptr;
    if (natsConnection_JetStream(&js, connection_->get(), nullptr) != NATS_OK) return;
    for (const std::string& name : names) js_DeleteStream(js, name.c_str(), nullptr, nullptr);
    jsCtx_Destroy(js);
  }

  absl::Status Open(int streams, int replicas) {
    for (int i = 0; i < streams; ++i) {
      jetstream::JetStreamLogOptions options;
      options.stream = absl::StrCat("roost-floor-", getpid(), "-", i);
      options.replicas = replicas;
      absl::StatusOr<std::unique_ptr<jetstream::JetStreamLog>> log =
          jetstream::OpenJetStreamLog(connection_, options);
      if (!log.ok()) return log.status();
      logs_.push_back(*std::move(log));
    }
    return absl::OkStatus();
  }

  jetstream::JetStreamLog& log(size_t i) { return *logs_[i]; }
  size_t size() const { return logs_.size(); }

 private:
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& log : logs_) names.push_back(log->stream());
    return names;
  }

  jetstream::Connection* const connection_;
  std::vector<std::unique_ptr<jetstream::JetStreamLog>> logs_;
};

// The answers to the appends so far.
struct Acks {
  absl::Mutex mu;
  int64_t answered ABSL_GUARDED_BY(mu) = 0;
  int64_t acked ABSL_GUARDED_BY(mu) = 0;
  int64_t want = 0;  // set before the first append
  bool All() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return answered == want; }
};

// Appends `records` records at `rate` a second, in turn to each stream, `burst` at a
// time; returns how many were acknowledged, once every ack is in (or 30 s after the
// last append).
int64_t AppendPaced(FloorStreams& streams, int64_t records, double rate, int burst, size_t bytes) {
  const std::string record(bytes, 'r');
  // Shared with the callbacks: an ack may come after the wait gave up.
  auto acks = std::make_shared<Acks>();
  acks->want = records;
  const absl::Time start = absl::Now();
  for (int64_t i = 0; i < records; ++i) {
    if (i % burst == 0) {
      const absl::Time due = start + absl::Seconds(static_cast<double>(i) / rate);
      absl::SleepFor(due - absl::Now());  // pacing the open loop, not synchronisation
    }
    streams.log(static_cast<size_t>(i) % streams.size())
        .AppendAsync(record, [acks](absl::StatusOr<LogOffset> offset) {
          absl::MutexLock lock(&acks->mu);
          ++acks->answered;
          if (offset.ok()) ++acks->acked;
        });
  }
  absl::MutexLock lock(&acks->mu);
  acks->mu.AwaitWithTimeout(absl::Condition(acks.get(), &Acks::All), absl::Seconds(30));
  return acks->acked;
}

}  // namespace

absl::StatusOr<EngineFloor> MeasureEngineFloor(const EngineFloorOptions& options) {
  if (options.rate <= 0 || options.streams <= 0 || options.burst <= 0) {
    return absl::InvalidArgumentError("the engine floor needs a positive rate, streams and burst");
  }
  jetstream::ConnectionOptions connection_options;
  connection_options.servers = options.servers;
  connection_options.name = "roost-engine-floor";
  absl::StatusOr<std::unique_ptr<jetstream::Connection>> connection =
      jetstream::Connection::Connect(connection_options);
  if (!connection.ok()) return connection.status();
  FloorStreams streams(connection->get());
  if (absl::Status opened = streams.Open(options.streams, options.replicas); !opened.ok()) {
    return opened;
  }
  const auto records = static_cast<int64_t>(options.rate * absl::ToDoubleSeconds(options.duration));
  std::atomic<int64_t> read{0};
  const absl::Time read_deadline = absl::Now() + options.duration + absl::Seconds(30);
  auto servers_cpu = [&options] {
    int64_t total = 0;
    for (int pid : options.server_pids) total += ProcessCpuNsOf(pid);
    return total;
  };
  const int64_t cpu_start = ProcessCpuNs(), servers_start = servers_cpu();
  std::vector<std::thread> readers;
  for (size_t i = 0; i < streams.size(); ++i) {
    readers.emplace_back([&, i] {
      absl::StatusOr<std::unique_ptr<log::LogReader>> reader = streams.log(i).NewReader(1);
      if (!reader.ok()) return;
      std::vector<log::LogRecord> batch;
      while (read.load() < records && absl::Now() < read_deadline) {
        batch.clear();
        if (!(*reader)->ReadBatch(512, absl::Now() + absl::Milliseconds(50), &batch).ok()) break;
        read.fetch_add(static_cast<int64_t>(batch.size()));
      }
    });
  }
  const int64_t acked =
      AppendPaced(streams, records, options.rate, options.burst, options.record_bytes);
  for (std::thread& reader : readers) reader.join();
  const int64_t cpu = ProcessCpuNs() - cpu_start, servers = servers_cpu() - servers_start;
  if (acked != records || read.load() < records) {
    return absl::UnavailableError(absl::StrCat("the engine floor's records: ", acked, " of ",
                                               records, " acknowledged, ", read.load(), " read"));
  }
  EngineFloor floor;
  floor.records = static_cast<uint64_t>(records);
  floor.client_us_per_record = static_cast<double>(cpu) / 1e3 / static_cast<double>(records);
  floor.servers_us_per_record = static_cast<double>(servers) / 1e3 / static_cast<double>(records);
  return floor;
}

}  // namespace roost::loadgen
