// Decoding a log record's payload into an Event, for everything that reads the log
// (the pipeline, the change feed).
//
// A record's CRC proves its bytes are the ones written, not that the writer was this
// build or sane: a record from a newer version, a hand-made log or a bug upstream may
// hold a graph or state no store knows. Those are refused here, as DATA_LOSS naming
// the field, so the stores can trust the enums they are given (a graph id picks a key
// space; a state is a bit in a mask). Values a store can judge itself (ids of 0, an
// edge to oneself) are left to it: it refuses the event, and later ones still apply.
#ifndef ROOST_INGEST_EVENT_CODEC_H_
#define ROOST_INGEST_EVENT_CODEC_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "roost/v1/events.pb.h"

namespace roost::ingest {

// Parses `payload` into *event and checks its shape: one kind set, a non-zero event
// id, known graphs and edge states. DATA_LOSS otherwise (*event is then unspecified).
absl::Status DecodeEvent(absl::string_view payload, roost::v1::events::Event* event);

}  // namespace roost::ingest

#endif  // ROOST_INGEST_EVENT_CODEC_H_
