#include "services/parse_error_interceptor.h"

#include <string>

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
      const grpc::Status status = methods->GetSendStatus();
      if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED &&
          status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
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
  name[name.find('/') == std::string::npos ? 0 : name.find('/')] = '.';
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
  if (method == nullptr) return nullptr;
  return new ParseErrorInterceptor(method->input_type()->full_name());
}

}  // namespace roost::services
