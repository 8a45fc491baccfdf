// The names of the log's event kinds, as events.proto spells the fields of
// Event.kind ("tweet_posted", ...): what the change feed and `roostctl log dump` filter
// by.
#ifndef ROOST_SERVICES_EVENT_KINDS_H_
#define ROOST_SERVICES_EVENT_KINDS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "roost/v1/events.pb.h"

namespace roost::services {

// The kind of `event`, "" when none is set.
std::string EventKindName(const ::roost::v1::events::Event& event);
bool IsEventKindName(absl::string_view name);

}  // namespace roost::services

#endif  // ROOST_SERVICES_EVENT_KINDS_H_
