#include "services/roostctl_client.h"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace roost::services::ctl {
namespace {

bool ReadWholeFile(const std::string& path, std::string* contents) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  *contents = buffer.str();
  return true;
}

absl::Status CannotRead(const std::string& flag, const std::string& path) {
  return absl::InvalidArgumentError(absl::StrCat("cannot read ", flag, " ", path));
}

}  // namespace

void Client::Authorize(grpc::ClientContext* ctx) const {
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
}

std::unique_ptr<grpc::ClientContext> Client::Context() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  Authorize(ctx.get());
  return ctx;
}

absl::StatusOr<Client> Connect(const ClientOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    if (!ReadWholeFile(options.tls_ca, &ssl.pem_root_certs)) {
      return CannotRead("--tls-ca", options.tls_ca);
    }
    if (options.tls_cert.empty() != options.tls_key.empty()) {
      return absl::InvalidArgumentError("--tls-cert and --tls-key go together");
    }
    if (!options.tls_cert.empty()) {
      if (!ReadWholeFile(options.tls_cert, &ssl.pem_cert_chain)) {
        return CannotRead("--tls-cert", options.tls_cert);
      }
      if (!ReadWholeFile(options.tls_key, &ssl.pem_private_key)) {
        return CannotRead("--tls-key", options.tls_key);
      }
    }
    credentials = grpc::SslCredentials(ssl);
  }
  Client client;
  client.timeout = options.timeout;
  client.channel = grpc::CreateChannel(options.target, credentials);
  if (!options.token_file.empty()) {
    std::string contents;
    if (!ReadWholeFile(options.token_file, &contents)) {
      return CannotRead("--token-file", options.token_file);
    }
    client.token = std::string(absl::StripAsciiWhitespace(contents.substr(0, contents.find('\n'))));
  } else if (const char* env = std::getenv("ROOST_TOKEN"); env != nullptr) {
    client.token = env;
  }
  return client;
}

}  // namespace roost::services::ctl
