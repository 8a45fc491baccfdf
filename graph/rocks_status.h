// Maps rocksdb::Status to absl::Status so the graph store speaks one error vocabulary.
#ifndef ROOST_GRAPH_ROCKS_STATUS_H_
#define ROOST_GRAPH_ROCKS_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace roost::graph {

inline absl::Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return absl::OkStatus();
  std::string message = "rocksdb: " + s.ToString();
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  if (s.IsNotSupported()) return absl::UnimplementedError(message);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return absl::UnavailableError(message);
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(message);
  if (s.IsIOError()) return absl::UnavailableError(message);
  return absl::InternalError(message);
}

}  // namespace roost::graph

#endif  // ROOST_GRAPH_ROCKS_STATUS_H_
