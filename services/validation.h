// Request validation shared by every entry point (gRPC handlers, embedded drivers).
// Each check returns INVALID_ARGUMENT with a message naming the field, or OK. Pure
// functions; nothing here touches state.
#ifndef ROOST_SERVICES_VALIDATION_H_
#define ROOST_SERVICES_VALIDATION_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/types.h"
#include "graph/edge.h"

namespace roost::services {

inline constexpr size_t kMaxTweetCodePoints = 280;
inline constexpr size_t kMaxGetIds = 100;
inline constexpr size_t kMaxQueryTerms = 8;
inline constexpr size_t kMaxContainsIds = 1000;
inline constexpr size_t kMaxRequestIdBytes = 128;
inline constexpr uint32_t kDefaultPageLimit = 20;
inline constexpr uint32_t kMaxPageLimit = 200;

absl::Status ValidateUserId(UserId id, absl::string_view field);
// Non-empty unless `retweet` (a retweet may carry no text of its own), valid UTF-8, at
// most 280 code points.
absl::Status ValidateTweetText(absl::string_view text, bool retweet);
absl::Status ValidateRequestId(absl::string_view request_id);
// FOLLOWS, BLOCKS or MUTES.
absl::Status ValidateGraph(graph::GraphId graph);
// Graph edges may not point at their own source.
absl::Status ValidateEdge(UserId source, UserId destination);
// At most `max` items in a list field.
absl::Status ValidateCount(size_t count, size_t max, absl::string_view field);

// 0 means the default page size; above the maximum it is clamped, not refused.
uint32_t PageLimit(uint32_t requested);

}  // namespace roost::services

#endif  // ROOST_SERVICES_VALIDATION_H_
