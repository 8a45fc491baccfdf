// Converting between absl::Status and grpc::Status.
#ifndef ROOST_SERVICES_GRPC_STATUS_H_
#define ROOST_SERVICES_GRPC_STATUS_H_

#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace roost::services {

// absl and gRPC share the canonical status code numbers.
inline grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// A peer's answer as an absl::Status, its message prefixed with `context` (which peer,
// doing what).
inline absl::Status FromGrpc(const grpc::Status& status, absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(context, ": ", status.error_message()));
}

}  // namespace roost::services

#endif  // ROOST_SERVICES_GRPC_STATUS_H_
