#include "services/auth.h"

#include <openssl/sha.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace roost::services {
namespace {

bool TokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '~' ||
         c == '+' || c == '/' || c == '=' || c == '-';
}

}  // namespace

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Every byte of the longer string is looked at; a length difference is folded in
  // rather than returned early.
  const size_t n = a.size() > b.size() ? a.size() : b.size();
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff = diff | static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::string Sha256(absl::string_view text) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

absl::StatusOr<std::unique_ptr<TokenAuth>> TokenAuth::Parse(absl::string_view contents) {
  std::unique_ptr<TokenAuth> auth(new TokenAuth());
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto bad = [line_number](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("tokens file line ", line_number, ": ", why));
    };
    if (fields.size() != 2) return bad("expected `ROLE TOKEN` (ROLE is user or admin)");
    Role role;
    if (fields[0] == "user") {
      role = Role::kUser;
    } else if (fields[0] == "admin") {
      role = Role::kAdmin;
    } else {
      return bad(absl::StrCat("unknown role '", fields[0], "' (user or admin)"));
    }
    const absl::string_view token = fields[1];
    if (token.size() < kMinTokenLength) {
      return bad(absl::StrCat("token shorter than ", kMinTokenLength, " characters"));
    }
    for (char c : token) {
      if (!TokenChar(c)) return bad("token characters must be letters, digits or ._~+/=-");
    }
    std::string digest = Sha256(token);
    for (const Entry& entry : auth->tokens_) {
      if (entry.digest == digest) return bad("duplicate token");
    }
    auth->tokens_.push_back({std::move(digest), role});
  }
  if (auth->tokens_.empty()) {
    return absl::InvalidArgumentError("tokens file holds no token: every call would be refused");
  }
  return auth;
}

absl::StatusOr<std::unique_ptr<TokenAuth>> TokenAuth::Load(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot read tokens file ", path, ": ", std::strerror(errno)));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::FailedPreconditionError(
        absl::StrFormat("tokens file %s may be read by others (mode %03o); chmod 600 %s", path,
                        st.st_mode & 0777, path));
  }
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return absl::NotFoundError(absl::StrCat("cannot read tokens file ", path));
  }
  absl::StatusOr<std::unique_ptr<TokenAuth>> auth = Parse(contents.str());
  if (!auth.ok()) {
    return absl::Status(auth.status().code(), absl::StrCat(path, ": ", auth.status().message()));
  }
  return auth;
}

absl::Status TokenAuth::Check(bool present, absl::string_view authorization, Role needed) const {
  if (!present) {
    return absl::UnauthenticatedError(
        "this server requires a token: send metadata `authorization: Bearer <token>`");
  }
  constexpr absl::string_view kScheme = "Bearer ";
  if (!absl::StartsWithIgnoreCase(authorization, kScheme)) {
    return absl::UnauthenticatedError("authorization metadata must be `Bearer <token>`");
  }
  const std::string digest =
      Sha256(absl::StripAsciiWhitespace(authorization.substr(kScheme.size())));
  // Every known token's digest is compared, whichever matches.
  bool found = false;
  Role role = Role::kUser;
  for (const Entry& entry : tokens_) {
    const bool equal = ConstantTimeEquals(digest, entry.digest);
    found |= equal;
    if (equal) role = entry.role;
  }
  if (!found) return absl::UnauthenticatedError("unknown token");
  if (needed == Role::kAdmin && role != Role::kAdmin) {
    return absl::PermissionDeniedError("this call needs an admin token");
  }
  return absl::OkStatus();
}

}  // namespace roost::services
