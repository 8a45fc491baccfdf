#include "common/utf8.h"

#include <cstdint>

namespace roost {

std::optional<size_t> Utf8CodePoints(absl::string_view text) {
  size_t count = 0;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const uint8_t b0 = static_cast<uint8_t>(text[i]);
    int len;
    uint32_t cp;
    if (b0 < 0x80) {
      ++i;
      ++count;
      continue;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2;
      cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3;
      cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4;
      cp = b0 & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + len > n) return std::nullopt;
    for (int k = 1; k < len; ++k) {
      const uint8_t b = static_cast<uint8_t>(text[i + k]);
      if ((b & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr uint32_t kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
    i += len;
    ++count;
  }
  return count;
}

}  // namespace roost
