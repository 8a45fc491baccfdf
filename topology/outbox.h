// Where the output of one component instance goes. Emit routes a tuple by the
// groupings of the bolts subscribed to its stream and buffers it per destination
// instance; a buffer is handed to its destination's queue when it holds batch_size
// tuples or on Flush. Tuples from this instance to one destination keep their order.
//
// Before a buffer is handed off, its tuples are added to their roots' pending counts
// and to the in-flight count, so they are accounted for before anyone can run them.
//
// Not thread-safe: one Outbox per instance, used by that instance's thread.
#ifndef ROOST_TOPOLOGY_OUTBOX_H_
#define ROOST_TOPOLOGY_OUTBOX_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/metrics.h"
#include "topology/component.h"
#include "topology/envelope.h"
#include "topology/grouping.h"
#include "topology/in_flight.h"
#include "topology/input_queue.h"
#include "topology/topology.h"

namespace roost::topology {

// One bolt's subscription to a stream of this component, resolved to buffers.
struct Route {
  Grouping grouping = Grouping::kShuffle;
  KeyFunction key;          // Grouping::kFields only
  size_t first_buffer = 0;  // the buffer of the subscriber's instance 0
  int parallelism = 1;      // the subscriber's instances use consecutive buffers
  int next = 0;             // Grouping::kShuffle: the instance that gets the next tuple
};

struct StreamRoutes {
  StreamId stream = 0;
  std::vector<Route> routes;
};

class Outbox {
 public:
  // `destinations[i]` is the queue buffer i hands off to; routes refer to buffers by
  // index. The queues and `in_flight` are not owned and must outlive the outbox;
  // `emitted` (may be null) counts Emit calls.
  Outbox(std::vector<StreamRoutes> streams, std::vector<InputQueue*> destinations,
         size_t batch_size, InFlight* in_flight, Counter* emitted);

  Outbox(Outbox&&) = default;

  // Routes `envelope`; a tuple on a stream nobody subscribes to is dropped. True
  // when a buffer filled up and was handed off (a moment to check back pressure).
  bool Emit(Envelope envelope);

  // Hands off every non-empty buffer.
  void Flush();

 private:
  struct Buffer {
    InputQueue* queue = nullptr;
    std::vector<Envelope> tuples;
    bool dirty = false;  // listed in dirty_
  };

  void Put(size_t buffer, Envelope envelope);
  void HandOff(Buffer& buffer);

  std::vector<StreamRoutes> streams_;
  std::vector<Buffer> buffers_;
  std::vector<size_t> dirty_;  // buffers that may hold tuples
  size_t batch_size_;
  InFlight* in_flight_;
  Counter* emitted_;
  int64_t emitted_unpublished_ = 0;  // counters are shared; publish once per Flush
  bool handed_off_ = false;
};

}  // namespace roost::topology

#endif  // ROOST_TOPOLOGY_OUTBOX_H_
