#include "topology/outbox.h"

#include <utility>

#include "topology/ack_tracker.h"

namespace roost::topology {

Outbox::Outbox(std::vector<StreamRoutes> streams, std::vector<InputQueue*> destinations,
               size_t batch_size, InFlight* in_flight, Counter* emitted)
    : streams_(std::move(streams)),
      buffers_(destinations.size()),
      batch_size_(batch_size),
      in_flight_(in_flight),
      emitted_(emitted) {
  for (size_t i = 0; i < destinations.size(); ++i) {
    buffers_[i].queue = destinations[i];
    buffers_[i].tuples.reserve(batch_size);
  }
}

bool Outbox::Emit(Envelope envelope) {
  ++emitted_unpublished_;
  handed_off_ = false;
  StreamRoutes* stream = nullptr;
  for (StreamRoutes& candidate : streams_) {
    if (candidate.stream == envelope.tuple.stream) stream = &candidate;
  }
  if (stream == nullptr) return false;
  std::vector<Route>& routes = stream->routes;
  for (size_t r = 0; r < routes.size(); ++r) {
    Route& route = routes[r];
    int instance = 0;
    switch (route.grouping) {
      case Grouping::kShuffle:
        instance = route.next;
        route.next = route.next + 1 == route.parallelism ? 0 : route.next + 1;
        break;
      case Grouping::kFields:
        instance = FieldsInstance(route.key(envelope.tuple), route.parallelism);
        break;
      case Grouping::kGlobal:
        instance = 0;
        break;
      case Grouping::kAll:
        for (int i = 0; i + 1 < route.parallelism; ++i) Put(route.first_buffer + i, envelope);
        instance = route.parallelism - 1;
        break;
    }
    // Every route but the last gets a copy; the last takes the original.
    if (r + 1 == routes.size()) {
      Put(route.first_buffer + instance, std::move(envelope));
    } else {
      Put(route.first_buffer + instance, envelope);
    }
  }
  return handed_off_;
}

void Outbox::Put(size_t index, Envelope envelope) {
  Buffer& buffer = buffers_[index];
  buffer.tuples.push_back(std::move(envelope));
  if (!buffer.dirty) {
    buffer.dirty = true;
    dirty_.push_back(index);
  }
  if (buffer.tuples.size() >= batch_size_) {
    HandOff(buffer);
    handed_off_ = true;
  }
}

void Outbox::HandOff(Buffer& buffer) {
  // Tuples of one root are usually adjacent (one spout batch), so one atomic add per
  // run of equal roots suffices.
  Root* run = nullptr;
  int64_t run_length = 0;
  for (const Envelope& envelope : buffer.tuples) {
    if (envelope.root != run) {
      if (run != nullptr) AckTracker::Add(run, run_length);
      run = envelope.root;
      run_length = 0;
    }
    ++run_length;
  }
  if (run != nullptr) AckTracker::Add(run, run_length);
  in_flight_->Add(static_cast<int64_t>(buffer.tuples.size()));
  buffer.queue->Push(buffer.tuples);
}

void Outbox::Flush() {
  for (size_t index : dirty_) {
    Buffer& buffer = buffers_[index];
    buffer.dirty = false;
    if (!buffer.tuples.empty()) HandOff(buffer);
  }
  dirty_.clear();
  if (emitted_ != nullptr && emitted_unpublished_ != 0) emitted_->Add(emitted_unpublished_);
  emitted_unpublished_ = 0;
}

}  // namespace roost::topology
