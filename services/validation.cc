#include "services/validation.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace roost::services {

absl::Status ValidateUserId(UserId id, absl::string_view field) {
  if (id == 0) return absl::InvalidArgumentError(absl::StrCat(field, " must not be 0"));
  return absl::OkStatus();
}

absl::Status ValidateTweetText(absl::string_view text, bool retweet) {
  if (text.empty() && !retweet) return absl::InvalidArgumentError("text must not be empty");
  const std::optional<size_t> code_points = Utf8CodePoints(text);
  if (!code_points.has_value()) return absl::InvalidArgumentError("text is not valid UTF-8");
  if (*code_points > kMaxTweetCodePoints) {
    return absl::InvalidArgumentError(absl::StrCat(
        "text has ", *code_points, " code points; the maximum is ", kMaxTweetCodePoints));
  }
  return absl::OkStatus();
}

absl::Status ValidateRequestId(absl::string_view request_id) {
  if (request_id.size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("request_id has ", request_id.size(),
                                                   " bytes; the maximum is ", kMaxRequestIdBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateGraph(graph::GraphId graph) {
  if (graph < graph::kFollows || graph > graph::kMutes) {
    return absl::InvalidArgumentError("graph must be FOLLOWS, BLOCKS or MUTES");
  }
  return absl::OkStatus();
}

absl::Status ValidateEdge(UserId source, UserId destination) {
  if (source == destination) {
    return absl::InvalidArgumentError("source_id and destination_id must differ");
  }
  return absl::OkStatus();
}

absl::Status ValidateCount(size_t count, size_t max, absl::string_view field) {
  if (count > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " has ", count, " items; the maximum is ", max));
  }
  return absl::OkStatus();
}

uint32_t PageLimit(uint32_t requested) {
  if (requested == 0) return kDefaultPageLimit;
  return requested > kMaxPageLimit ? kMaxPageLimit : requested;
}

}  // namespace roost::services
