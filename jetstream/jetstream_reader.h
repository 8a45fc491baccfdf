// A LogReader over a JetStream stream: an ordered consumer (ephemeral, no acks, kept in
// memory on the server, recreated by the client from the last sequence it delivered
// when its server goes away). Internal to jetstream/.
#ifndef ROOST_JETSTREAM_JETSTREAM_READER_H_
#define ROOST_JETSTREAM_JETSTREAM_READER_H_

#include <nats/nats.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/types.h"
#include "log/log_reader.h"

namespace roost::jetstream {

// The last offset of a closed log (its readers end there), nullopt while it is open.
using ClosedEnd = std::function<std::optional<LogOffset>()>;

absl::StatusOr<std::unique_ptr<log::LogReader>> OpenOrderedReader(jsCtx* js,
                                                                  const std::string& stream,
                                                                  const std::string& subject,
                                                                  LogOffset start,
                                                                  ClosedEnd closed_end);

}  // namespace roost::jetstream

#endif  // ROOST_JETSTREAM_JETSTREAM_READER_H_
