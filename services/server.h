// Server hosts every roost.v1 service, the standard gRPC health service and server
// reflection on one listening address.
#ifndef ROOST_SERVICES_SERVER_H_
#define ROOST_SERVICES_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/roost.h"

namespace grpc {
class Server;
}

namespace roost::service {

class Server {
 public:
  // Starts serving `roost` (not owned; must outlive the server) on `listen`
  // ("host:port"; port 0 picks a free one). UNAVAILABLE when the address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<Server>> Start(Roost* roost, const std::string& listen);
  ~Server();

  int port() const { return port_; }

  // What grpc.health.v1.Health reports for the whole server.
  void SetServing(bool serving);

  // Reports NOT_SERVING, drains Roost (new writes and position waits get UNAVAILABLE;
  // writes in flight finish, until `deadline`), then stops gRPC within a moment:
  // waiting for idle client connections to close would only delay the exit. Roost
  // stays open.
  void Shutdown(absl::Time deadline);

 private:
  struct Services;
  Server() = default;
  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
  Roost* roost_ = nullptr;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace roost::service

#endif  // ROOST_SERVICES_SERVER_H_
