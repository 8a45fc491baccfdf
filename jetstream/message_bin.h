// MessageBin: NATS messages the client handed over (a reader's, a publish's returned
// with its ack), destroyed in groups. Internal to jetstream/.
//
// The NATS C client frees such a message on its own collector thread, which
// natsMsg_Destroy wakes whenever that thread is idle: at a low message rate every
// message costs a wake-up and two context switches. A bin holds the messages it is
// given and destroys them together once it holds `capacity`, so the collector wakes
// once per group; what it holds is only memory the client frees a little later.
//
// Not thread-safe.
#ifndef ROOST_JETSTREAM_MESSAGE_BIN_H_
#define ROOST_JETSTREAM_MESSAGE_BIN_H_

#include <nats/nats.h>

#include <cstddef>
#include <vector>

namespace roost::jetstream {

class MessageBin {
 public:
  explicit MessageBin(size_t capacity = 64) : capacity_(capacity) { held_.reserve(capacity); }
  ~MessageBin() { Empty(); }

  MessageBin(const MessageBin&) = delete;
  MessageBin& operator=(const MessageBin&) = delete;

  // Takes `msg`, which its owner no longer reads.
  void Add(natsMsg* msg) {
    held_.push_back(msg);
    if (held_.size() >= capacity_) Empty();
  }

  // Destroys every message held.
  void Empty() {
    for (natsMsg* msg : held_) natsMsg_Destroy(msg);
    held_.clear();
  }

 private:
  const size_t capacity_;
  std::vector<natsMsg*> held_;
};

}  // namespace roost::jetstream

#endif  // ROOST_JETSTREAM_MESSAGE_BIN_H_
