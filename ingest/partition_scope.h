// PartitionScope: what the pipeline of one partition of a cluster (DESIGN.md, "Cluster")
// needs from the cluster: which users are its own, and a way to append what it derives
// to other partitions' logs. A single node has no scope (nullptr): every user is its own.
//
// Everything about a user lives on the user's partition: their tweets, every edge that
// touches them (so an edge between two partitions is kept by both), their home
// timeline. What an event on one partition changes for users of another is derived
// from it and appended to that partition's log (events.proto: copies of edge and mass
// changes, home deliveries, authors shown), with an id that makes a repeated append of
// the same derivation (a replay after a restart) store nothing new.
//
// Thread-safe: every bolt instance publishes.
#ifndef ROOST_INGEST_PARTITION_SCOPE_H_
#define ROOST_INGEST_PARTITION_SCOPE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/types.h"

namespace roost::ingest {

class PartitionScope {
 public:
  virtual ~PartitionScope() = default;

  virtual uint32_t partition() const = 0;
  virtual uint32_t partitions() const = 0;
  virtual uint32_t PartitionOf(UserId user) const = 0;
  bool IsLocal(UserId user) const { return PartitionOf(user) == partition(); }

  // Appends `event` to partition `target`'s log under dedup id `id`, retrying until
  // it is durable. Returns at once; the appends to one target keep the order of the
  // calls that made them from one thread.
  virtual void Publish(uint32_t target, std::string id, std::string event) = 0;
  // Waits until every Publish so far is durable: the pipeline persists an offset as
  // applied only once what it derived below it can no longer be lost. UNAVAILABLE at
  // `deadline` while some are not.
  virtual absl::Status Flush(absl::Time deadline) = 0;
};

// The dedup id of a derivation: the source partition, the source event's offset, and
// what was derived from it (unique among the derivations of one event).
inline std::string DerivationId(uint32_t partition, LogOffset offset, absl::string_view what) {
  return absl::StrCat(partition, ".", offset, ".", what);
}

}  // namespace roost::ingest

#endif  // ROOST_INGEST_PARTITION_SCOPE_H_
