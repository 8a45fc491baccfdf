// Real NATS servers for the jetstream tests, started once per test process: a single
// server (streams of one replica) and a cluster of three (three replicas), each with a
// connection, and a fresh stream name per call so tests never share a stream. A test
// file that uses them registers the environment before main runs:
//   [[maybe_unused]] const auto& nats = NatsEnvironment::Get();
#ifndef ROOST_TESTS_JETSTREAM_JETSTREAM_TEST_ENV_H_
#define ROOST_TESTS_JETSTREAM_JETSTREAM_TEST_ENV_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "jetstream/connection.h"
#include "jetstream/jetstream_log.h"
#include "loadgen/nats_cluster.h"
#include "log/log_reader.h"

namespace roost::jetstream::testing {

class NatsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  // The process's environment; the first call, before the tests run, registers it.
  static NatsEnvironment& Get();

  // Each set of servers starts on first use (a test process runs one test, which
  // needs one of them or none) and answers JetStream requests when returned.
  loadgen::NatsCluster& single() { return *Ensure(single_, 1).cluster; }
  loadgen::NatsCluster& cluster() { return *Ensure(cluster_, 3).cluster; }
  Connection& single_connection() { return *Ensure(single_, 1).connection; }
  Connection& cluster_connection() { return *Ensure(cluster_, 3).connection; }

 private:
  struct Servers {
    std::unique_ptr<loadgen::NatsCluster> cluster;
    std::unique_ptr<Connection> connection;
  };
  // Starts `servers` (`size` of them) unless started; aborts, saying why, when they
  // cannot start.
  Servers& Ensure(Servers& servers, int size);

  std::string dir_;
  Servers single_, cluster_;
};

// A stream name no other call in this process returned.
std::string FreshStreamName(const std::string& prefix);

// Opens a JetStreamLog on a fresh stream, retrying while JetStream is still electing
// its leaders (up to 30 s).
absl::StatusOr<std::unique_ptr<JetStreamLog>> OpenFreshLog(Connection& connection, int replicas,
                                                           const std::string& prefix = "t");

// Appends `record` with dedup id `id` and waits for the answer.
absl::StatusOr<LogOffset> AppendWithId(JetStreamLog& log, std::string record, std::string id);

// A reader of `log` from `start`, retrying while the cluster is electing (a new
// consumer needs its leaders), until `deadline`.
absl::StatusOr<std::unique_ptr<log::LogReader>> NewReaderWithin(log::Log& log, LogOffset start,
                                                                absl::Time deadline);

// Connects to `urls`, retrying for up to 10 s.
std::unique_ptr<Connection> ConnectOrDie(const std::vector<std::string>& urls);

}  // namespace roost::jetstream::testing

#endif  // ROOST_TESTS_JETSTREAM_JETSTREAM_TEST_ENV_H_
