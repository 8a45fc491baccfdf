// KvBucket on a real nats-server: create-only writes and compare-and-set updates, the
// two operations the cluster's shape check and its ownership leases stand on.
#include "jetstream/kv_bucket.h"

#include <memory>

#include "gtest/gtest.h"
#include "tests/jetstream/jetstream_test_env.h"

namespace roost::jetstream::testing {
namespace {

[[maybe_unused]] const NatsEnvironment& nats = NatsEnvironment::Get();

TEST(KvBucketTest, CreateOnlyOnceAndUpdateOnlyFromTheRevisionRead) {
  auto bucket = KvBucket::Open(&NatsEnvironment::Get().cluster_connection(), FreshStreamName("kv"),
                               3, absl::Seconds(5));
  ASSERT_TRUE(bucket.ok()) << bucket.status();
  EXPECT_EQ((*bucket)->Get("partitions").status().code(), absl::StatusCode::kNotFound);

  absl::StatusOr<uint64_t> created = (*bucket)->Create("partitions", "8");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*bucket)->Create("partitions", "16").status().code(),
            absl::StatusCode::kAlreadyExists);
  absl::StatusOr<KvEntry> entry = (*bucket)->Get("partitions");
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->value, "8");
  EXPECT_EQ(entry->revision, *created);

  absl::StatusOr<uint64_t> updated = (*bucket)->Update("partitions", "9", entry->revision);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_GT(*updated, *created);
  // A writer that read the old revision loses.
  EXPECT_EQ((*bucket)->Update("partitions", "10", entry->revision).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*bucket)->Get("partitions")->value, "9");
}

}  // namespace
}  // namespace roost::jetstream::testing
