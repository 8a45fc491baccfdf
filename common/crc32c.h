// CRC32C (Castagnoli), as used by the log's record framing. Uses the SSE4.2 crc32
// instruction when the CPU has it, a table otherwise. (Debian ships no CRC32C library
// and the packaged Abseil predates absl/crc.)
#ifndef ROOST_COMMON_CRC32C_H_
#define ROOST_COMMON_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace roost::crc32c {

// The CRC32C of data[0, n) continued from `crc` (the value of a previous Value/Extend).
uint32_t Extend(uint32_t crc, const char* data, size_t n);
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }

// A CRC stored next to the data it covers is masked, so that a CRC of a string that
// itself contains CRCs is not degenerate (the LevelDB convention).
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t Unmask(uint32_t masked) {
  const uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace roost::crc32c

#endif  // ROOST_COMMON_CRC32C_H_
