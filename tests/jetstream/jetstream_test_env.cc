#include "tests/jetstream/jetstream_test_env.h"

#include <unistd.h>

#include <atomic>
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
  const std::string& dir = dir_;
  single_ = std::make_unique<loadgen::NatsCluster>();
  cluster_ = std::make_unique<loadgen::NatsCluster>();
  ASSERT_TRUE(single_->Start(dir + "/single", 1).ok());
  ASSERT_TRUE(cluster_->Start(dir + "/cluster", 3).ok());
  single_connection_ = ConnectOrDie(single_->urls());
  cluster_connection_ = ConnectOrDie(cluster_->urls());
  ASSERT_NE(single_connection_, nullptr);
  ASSERT_NE(cluster_connection_, nullptr);
  // Tests start once JetStream answers: a fresh cluster first elects its leaders.
  ASSERT_TRUE(OpenFreshLog(*single_connection_, 1, "ready").ok());
  ASSERT_TRUE(OpenFreshLog(*cluster_connection_, 3, "ready").ok());
}

void NatsEnvironment::TearDown() {
  single_connection_.reset();
  cluster_connection_.reset();
  single_.reset();  // SIGKILLs the servers, by PID
  cluster_.reset();
  std::filesystem::remove_all(dir_);
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
