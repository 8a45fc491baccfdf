#include "jetstream/connection.h"

#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "jetstream/nats_status.h"

namespace roost::jetstream {

absl::StatusOr<std::unique_ptr<Connection>> Connection::Connect(const ConnectionOptions& options) {
  if (options.servers.empty()) {
    return absl::InvalidArgumentError("no NATS server given (nats://host:port)");
  }
  std::vector<std::string> urls;
  for (const std::string& server : options.servers) {
    if (server.empty()) return absl::InvalidArgumentError("an empty NATS server address");
    urls.push_back(absl::StrContains(server, "://") ? server : absl::StrCat("nats://", server));
  }
  std::vector<const char*> url_pointers;
  for (const std::string& url : urls) url_pointers.push_back(url.c_str());
  const std::string joined = absl::StrJoin(urls, ",");

  natsOptions* nats_options = nullptr;
  if (natsStatus s = natsOptions_Create(&nats_options); s != NATS_OK) {
    return FromNats(s, "NATS options");
  }
  absl::Cleanup destroy_options = [nats_options] { natsOptions_Destroy(nats_options); };
  natsStatus s =
      natsOptions_SetServers(nats_options, url_pointers.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) s = natsOptions_SetName(nats_options, options.name.c_str());
  if (s == NATS_OK) {
    s = natsOptions_SetTimeout(nats_options, absl::ToInt64Milliseconds(options.connect_timeout));
  }
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(nats_options, -1);  // forever
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectWait(nats_options,
                                     absl::ToInt64Milliseconds(options.reconnect_wait));
  }
  if (s != NATS_OK) return FromNats(s, absl::StrCat("NATS options for ", joined));

  natsConnection* connection = nullptr;
  s = natsConnection_Connect(&connection, nats_options);
  if (s != NATS_OK) {
    return FromNats(s, absl::StrCat("cannot connect to NATS at ", joined));
  }
  return std::unique_ptr<Connection>(new Connection(connection, joined));
}

Connection::~Connection() {
  natsConnection_Close(connection_);
  natsConnection_Destroy(connection_);
}

bool Connection::connected() const {
  return natsConnection_Status(connection_) == NATS_CONN_STATUS_CONNECTED;
}

void Connection::KeepUntilClosed(std::shared_ptr<void> state) {
  absl::MutexLock lock(&mu_);
  kept_.push_back(std::move(state));
}

}  // namespace roost::jetstream
