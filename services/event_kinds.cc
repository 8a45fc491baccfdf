#include "services/event_kinds.h"

namespace roost::services {
namespace {

const google::protobuf::OneofDescriptor* Kinds() {
  return ::roost::v1::events::Event::descriptor()->FindOneofByName("kind");
}

}  // namespace

std::string EventKindName(const ::roost::v1::events::Event& event) {
  const google::protobuf::FieldDescriptor* set =
      event.GetReflection()->GetOneofFieldDescriptor(event, Kinds());
  return set == nullptr ? "" : set->name();
}

bool IsEventKindName(absl::string_view name) {
  const google::protobuf::OneofDescriptor* kinds = Kinds();
  for (int i = 0; i < kinds->field_count(); ++i) {
    if (kinds->field(i)->name() == name) return true;
  }
  return false;
}

}  // namespace roost::services
