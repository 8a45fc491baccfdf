// libFuzzer target: request validation. The input is parsed as a PostRequest, an
// EdgeRequest and a HomeRequest (what clients send) and run through the checks Roost
// makes; the text check is compared
// with a second, independent UTF-8 decoder written here from RFC 3629, so a validator
// that accepts an overlong form, a surrogate or a code point above U+10FFFF, or
// miscounts, aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "absl/strings/string_view.h"
#include "common/utf8.h"
#include "roost/v1/roost.pb.h"
#include "services/validation.h"

namespace {

// Code points in `s`, or nullopt if it is not UTF-8 (RFC 3629, section 4's table).
std::optional<size_t> Reference(absl::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); ++count) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const auto tail = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    const unsigned char c = b(0);
    if (c < 0x80) {
      i += 1;
    } else if (c >= 0xC2 && c <= 0xDF && tail(1)) {
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF && tail(1) && tail(2)) {
      if (c == 0xE0 && b(1) < 0xA0) return std::nullopt;   // overlong
      if (c == 0xED && b(1) >= 0xA0) return std::nullopt;  // surrogates
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4 && tail(1) && tail(2) && tail(3)) {
      if (c == 0xF0 && b(1) < 0x90) return std::nullopt;   // overlong
      if (c == 0xF4 && b(1) >= 0x90) return std::nullopt;  // above U+10FFFF
      i += 4;
    } else {
      return std::nullopt;
    }
  }
  return count;
}

}  // namespace

// Protobuf logs a line for every string field that is not UTF-8; at a million inputs
// that is most of the run's time.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view raw(reinterpret_cast<const char*>(data), size);
  // The raw bytes as a text, which the wire format may not let through (protobuf
  // checks UTF-8 on parse): the validator must judge them itself.
  const std::optional<size_t> mine = roost::Utf8CodePoints(raw);
  if (mine != Reference(raw)) std::abort();
  for (bool retweet : {false, true}) {
    const bool ok = roost::services::ValidateTweetText(raw, retweet).ok();
    const bool expected = mine.has_value() && *mine <= roost::services::kMaxTweetCodePoints &&
                          (retweet || !raw.empty());
    if (ok != expected) std::abort();
  }

  roost::v1::PostRequest post;
  if (post.ParseFromArray(data, static_cast<int>(size))) {
    const bool valid =
        roost::services::ValidateUserId(post.author_id(), "author_id").ok() &&
        roost::services::ValidateTweetText(post.text(), post.retweet_of_id() != 0).ok() &&
        roost::services::ValidateRequestId(post.request_id()).ok();
    if (valid &&
        (post.author_id() == 0 || post.request_id().size() > roost::services::kMaxRequestIdBytes)) {
      std::abort();
    }
  }
  roost::v1::EdgeRequest edge;
  if (edge.ParseFromArray(data, static_cast<int>(size))) {
    if (roost::services::ValidateEdge(edge.source_id(), edge.destination_id()).ok() !=
        (edge.source_id() != edge.destination_id())) {
      std::abort();
    }
    // The graph as the handlers take it: any number off the wire.
    const int graph = static_cast<int>(edge.graph());
    const bool known = graph >= roost::graph::kFollows && graph <= roost::graph::kMutes;
    if (graph >= 0 && graph <= 255 &&
        roost::services::ValidateGraph(static_cast<roost::graph::GraphId>(graph)).ok() != known) {
      std::abort();
    }
  }
  roost::v1::HomeRequest home;
  if (home.ParseFromArray(data, static_cast<int>(size))) {
    const uint32_t limit = roost::services::PageLimit(home.limit());
    if (limit == 0 || limit > roost::services::kMaxPageLimit) std::abort();
  }
  return 0;
}
