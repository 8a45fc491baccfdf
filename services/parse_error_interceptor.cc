#include "services/parse_error_interceptor.h"

#include <string>
#include <utility>

#include <google/protobuf/descriptor.h>

#include "absl/strings/str_cat.h"

namespace roost::services {
namespace {

using grpc::experimental::InterceptionHookPoints;

class ParseErrorInterceptor final : public grpc::experimental::Interceptor {
 public:
  // `request_type`: the full name of the method's request message.
  explicit ParseErrorInterceptor(std::string request_type)
      : request_type_(std::move(request_type)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() != nullptr) {
      parsed_ = true;
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) && !parsed_) {
      // The codes gRPC answers a request it could not parse with (UNIMPLEMENTED in the
      // callback API, INTERNAL elsewhere); a cancellation, a deadline or a shutdown
      // before the request arrived keeps its own.
      const grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED ||
          status.error_code() == grpc::StatusCode::INTERNAL) {
        methods->ModifySendStatus(grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("the request does not parse as a ", request_type_,
                         ": a string field that is not valid UTF-8, or malformed bytes")));
      }
    }
    methods->Proceed();
  }

 private:
  const std::string request_type_;
  bool parsed_ = false;
};

}  // namespace

grpc::experimental::Interceptor* ParseErrorInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  // "/package.Service/Method": only methods the generated descriptors know, so a call
  // of no such method keeps gRPC's UNIMPLEMENTED.
  std::string name = info->method() == nullptr ? "" : info->method();
  if (name.size() < 2 || name[0] != '/') return nullptr;
  name.erase(0, 1);
  const size_t slash = name.find('/');
  if (slash == std::string::npos) return nullptr;
  name[slash] = '.';
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
  if (method == nullptr) return nullptr;
  return new ParseErrorInterceptor(method->input_type()->full_name());
}

}  // namespace roost::services
