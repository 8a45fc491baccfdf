#include "jetstream/nats_status.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace roost::jetstream {
namespace {

absl::StatusCode CodeFor(natsStatus status, jsErrCode js_error) {
  switch (js_error) {
    case JSInsufficientResourcesErr:
    case JSStorageResourcesExceededErr:
    case JSMaximumStreamsLimitErr:
    case JSMaximumConsumersLimitErr:
      return absl::StatusCode::kResourceExhausted;
    case JSStreamNotFoundErr:
    case JSConsumerNotFoundErr:
      return absl::StatusCode::kNotFound;
    case JSStreamMessageExceedsMaximumErr:
      return absl::StatusCode::kInvalidArgument;
    case JSClusterNotAvailErr:
    case JSClusterNoPeersErr:
    case JSStreamStoreFailedErr:
      return absl::StatusCode::kUnavailable;
    default:
      break;
  }
  switch (status) {
    case NATS_OK:
      return absl::StatusCode::kOk;
    case NATS_TIMEOUT:
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_NOT_YET_CONNECTED:
    case NATS_NO_RESPONDERS:
    case NATS_IO_ERROR:
    case NATS_DRAINING:
      return absl::StatusCode::kUnavailable;
    case NATS_NOT_FOUND:
      return absl::StatusCode::kNotFound;
    case NATS_INVALID_ARG:
    case NATS_MAX_PAYLOAD:
      return absl::StatusCode::kInvalidArgument;
    case NATS_NO_MEMORY:
      return absl::StatusCode::kResourceExhausted;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

absl::Status FromNatsText(natsStatus status, jsErrCode js_error, absl::string_view context,
                          absl::string_view text) {
  if (status == NATS_OK && js_error == 0) return absl::OkStatus();
  std::string message =
      absl::StrCat(context, ": ", text.empty() ? natsStatus_GetText(status) : text);
  if (js_error != 0)
    absl::StrAppend(&message, " (JetStream error ", static_cast<int>(js_error), ")");
  absl::StatusCode code = CodeFor(status, js_error);
  // Some calls (the key-value ones) report JetStream's errors only as text; a cluster
  // still forming, or missing servers, has no peers to place replicas on yet.
  if (js_error == 0 && absl::StrContains(text, "no suitable peers")) {
    code = absl::StatusCode::kUnavailable;
  }
  return absl::Status(code, message);
}

absl::Status FromNats(natsStatus status, absl::string_view context, jsErrCode js_error) {
  if (status == NATS_OK) return absl::OkStatus();
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  return FromNatsText(status, js_error, context,
                      (text != nullptr && last == status) ? text : natsStatus_GetText(status));
}

}  // namespace roost::jetstream
