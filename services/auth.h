// Bearer-token authentication for the gRPC API.
//
// A tokens file names who may call: one token per line with its role,
//
//     # comment
//     user  7f3c0c2e9a1b4d6e8f00a1b2c3d4e5f6
//     admin 0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a
//
// A `user` token may call Tweets, Timelines and Graph; an `admin` token may call
// everything, including Admin and ChangeFeed (the firehose of every user's events).
// Clients send `authorization: Bearer <token>` metadata. Health checks and server
// reflection stay open, so probes and tools need no token.
//
// Tokens are compared in time that does not depend on where (or whether) they differ
// from a known one, on which known token matches, nor on the known tokens' lengths:
// what is compared are SHA-256 digests (32 bytes each), every known one in full.
#ifndef ROOST_SERVICES_AUTH_H_
#define ROOST_SERVICES_AUTH_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace roost::services {

enum class Role { kUser = 0, kAdmin = 1 };

class TokenAuth {
 public:
  // Shortest token accepted: 16 characters of a random hex or base64 string is 64+ bits.
  static constexpr size_t kMinTokenLength = 16;

  // Parses a tokens file's contents. INVALID_ARGUMENT naming the line for a malformed
  // line, an unknown role, a short token, a token with characters outside
  // [A-Za-z0-9._~+/=-], a duplicate, or no token at all.
  static absl::StatusOr<std::unique_ptr<TokenAuth>> Parse(absl::string_view contents);
  // Reads and parses `path`. FAILED_PRECONDITION if the file may be read by anyone but
  // its owner (as ssh refuses such keys): a token file is a password file.
  static absl::StatusOr<std::unique_ptr<TokenAuth>> Load(const std::string& path);

  // Whether the value of an `authorization` header grants `needed`: OK,
  // UNAUTHENTICATED (no header, not "Bearer <token>", or an unknown token), or
  // PERMISSION_DENIED (a user token where admin is needed). `present` is false when
  // the call carried no such header.
  absl::Status Check(bool present, absl::string_view authorization, Role needed) const;

  size_t size() const { return tokens_.size(); }

 private:
  struct Entry {
    std::string digest;  // SHA-256 of the token
    Role role;
  };
  TokenAuth() = default;
  std::vector<Entry> tokens_;
};

// Equal in time that depends only on the lengths of the two strings.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// The SHA-256 digest of `text`, 32 bytes.
std::string Sha256(absl::string_view text);

}  // namespace roost::services

#endif  // ROOST_SERVICES_AUTH_H_
