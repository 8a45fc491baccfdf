// A stream declared with the type of the value its tuples carry. The producer emits
// through the declaration and the consumers read, and key their fields grouping,
// through it, so both sides of a stream agree on its type in one place and no component
// casts a tuple's value itself:
//
//   inline constexpr TypedStream<Order> kOrders{1};
//   kOrders.Emit(out, Order{...});                              // producer
//   const Order& order = kOrders.Get(input);                    // consumer
//   builder.AddBolt(...).Fields("orders", kOrders, [](const Order& o) { return o.user; });
//
// Several streams may carry one type (a bolt subscribed to all of them reads each
// through any of their declarations). Reading a tuple as a type it does not carry is a
// programming error: Get aborts, naming the stream and both types.
#ifndef ROOST_TOPOLOGY_TYPED_STREAM_H_
#define ROOST_TOPOLOGY_TYPED_STREAM_H_

#include <any>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <typeinfo>
#include <utility>

#include "common/types.h"
#include "topology/component.h"
#include "topology/topology.h"

namespace roost::topology {

template <typename T>
class TypedStream {
 public:
  constexpr explicit TypedStream(StreamId id) : id_(id) {}

  constexpr StreamId id() const { return id_; }

  void Emit(Emitter& out, T value) const { out.Emit(id_, std::move(value)); }
  void Emit(SpoutCollector& out, LogOffset offset, T value) const {
    out.Emit(offset, id_, std::move(value));
  }

  // The value `tuple` carries, which must be a T.
  const T& Get(const Tuple& tuple) const {
    const T* value = std::any_cast<T>(&tuple.value);
    if (value == nullptr) [[unlikely]] {
      std::fprintf(stderr, "topology: a tuple of stream %d carries %s, read as %s\n", tuple.stream,
                   tuple.value.type().name(), typeid(T).name());
      std::abort();
    }
    return *value;
  }

  // A fields-grouping key function that keys a tuple by `key_of(value)`.
  template <typename KeyOf>
  KeyFunction Key(KeyOf key_of) const {
    return [stream = *this, key_of = std::move(key_of)](const Tuple& tuple) -> uint64_t {
      return key_of(stream.Get(tuple));
    };
  }

 private:
  StreamId id_;
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_TYPED_STREAM_H_
