#include "services/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/cluster_services.h"
#include "services/grpc_services.h"
#include "services/parse_error_interceptor.h"

namespace roost::services {
namespace {
constexpr absl::Duration kStopWindow = absl::Milliseconds(250);

// The PEM file at `path`, checked to hold a PEM block (gRPC's own error for a bad file
// is only a log line and a server that does not start).
absl::StatusOr<std::string> ReadPem(const std::string& path, absl::string_view flag) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  if (!absl::StrContains(contents.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", path, " is not a PEM file"));
  }
  return contents.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& options) {
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (options.tls_cert.empty()) {
    if (!options.tls_client_ca.empty()) {
      return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
    }
    return grpc::InsecureServerCredentials();
  }
  absl::StatusOr<std::string> cert = ReadPem(options.tls_cert, "--tls-cert");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(options.tls_key, "--tls-key");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!options.tls_client_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(options.tls_client_ca, "--tls-client-ca");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

struct Server::Services {
  std::vector<std::unique_ptr<grpc::Service>> all;
};

absl::Status Server::CheckOptions(const ServerOptions& options) {
  return Credentials(options).status();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(Roost* roost, const std::string& listen) {
  ServerOptions options;
  options.listen = listen;
  return Start(roost, options);
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(Roost* roost, const ServerOptions& options) {
  auto services = std::make_unique<Services>();
  services->all.push_back(
      std::make_unique<TweetsService>(roost, CallGate(options.auth, Role::kUser)));
  services->all.push_back(
      std::make_unique<TimelinesService>(roost, CallGate(options.auth, Role::kUser)));
  services->all.push_back(
      std::make_unique<GraphService>(roost, CallGate(options.auth, Role::kUser)));
  services->all.push_back(
      std::make_unique<AdminService>(roost, CallGate(options.auth, Role::kAdmin)));
  services->all.push_back(
      std::make_unique<ChangeFeedService>(roost, CallGate(options.auth, Role::kAdmin)));
  return Start(
      std::move(services), [roost](absl::Time deadline) { return roost->Drain(deadline); },
      options);
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ClusterNode* node,
                                                      const ServerOptions& options) {
  const CallGate user(options.auth, Role::kUser);
  const CallGate admin(options.auth, Role::kAdmin);
  auto services = std::make_unique<Services>();
  services->all.push_back(std::make_unique<ClusterTweetsService>(node, user));
  services->all.push_back(std::make_unique<ClusterTimelinesService>(node, user));
  services->all.push_back(std::make_unique<ClusterGraphService>(node, user));
  services->all.push_back(std::make_unique<ClusterAdminService>(node, admin));
  services->all.push_back(std::make_unique<ClusterChangeFeedService>(node, admin));
  // The nodes' own reads of each other: an admin's.
  services->all.push_back(std::make_unique<PartitionsService>(node, admin));
  return Start(
      std::move(services), [node](absl::Time deadline) { return node->Drain(deadline); }, options);
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(std::unique_ptr<Services> services,
                                                      std::function<bool(absl::Time)> drain,
                                                      const ServerOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();
  const std::string& listen = options.listen;
  std::unique_ptr<Server> server(new Server());
  server->drain_ = std::move(drain);
  server->services_ = std::move(services);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which would let a second roostd bind the same
  // port and silently take half of the clients.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  if (options.max_concurrent_streams > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
  }
  builder.AddListeningPort(listen, *credentials, &server->port_);
  for (const auto& service : server->services_->all) builder.RegisterService(service.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<ParseErrorInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen on ", listen,
        " (is the address valid, and is the port free? another roostd may be using it)"));
  }
  return server;
}

void Server::SetServing(bool serving) {
  if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(serving);
}

void Server::Shutdown(absl::Time deadline) {
  if (server_ == nullptr || shut_down_) return;
  shut_down_ = true;
  SetServing(false);
  drain_(deadline);
  // Calls that reached gRPC during the drain still get their handler run, which
  // answers UNAVAILABLE at once; the short window only keeps gRPC from cancelling them
  // first. Waiting longer would only wait for idle clients to hang up.
  server_->Shutdown(absl::ToChronoTime(absl::Now() + kStopWindow));
  server_->Wait();
}

Server::~Server() {
  Shutdown(absl::Now());
  server_.reset();
}

}  // namespace roost::services
