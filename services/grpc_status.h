// Converting an absl::Status to the grpc::Status a handler finishes with.
#ifndef ROOST_SERVICES_GRPC_STATUS_H_
#define ROOST_SERVICES_GRPC_STATUS_H_

#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"

namespace roost::services {

// absl and gRPC share the canonical status code numbers.
inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace roost::services

#endif  // ROOST_SERVICES_GRPC_STATUS_H_
