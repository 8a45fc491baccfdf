// FromNats: the one mapping of the NATS C client's natsStatus (and JetStream's error
// codes) to absl::Status. What a retry may cure (no server reachable, a timeout, a
// stream without a leader during an election) is UNAVAILABLE; a full stream or account
// is RESOURCE_EXHAUSTED; a missing stream or consumer is NOT_FOUND.
#ifndef ROOST_JETSTREAM_NATS_STATUS_H_
#define ROOST_JETSTREAM_NATS_STATUS_H_

#include <nats/nats.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace roost::jetstream {

// `context` opens the message (what was being done), then the client's own text: the
// thread's last NATS error when it belongs to `status`, the status name otherwise.
// `js_error` is the JetStream API error code when the server answered one (0: none).
absl::Status FromNats(natsStatus status, absl::string_view context,
                      jsErrCode js_error = jsErrCode{});

// The same for an error the server reported in text (an asynchronous publish's ack).
absl::Status FromNatsText(natsStatus status, jsErrCode js_error, absl::string_view context,
                          absl::string_view text);

}  // namespace roost::jetstream

#endif  // ROOST_JETSTREAM_NATS_STATUS_H_
