// Consistency tokens (roost.proto, "Consistency"). A write's token names the partition
// whose log holds it and its position there; a read given one waits until everything
// that write caused on the read's partition is applied. On a single node there is one
// partition and the token is its position; in a cluster a TokenResolver finds how far
// the read's partition must have applied (cluster_tokens.h).
//
// The text of a token is "<partition>:<position>", opaque to clients.
#ifndef ROOST_SERVICES_CONSISTENCY_H_
#define ROOST_SERVICES_CONSISTENCY_H_

#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/types.h"

namespace roost::services {

struct ConsistencyToken {
  uint32_t partition = 0;
  LogOffset position = 0;
};

std::string FormatToken(const ConsistencyToken& token);
// INVALID_ARGUMENT for text that is not a token.
absl::StatusOr<ConsistencyToken> ParseToken(absl::string_view text);

// Where one partition's reads must wait for a token. Thread-safe.
class TokenResolver {
 public:
  virtual ~TokenResolver() = default;
  // Calls `done`, once, with the position of the read's partition's log that covers
  // what the token's write caused there (0: nothing to wait for), or why not:
  // INVALID_ARGUMENT for a partition the cluster does not have; UNAVAILABLE or
  // DEADLINE_EXCEEDED when the partitions involved do not answer by `deadline`; what
  // a partition's owner answered otherwise.
  virtual void Resolve(ConsistencyToken token, absl::Time deadline,
                       absl::AnyInvocable<void(absl::StatusOr<LogOffset>)> done) = 0;
};

// The tokens of one partition's services: the tokens its writes return, and where its
// reads wait for one.
class Consistency {
 public:
  // A single node: partition 0; a token is its position.
  Consistency() = default;
  // Partition `partition` of a cluster; `resolver` is not owned.
  Consistency(uint32_t partition, TokenResolver* resolver)
      : partition_(partition), resolver_(resolver) {}

  std::string TokenFor(LogOffset position) const { return FormatToken({partition_, position}); }
  // Calls `done` with the position a read must wait for: `min_position`, or what
  // `token` (empty: none) resolves to on this partition, whichever is later.
  void ReadPosition(LogOffset min_position, absl::string_view token, absl::Time deadline,
                    absl::AnyInvocable<void(absl::StatusOr<LogOffset>)> done) const;

 private:
  uint32_t partition_ = 0;
  TokenResolver* resolver_ = nullptr;
};

}  // namespace roost::services

#endif  // ROOST_SERVICES_CONSISTENCY_H_
