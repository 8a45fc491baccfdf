#include "services/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "services/grpc_services.h"

namespace roost::service {
namespace {
constexpr absl::Duration kStopWindow = absl::Milliseconds(250);
}  // namespace

struct Server::Services {
  explicit Services(Roost* roost)
      : tweets(roost), timelines(roost), graph(roost), admin(roost), feed(roost) {}
  TweetsService tweets;
  TimelinesService timelines;
  GraphService graph;
  AdminService admin;
  ChangeFeedService feed;
};

absl::StatusOr<std::unique_ptr<Server>> Server::Start(Roost* roost, const std::string& listen) {
  std::unique_ptr<Server> server(new Server());
  server->roost_ = roost;
  server->services_ = std::make_unique<Services>(roost);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, which would let a second roostd bind the same
  // port and silently take half of the clients.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(&server->services_->tweets);
  builder.RegisterService(&server->services_->timelines);
  builder.RegisterService(&server->services_->graph);
  builder.RegisterService(&server->services_->admin);
  builder.RegisterService(&server->services_->feed);
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
  roost_->Drain(deadline);
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

}  // namespace roost::service
