// The JetStream stream requests the log makes besides publishing and reading: create
// or check a stream, read its state (extent, leader, replicas), purge its head, and
// find where a retention policy starts.
#ifndef ROOST_JETSTREAM_STREAM_ADMIN_H_
#define ROOST_JETSTREAM_STREAM_ADMIN_H_

#include <nats/nats.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/types.h"
#include "log/log.h"

namespace roost::jetstream {

struct StreamSpec {
  std::string name;
  std::string subject;
  int replicas = 3;
  absl::Duration duplicate_window = absl::Minutes(2);
};

// One replica of a stream, other than its leader.
struct StreamReplica {
  std::string server;
  bool current = false;  // caught up with the leader
  bool offline = false;
  uint64_t lag = 0;  // records behind
};

// A stream's extent, in the log's terms: records first..last (first == last + 1 when
// it holds none; a fresh stream is first 1, last 0), and who keeps it.
struct StreamState {
  LogOffset first = 1;
  LogOffset last = 0;
  uint64_t bytes = 0;
  uint64_t records = 0;
  absl::Time first_time = absl::InfinitePast();
  std::string leader;  // the server that orders appends; empty during an election
  std::vector<StreamReplica> replicas;
};

// Creates the stream if missing. FAILED_PRECONDITION when one of that name exists and
// does not hold `spec.subject`; INVALID_ARGUMENT for a bad name or replica count.
absl::StatusOr<StreamState> EnsureStream(jsCtx* js, const StreamSpec& spec, absl::Duration timeout);

// NOT_FOUND when the stream does not exist.
absl::StatusOr<StreamState> GetStreamState(jsCtx* js, const std::string& stream,
                                           absl::Duration timeout);

// Deletes the records before `offset` (all of them when it is past the end).
absl::Status PurgeBefore(jsCtx* js, const std::string& stream, LogOffset offset,
                         absl::Duration timeout);

// The first offset `policy` keeps: past the oldest records while the stream holds more
// than max_bytes (at its average record size), and past those stored before
// now - max_age (found by a binary search over the records' store times).
absl::StatusOr<LogOffset> RetentionStart(jsCtx* js, const std::string& stream,
                                         const StreamState& state,
                                         const log::RetentionPolicy& policy,
                                         absl::Duration timeout);

}  // namespace roost::jetstream

#endif  // ROOST_JETSTREAM_STREAM_ADMIN_H_
