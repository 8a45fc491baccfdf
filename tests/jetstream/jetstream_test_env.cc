#include "tests/jetstream/jetstream_test_env.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace roost::jetstream::testing {
namespace {

NatsEnvironment* environment = nullptr;

}  // namespace

NatsEnvironment& NatsEnvironment::Get() {
  if (environment == nullptr) {
    environment =
        static_cast<NatsEnvironment*>(::testing::AddGlobalTestEnvironment(new NatsEnvironment()));
  }
  return *environment;
}

std::unique_ptr<Connection> ConnectOrDie(const std::vector<std::string>& urls) {
  ConnectionOptions options;
  options.servers = urls;
  options.name = "roost-test";
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<Connection>> connection = Connection::Connect(options);
  while (!connection.ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));  // polling the servers, with a deadline
    connection = Connection::Connect(options);
  }
  EXPECT_TRUE(connection.ok()) << connection.status();
  return connection.ok() ? *std::move(connection) : nullptr;
}

void NatsEnvironment::SetUp() {
  dir_ = absl::StrCat(::testing::TempDir(), "nats_", getpid());
  std::filesystem::remove_all(dir_);
}

NatsEnvironment::Servers& NatsEnvironment::Ensure(Servers& servers, int size) {
  if (servers.connection != nullptr) return servers;
  servers.cluster = std::make_unique<loadgen::NatsCluster>();
  const absl::Status started = servers.cluster->Start(absl::StrCat(dir_, "/", size), size);
  if (started.ok()) servers.connection = ConnectOrDie(servers.cluster->urls());
  // Tests start once JetStream answers: a fresh cluster first elects its leaders.
  absl::Status ready = started;
  if (ready.ok()) {
    ready = servers.connection == nullptr
                ? absl::UnavailableError("no connection")
                : OpenFreshLog(*servers.connection, size == 1 ? 1 : 3, "ready").status();
  }
  if (!ready.ok()) {
    std::fprintf(stderr, "the test's %d nats-server(s) did not come up: %s\n", size,
                 ready.ToString().c_str());
    std::abort();
  }
  return servers;
}

void NatsEnvironment::TearDown() {
  for (Servers* servers : {&single_, &cluster_}) {
    servers->connection.reset();
    servers->cluster.reset();  // SIGKILLs the servers, by PID
  }
  std::filesystem::remove_all(dir_);
}

absl::StatusOr<std::unique_ptr<log::LogReader>> NewReaderWithin(log::Log& log, LogOffset start,
                                                                absl::Time deadline) {
  absl::StatusOr<std::unique_ptr<log::LogReader>> reader = log.NewReader(start);
  while (!reader.ok() && absl::IsUnavailable(reader.status()) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));  // polling the election, with a deadline
    reader = log.NewReader(start);
  }
  return reader;
}

std::string FreshStreamName(const std::string& prefix) {
  static std::atomic<int> next{0};
  return absl::StrCat(prefix, "-", getpid(), "-", next.fetch_add(1));
}

absl::StatusOr<std::unique_ptr<JetStreamLog>> OpenFreshLog(Connection& connection, int replicas,
                                                           const std::string& prefix) {
  JetStreamLogOptions options;
  options.stream = FreshStreamName(prefix);
  options.replicas = replicas;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::StatusOr<std::unique_ptr<JetStreamLog>> log = OpenJetStreamLog(&connection, options);
  // A fresh cluster answers UNAVAILABLE until it has elected its metadata leader.
  while (!log.ok() && absl::IsUnavailable(log.status()) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));  // polling the election, with a deadline
    log = OpenJetStreamLog(&connection, options);
  }
  return log;
}

absl::StatusOr<LogOffset> AppendWithId(JetStreamLog& log, std::string record, std::string id) {
  absl::Notification acked;
  absl::StatusOr<LogOffset> result;
  log.AppendAsync(std::move(record), std::move(id), [&](absl::StatusOr<LogOffset> offset) {
    result = std::move(offset);
    acked.Notify();
  });
  acked.WaitForNotification();
  return result;
}

}  // namespace roost::jetstream::testing
