// Fixed-width and varint encodings for on-disk keys and values. Keys use big-endian so
// that RocksDB's bytewise order equals numeric order; values use little-endian varints.
#ifndef ROOST_COMMON_CODING_H_
#define ROOST_COMMON_CODING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace roost {

void PutBigEndian64(std::string* dst, uint64_t v);
void PutBigEndian32(std::string* dst, uint32_t v);
// Requires at least 8 (4) readable bytes at p.
uint64_t DecodeBigEndian64(const char* p);
uint32_t DecodeBigEndian32(const char* p);

void PutFixed32(std::string* dst, uint32_t v);  // little-endian
void PutFixed64(std::string* dst, uint64_t v);
uint32_t DecodeFixed32(const char* p);
uint64_t DecodeFixed64(const char* p);

void PutVarint64(std::string* dst, uint64_t v);
// Consumes a varint from the front of *input; false on truncated or overlong input.
bool GetVarint64(absl::string_view* input, uint64_t* v);

// Length-prefixed (varint) bytes.
void PutLengthPrefixed(std::string* dst, absl::string_view value);
bool GetLengthPrefixed(absl::string_view* input, absl::string_view* value);

}  // namespace roost

#endif  // ROOST_COMMON_CODING_H_
