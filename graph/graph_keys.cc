#include "graph/graph_keys.h"

#include "common/coding.h"

namespace roost::graph::keys {
namespace {

// tag graph dir user: the head shared by lists, elements and counts.
std::string Head(char tag, GraphId graph, Direction direction, UserId user, size_t reserve) {
  std::string key;
  key.reserve(reserve);
  key.push_back(tag);
  key.push_back(static_cast<char>(graph));
  key.push_back(static_cast<char>(direction));
  PutBigEndian64(&key, user);
  return key;
}

}  // namespace

std::string ListPrefix(GraphId graph, Direction direction, UserId user, EdgeState state) {
  std::string key = Head(kListTag, graph, direction, user, kListKeySize);
  key.push_back(static_cast<char>(state));
  return key;
}

std::string ListKey(GraphId graph, Direction direction, UserId user, EdgeState state,
                    uint64_t position, UserId other) {
  std::string key = ListPrefix(graph, direction, user, state);
  PutBigEndian64(&key, ~position);
  PutBigEndian64(&key, other);
  return key;
}

std::string ListSeekKey(GraphId graph, Direction direction, UserId user, EdgeState state,
                        uint64_t before) {
  // Positions below `before` are those at or after ~(before - 1) in key order.
  std::string key = ListPrefix(graph, direction, user, state);
  PutBigEndian64(&key, ~(before - 1));
  return key;
}

bool ParseListKey(absl::string_view key, ParsedListKey* out) {
  if (key.size() != kListKeySize || key[0] != kListTag) return false;
  const auto state = static_cast<uint8_t>(key[11]);
  const auto direction = static_cast<uint8_t>(key[2]);
  if (!IsValidState(state) || direction > 1) return false;
  out->graph = static_cast<GraphId>(key[1]);
  out->direction = static_cast<Direction>(direction);
  out->user = DecodeBigEndian64(key.data() + 3);
  out->state = static_cast<EdgeState>(state);
  out->position = ~DecodeBigEndian64(key.data() + 12);
  out->other = DecodeBigEndian64(key.data() + 20);
  return true;
}

std::string ElementKey(GraphId graph, Direction direction, UserId user, UserId other) {
  return direction == Direction::kForward ? ForwardElementKey(graph, user, other)
                                          : ForwardElementKey(graph, other, user);
}

std::string CountKey(GraphId graph, Direction direction, UserId user, EdgeState state) {
  std::string key = Head(kCountTag, graph, direction, user, kCountKeySize);
  key.push_back(static_cast<char>(state));
  return key;
}

std::string CommittedOffsetKey() { return std::string(1, kMetaTag) + "committed_offset"; }

std::string FormatKey() { return std::string(1, kMetaTag) + "format"; }

std::string ForwardListKey(const Edge& edge) {
  return ListKey(edge.graph, Direction::kForward, edge.source, edge.state, edge.position,
                 edge.destination);
}

std::string BackwardListKey(const Edge& edge) {
  return ListKey(edge.graph, Direction::kBackward, edge.destination, edge.state, edge.position,
                 edge.source);
}

std::string ForwardElementKey(GraphId graph, UserId source, UserId destination) {
  std::string key;
  key.reserve(kElementKeySize);
  key.push_back(kElementTag);
  key.push_back(static_cast<char>(graph));
  PutBigEndian64(&key, source);
  PutBigEndian64(&key, destination);
  return key;
}

std::string EncodeElementValue(const ElementValue& value) {
  std::string data;
  data.reserve(17);
  PutFixed64(&data, value.position);
  data.push_back(static_cast<char>(value.state));
  PutFixed64(&data, value.updated_at);
  return data;
}

bool DecodeElementValue(absl::string_view data, ElementValue* out) {
  if (data.size() != 17) return false;
  const auto state = static_cast<uint8_t>(data[8]);
  if (!IsValidState(state)) return false;
  out->position = DecodeFixed64(data.data());
  out->state = static_cast<EdgeState>(state);
  out->updated_at = DecodeFixed64(data.data() + 9);
  return true;
}

std::string EncodeCount(int64_t count) {
  std::string data;
  PutFixed64(&data, static_cast<uint64_t>(count));
  return data;
}

bool DecodeCount(absl::string_view data, int64_t* out) {
  if (data.size() != 8) return false;
  *out = static_cast<int64_t>(DecodeFixed64(data.data()));
  return true;
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string limit(prefix);
  while (!limit.empty() && static_cast<uint8_t>(limit.back()) == 0xff) limit.pop_back();
  if (!limit.empty()) limit.back() = static_cast<char>(static_cast<uint8_t>(limit.back()) + 1);
  return limit;
}

}  // namespace roost::graph::keys
