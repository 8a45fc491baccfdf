// Server hosts every roost.v1 service, the standard gRPC health service and server
// reflection on one listening address.
#ifndef ROOST_SERVICES_SERVER_H_
#define ROOST_SERVICES_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/auth.h"
#include "services/roost.h"

namespace grpc {
class Server;
}

namespace roost::services {

class ClusterNode;

struct ServerOptions {
  std::string listen = "127.0.0.1:7070";  // "host:port"; port 0 picks a free one
  // TLS: PEM files of the server's certificate chain and private key, both or neither
  // (neither: plaintext).
  std::string tls_cert;
  std::string tls_key;
  // PEM CA bundle; when set (TLS only), clients must present a certificate it signed.
  std::string tls_client_ca;
  // Not owned, must outlive the server; null: calls need no token (see auth.h).
  const TokenAuth* auth = nullptr;
  // Calls one client connection may have open at once; more wait in the client
  // (HTTP/2 flow control), not in this server's memory.
  int max_concurrent_streams = 1024;
};

class Server {
 public:
  // Starts serving `roost` (not owned; must outlive the server). INVALID_ARGUMENT or
  // NOT_FOUND for unusable TLS files, UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(Roost* roost, const ServerOptions& options);
  // The checks Start makes of `options` before binding (TLS files readable and PEM),
  // for a caller that wants them before slow work such as opening the data dir.
  static absl::Status CheckOptions(const ServerOptions& options);
  // Serves a cluster node (cluster_services.h): any call, on the partitions it owns or
  // forwarded to their owners. `node` is not owned and must outlive the server.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ClusterNode* node,
                                                       const ServerOptions& options);
  // Plaintext, no tokens, on `listen`.
  static absl::StatusOr<std::unique_ptr<Server>> Start(Roost* roost, const std::string& listen);
  ~Server();

  int port() const { return port_; }

  // What grpc.health.v1.Health reports for the whole server.
  void SetServing(bool serving);

  // Reports NOT_SERVING, drains Roost (or the node's; new writes and position waits get
  // UNAVAILABLE; writes in flight finish, until `deadline`), then stops gRPC within a moment:
  // waiting for idle client connections to close would only delay the exit. Roost
  // stays open.
  void Shutdown(absl::Time deadline);

 private:
  struct Services;
  Server() = default;
  static absl::StatusOr<std::unique_ptr<Server>> Start(std::unique_ptr<Services> services,
                                                       std::function<bool(absl::Time)> drain,
                                                       const ServerOptions& options);
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
  std::function<bool(absl::Time)> drain_;  // Roost::Drain or ClusterNode::Drain
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_SERVER_H_
