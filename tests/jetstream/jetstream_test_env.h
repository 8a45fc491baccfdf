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

namespace roost::jetstream::testing {

class NatsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  // The process's environment; the first call, before the tests run, registers it.
  static NatsEnvironment& Get();

  loadgen::NatsCluster& single() { return *single_; }
  loadgen::NatsCluster& cluster() { return *cluster_; }
  Connection& single_connection() { return *single_connection_; }
  Connection& cluster_connection() { return *cluster_connection_; }

 private:
  std::string dir_;
  std::unique_ptr<loadgen::NatsCluster> single_, cluster_;
  std::unique_ptr<Connection> single_connection_, cluster_connection_;
};

// A stream name no other call in this process returned.
std::string FreshStreamName(const std::string& prefix);

// Opens a JetStreamLog on a fresh stream, retrying while JetStream is still electing
// its leaders (up to 30 s).
absl::StatusOr<std::unique_ptr<JetStreamLog>> OpenFreshLog(Connection& connection, int replicas,
                                                           const std::string& prefix = "t");

// Appends `record` with dedup id `id` and waits for the answer.
absl::StatusOr<LogOffset> AppendWithId(JetStreamLog& log, std::string record, std::string id);

// Connects to `urls`, retrying for up to 10 s.
std::unique_ptr<Connection> ConnectOrDie(const std::vector<std::string>& urls);

}  // namespace roost::jetstream::testing

#endif  // ROOST_TESTS_JETSTREAM_JETSTREAM_TEST_ENV_H_
