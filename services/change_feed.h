// The change feed's server side: one ChangeFeed.Subscribe stream (feed.proto). A thread of its own
// reads the log, or a cluster node's partitions' logs in turn (blocking reads of durable
// records, with its own readers), and writes each
// matching event only after the client took the previous one (OnWriteDone), so gRPC's flow control
// paces it by the client's reads and a slow subscriber holds back nothing but itself.
#ifndef ROOST_SERVICES_CHANGE_FEED_H_
#define ROOST_SERVICES_CHANGE_FEED_H_

#include <atomic>

#include <grpcpp/grpcpp.h>

#include "absl/types/span.h"
#include "roost/v1/feed.grpc.pb.h"
#include "services/roost.h"

namespace roost::services {

// At most this many subscriptions at once (each holds a thread).
inline constexpr int kMaxSubscribers = 64;

// A partition a subscription streams, and the Roost that holds its log.
struct FeedPartition {
  uint32_t partition = 0;
  Roost* roost = nullptr;
};

// Starts the stream of `partitions` (one on a single node) for `request`, each from
// its from_positions entry or from_position; gRPC owns the returned reactor (it
// deletes itself when done). `subscribers` counts the open streams.
grpc::ServerWriteReactor<::roost::v1::ChangeEvent>* StartSubscription(
    absl::Span<const FeedPartition> partitions, const ::roost::v1::SubscribeRequest& request,
    std::atomic<int>* subscribers);

// A stream that fails at once with `status`.
grpc::ServerWriteReactor<::roost::v1::ChangeEvent>* RefusedSubscription(const grpc::Status& status);

}  // namespace roost::services

#endif  // ROOST_SERVICES_CHANGE_FEED_H_
