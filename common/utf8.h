// UTF-8 validation for user text. Tweets are limited by Unicode code points, not bytes.
#ifndef ROOST_COMMON_UTF8_H_
#define ROOST_COMMON_UTF8_H_

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace roost {

// The number of code points in `text`, or nullopt when it is not valid UTF-8
// (overlong forms, surrogates and values above U+10FFFF are invalid).
std::optional<size_t> Utf8CodePoints(absl::string_view text);

}  // namespace roost

#endif  // ROOST_COMMON_UTF8_H_
