#include "services/consistency.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace roost::services {

std::string FormatToken(const ConsistencyToken& token) {
  return absl::StrCat(token.partition, ":", token.position);
}

absl::StatusOr<ConsistencyToken> ParseToken(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  ConsistencyToken token;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &token.partition) ||
      !absl::SimpleAtoi(parts[1], &token.position)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a consistency token (pass a write's token as it came)"));
  }
  return token;
}

void Consistency::ReadPosition(LogOffset min_position, absl::string_view token,
                               absl::Time deadline,
                               absl::AnyInvocable<void(absl::StatusOr<LogOffset>)> done) const {
  if (token.empty()) return done(min_position);
  absl::StatusOr<ConsistencyToken> parsed = ParseToken(token);
  if (!parsed.ok()) return done(parsed.status());
  if (resolver_ == nullptr) {
    if (parsed->partition != 0) {
      return done(absl::InvalidArgumentError(absl::StrCat(
          "token ", token, " is from partition ", parsed->partition,
          " of a cluster; this roostd is a single node")));
    }
    return done(std::max(min_position, parsed->position));
  }
  resolver_->Resolve(*parsed, deadline,
                     [min_position, done = std::move(done)](absl::StatusOr<LogOffset> position) mutable {
                       if (!position.ok()) return done(position.status());
                       done(std::max(min_position, *position));
                     });
}

}  // namespace roost::services
