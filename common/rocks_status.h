// FromRocks: the one mapping of rocksdb::Status to absl::Status, so every store speaks
// the same error vocabulary. A failed write or read of the disk (IOError) is
// UNAVAILABLE, like the log's: the caller may retry once the device recovers; a full
// disk is RESOURCE_EXHAUSTED; damaged data is DATA_LOSS.
#ifndef ROOST_COMMON_ROCKS_STATUS_H_
#define ROOST_COMMON_ROCKS_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/status.h"

namespace roost {

// `context` opens the message (which store, which operation), then RocksDB's own text.
absl::Status FromRocks(const rocksdb::Status& status, absl::string_view context = "rocksdb");

}  // namespace roost

#endif  // ROOST_COMMON_ROCKS_STATUS_H_
