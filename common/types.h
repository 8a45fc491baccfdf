// The identifiers every module shares. TweetIds are Snowflake ids (see ids.h) and
// sort by creation time; UserIds are owned by the caller and are never 0.
#ifndef ROOST_COMMON_TYPES_H_
#define ROOST_COMMON_TYPES_H_

#include <cstdint>

namespace roost {

using UserId = uint64_t;
using TweetId = uint64_t;

// A log offset. Offsets start at 1; 0 means "no position".
using LogOffset = uint64_t;

}  // namespace roost

#endif  // ROOST_COMMON_TYPES_H_
