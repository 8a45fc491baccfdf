// The change feed's server side: one ChangeFeed.Subscribe stream (feed.proto). A thread of its own
// reads the log (blocking reads of durable records, with its own file handles) and writes each
// matching event only after the client took the previous one (OnWriteDone), so gRPC's flow control
// paces it by the client's reads and a slow subscriber holds back nothing but itself.
#ifndef ROOST_SERVICES_CHANGE_FEED_H_
#define ROOST_SERVICES_CHANGE_FEED_H_

#include <atomic>

#include <grpcpp/grpcpp.h>

#include "roost/v1/feed.grpc.pb.h"
#include "services/roost.h"

namespace roost::services {

// At most this many subscriptions at once (each holds a thread).
inline constexpr int kMaxSubscribers = 64;

// Starts the stream for `request`; gRPC owns the returned reactor (it deletes itself
// when done). `subscribers` counts the open streams.
grpc::ServerWriteReactor<::roost::v1::ChangeEvent>* StartSubscription(
    Roost* roost, const ::roost::v1::SubscribeRequest& request, std::atomic<int>* subscribers);

// A stream that fails at once with `status`.
grpc::ServerWriteReactor<::roost::v1::ChangeEvent>* RefusedSubscription(const grpc::Status& status);

}  // namespace roost::services

#endif  // ROOST_SERVICES_CHANGE_FEED_H_
