// libFuzzer target: DecodeEvent, which every log reader (the pipeline, the change feed)
// runs on a record's payload. Invariants: no crash or sanitizer report on any bytes,
// and an accepted event survives a serialize/decode round trip unchanged and accepted.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "absl/strings/string_view.h"
#include "ingest/event_codec.h"
#include "roost/v1/events.pb.h"

// Protobuf logs a line for every string field that is not UTF-8; at a million inputs
// that is most of the run's time.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  roost::v1::events::Event event;
  const absl::string_view payload(reinterpret_cast<const char*>(data), size);
  if (!roost::ingest::DecodeEvent(payload, &event).ok()) return 0;
  const std::string bytes = event.SerializeAsString();
  roost::v1::events::Event again;
  if (!roost::ingest::DecodeEvent(bytes, &again).ok()) std::abort();
  if (again.SerializeAsString() != bytes) std::abort();
  return 0;
}
