// JetStreamLog: Log (log/log.h) kept in one JetStream stream, replicated by the NATS
// servers' Raft. An offset is the record's stream sequence.
//
// An append is a JetStream publish with a Nats-Msg-Id; it is acknowledged once the
// stream's leader has stored it on a quorum of its replicas, which is what durable means
// here. Appends are pipelined (up to max_pending in flight), and their acks arrive, and
// their callbacks run, in offset order on the client's delivery thread. A publish the
// servers do not acknowledge within `timeout` (no leader, no quorum) fails with
// UNAVAILABLE: it may still have been stored, which is why every publish carries an id.
// Appending again with AppendAsync(record, dedup_id, done) and the same id within the
// stream's duplicate window stores nothing new and acknowledges the first offset.
//
// Readers are ordered consumers: ephemeral, unacknowledged, in-memory on the server,
// recreated by the client from the last sequence seen when their server goes away.
//
// Retention deletes from the head of the stream (a purge below a sequence). It is
// applied by ApplyRetention, bounded by the offset the stores committed, not by stream
// limits, which would delete what a lagging store still needs.
//
// Thread-safe. The Connection must outlive the log, and the log its readers.
#ifndef ROOST_JETSTREAM_JETSTREAM_LOG_H_
#define ROOST_JETSTREAM_JETSTREAM_LOG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jetstream/connection.h"
#include "jetstream/stream_admin.h"
#include "log/log.h"

namespace roost::jetstream {

struct JetStreamLogOptions {
  std::string stream;   // the stream's name: letters, digits, '-' and '_'
  std::string subject;  // the one subject it holds; default "<stream>.log"
  // Replicas of a stream created here: 3 in a cluster (a quorum of 2 acknowledges),
  // 1 on a single dev server. An existing stream keeps its own.
  int replicas = 3;
  // JetStream API requests and publish acks.
  absl::Duration timeout = absl::Seconds(5);
  int max_pending = 4096;  // publishes in flight; AppendAsync waits beyond it
  absl::Duration duplicate_window = absl::Minutes(2);
};

class JetStreamLog : public log::Log {
 public:
  using log::Log::AppendAsync;
  // AppendAsync with a deduplication id (letters, digits, '.', '-', ':', '_'; at most
  // 128 bytes): JetStream stores a record once for every append of one id within the
  // duplicate window, and acknowledges the later ones with the first one's offset.
  virtual void AppendAsync(std::string record, std::string dedup_id, AppendCallback done) = 0;

  // The stream's name.
  virtual const std::string& stream() const = 0;
  // Its state as the servers see it now.
  virtual absl::StatusOr<StreamState> State() const = 0;
};

// Opens the stream, creating it when it does not exist. INVALID_ARGUMENT for a bad
// name or replica count; FAILED_PRECONDITION when a stream of that name holds other
// subjects; UNAVAILABLE when JetStream does not answer within the timeout.
absl::StatusOr<std::unique_ptr<JetStreamLog>> OpenJetStreamLog(Connection* connection,
                                                               JetStreamLogOptions options);

}  // namespace roost::jetstream

#endif  // ROOST_JETSTREAM_JETSTREAM_LOG_H_
