// Connection: one client connection to a NATS cluster with JetStream, shared by every
// stream a process reads and appends (one socket, one reconnect loop). It reconnects
// on its own, forever, to any server of the list the cluster gossips; a call made
// while it is away fails with UNAVAILABLE or waits within its own timeout.
//
// Thread-safe. Destroying it closes the connection: everything made from it (the logs
// of jetstream_log.h) must be destroyed first.
#ifndef ROOST_JETSTREAM_CONNECTION_H_
#define ROOST_JETSTREAM_CONNECTION_H_

#include <nats/nats.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace roost::jetstream {

struct ConnectionOptions {
  // "nats://host:port" (or "host:port"); at least one. The connection picks one at
  // random and learns the rest of the cluster from it.
  std::vector<std::string> servers;
  std::string name = "roost";  // shown by the server's monitoring
  // How long the first connect may take. UNAVAILABLE, naming the servers, after it.
  absl::Duration connect_timeout = absl::Seconds(2);
  absl::Duration reconnect_wait = absl::Milliseconds(100);
};

class Connection {
 public:
  // Connects to one of the servers. INVALID_ARGUMENT for an empty or malformed list;
  // UNAVAILABLE when none answers within connect_timeout.
  static absl::StatusOr<std::unique_ptr<Connection>> Connect(const ConnectionOptions& options);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  natsConnection* get() const { return connection_; }
  // True while connected (not while reconnecting or after Close).
  bool connected() const;
  // The servers as given, for messages.
  const std::string& servers() const { return servers_; }

  // Keeps `state` alive until the connection is destroyed: the state a callback
  // registered with the client reads (an asynchronous publish's ack handler may run
  // until the connection closes, after its owner is gone).
  void KeepUntilClosed(std::shared_ptr<void> state) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Connection(natsConnection* connection, std::string servers)
      : connection_(connection), servers_(std::move(servers)) {}

  natsConnection* const connection_;
  const std::string servers_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<void>> kept_ ABSL_GUARDED_BY(mu_);
};

}  // namespace roost::jetstream

#endif  // ROOST_JETSTREAM_CONNECTION_H_
