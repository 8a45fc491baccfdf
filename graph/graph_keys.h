// The on-disk layout of the graph store: every record lives in RocksDB's default
// column family under a one-byte key-type prefix.
//
//   'L' graph dir user state ~position other  -> ""          edge lists (28 bytes)
//   'E' graph source destination              -> ElementValue element index (18 bytes)
//   'C' graph dir user state                  -> int64 fixed64 counts (merge operator)
//   'J' offset owner                          -> MassJob     pending mass updates
//   'M' name                                  -> meta (committed log offset, format)
//
// Integers are big-endian so that bytewise order is numeric order; the position is
// stored inverted (~position) so a forward scan of a list yields the newest first.
// A list's key prefix ('L' graph dir user state) has the same shape as its count key,
// which lets verification merge-join the two ranges.
//
// The element index holds each edge once, under (source, destination): a backward
// probe "does v point at u" is the forward key (v, u). FlockDB kept a row per
// direction; one entry per edge saves a sixth of every edge write and its bytes.
//
// Why one-byte prefixes rather than column families: every write touches lists,
// elements and counts in one WriteBatch either way, and a single keyspace needs no
// column-family handles to create, keep alive and reopen in the right order. The merge
// operator is registered for the whole database but only ever sees 'C' keys, because
// only counts are written with Merge. Scans are bounded by iterate_upper_bound, so no
// prefix extractor is needed; point lookups use a whole-key Bloom filter.
#ifndef ROOST_GRAPH_GRAPH_KEYS_H_
#define ROOST_GRAPH_GRAPH_KEYS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "common/types.h"
#include "graph/edge.h"

namespace roost::graph::keys {

inline constexpr char kListTag = 'L';
inline constexpr char kElementTag = 'E';
inline constexpr char kCountTag = 'C';
inline constexpr char kJobTag = 'J';
inline constexpr char kMetaTag = 'M';

// The on-disk format, stored under FormatKey(); 2 since the element index holds each
// edge once (format 1, which had no format key, held it in both directions).
inline constexpr uint64_t kFormatVersion = 2;

inline constexpr size_t kListPrefixSize = 12;  // 'L' graph dir user state
inline constexpr size_t kListKeySize = 28;
inline constexpr size_t kElementKeySize = 18;
inline constexpr size_t kCountKeySize = 12;

// The prefix of one list, (graph, direction, user, state); all its keys start with it.
std::string ListPrefix(GraphId graph, Direction direction, UserId user, EdgeState state);
std::string ListKey(GraphId graph, Direction direction, UserId user, EdgeState state,
                    uint64_t position, UserId other);
// The first key of the list at positions strictly below `before` (before >= 1).
std::string ListSeekKey(GraphId graph, Direction direction, UserId user, EdgeState state,
                        uint64_t before);

struct ParsedListKey {
  GraphId graph = 0;
  Direction direction = Direction::kForward;
  UserId user = 0;
  EdgeState state = EdgeState::kNormal;
  uint64_t position = 0;
  UserId other = 0;
};
// False when `key` is not a well-formed list key.
bool ParseListKey(absl::string_view key, ParsedListKey* out);

// The element entry of the edge between `user` and `other` as seen from `direction`:
// user -> other forward, other -> user backward.
std::string ElementKey(GraphId graph, Direction direction, UserId user, UserId other);
std::string CountKey(GraphId graph, Direction direction, UserId user, EdgeState state);
std::string CommittedOffsetKey();
std::string FormatKey();

// The keys of an edge as seen from either end: forward (source -> destination) and
// backward (destination -> source).
std::string ForwardListKey(const Edge& edge);
std::string BackwardListKey(const Edge& edge);
std::string ForwardElementKey(GraphId graph, UserId source, UserId destination);

// The value of an element-index entry.
struct ElementValue {
  uint64_t position = 0;
  EdgeState state = EdgeState::kNormal;
  uint64_t updated_at = 0;
};
std::string EncodeElementValue(const ElementValue& value);
// False on a malformed value (wrong size or unknown state).
bool DecodeElementValue(absl::string_view data, ElementValue* out);

std::string EncodeCount(int64_t count);
// False unless `data` is exactly 8 bytes.
bool DecodeCount(absl::string_view data, int64_t* out);

// The smallest key greater than every key that starts with `prefix` (prefix must not
// be all 0xff bytes, which no Roost prefix is: each starts with an ASCII tag).
std::string PrefixSuccessor(absl::string_view prefix);

inline bool IsValidState(uint8_t s) { return s < kNumEdgeStates; }
inline bool IsValidStateMask(StateMask mask) { return (mask >> kNumEdgeStates) == 0; }

}  // namespace roost::graph::keys

#endif  // ROOST_GRAPH_GRAPH_KEYS_H_
