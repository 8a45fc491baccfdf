// How roostctl reaches roostd: a channel (plaintext, TLS, or mutual TLS with a client
// certificate) and the bearer token every call carries.
#ifndef ROOST_SERVICES_ROOSTCTL_CLIENT_H_
#define ROOST_SERVICES_ROOSTCTL_CLIENT_H_

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace roost::services::ctl {

struct ClientOptions {
  std::string target;      // host:port
  std::string tls_ca;      // PEM CA bundle: TLS; empty: plaintext
  std::string tls_cert;    // with tls_ca: PEM client certificate (mutual TLS)
  std::string tls_key;     // with tls_cert: its PEM private key
  std::string token_file;  // its first line is the token; empty: $ROOST_TOKEN, if set
  absl::Duration timeout = absl::Seconds(10);  // each call's deadline
};

struct Client {
  std::shared_ptr<grpc::Channel> channel;
  std::string token;  // empty: none sent
  absl::Duration timeout;

  // Adds the token to a call's metadata.
  void Authorize(grpc::ClientContext* ctx) const;
  // A context with the call's deadline and the token.
  std::unique_ptr<grpc::ClientContext> Context() const;
};

// The channel and token `options` ask for. INVALID_ARGUMENT, naming the flag, when a
// file cannot be read or the certificate and key do not come together.
absl::StatusOr<Client> Connect(const ClientOptions& options);

}  // namespace roost::services::ctl

#endif  // ROOST_SERVICES_ROOSTCTL_CLIENT_H_
