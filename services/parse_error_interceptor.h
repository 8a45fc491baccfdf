// A gRPC server interceptor that answers a request gRPC could not parse as its method's
// message with INVALID_ARGUMENT and a message saying so, instead of the bare code gRPC
// gives (no handler runs for such a request, so no handler can say it). The usual
// cause is a hand-built request whose string field is not valid UTF-8: every
// language's protobuf encodes strings as UTF-8, and the server's refuses anything else.
#ifndef ROOST_SERVICES_PARSE_ERROR_INTERCEPTOR_H_
#define ROOST_SERVICES_PARSE_ERROR_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

namespace roost::services {

class ParseErrorInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_PARSE_ERROR_INTERCEPTOR_H_
