// FromRocks: every store maps RocksDB's errors to the same codes, its context first.
#include "common/rocks_status.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace roost {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(FromRocksTest, EachKindOfErrorHasOneCode) {
  EXPECT_TRUE(FromRocks(rocksdb::Status::OK()).ok());
  const struct {
    rocksdb::Status rocks;
    absl::StatusCode code;
  } cases[] = {
      {rocksdb::Status::NotFound("k"), absl::StatusCode::kNotFound},
      {rocksdb::Status::Corruption("bad block"), absl::StatusCode::kDataLoss},
      {rocksdb::Status::InvalidArgument("x"), absl::StatusCode::kInvalidArgument},
      {rocksdb::Status::NotSupported("x"), absl::StatusCode::kUnimplemented},
      {rocksdb::Status::Busy("x"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::TimedOut("x"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::TryAgain("x"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::NoSpace("disk full"), absl::StatusCode::kResourceExhausted},
      {rocksdb::Status::IOError("EIO"), absl::StatusCode::kUnavailable},
      {rocksdb::Status::Aborted("x"), absl::StatusCode::kInternal},
  };
  for (const auto& c : cases) {
    const absl::Status status = FromRocks(c.rocks, "graph store: apply");
    EXPECT_EQ(status.code(), c.code) << c.rocks.ToString();
    EXPECT_THAT(std::string(status.message()), StartsWith("graph store: apply: "));
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.rocks.ToString()));
  }
}

}  // namespace
}  // namespace roost
