#include "common/thread_name.h"

#include <pthread.h>

#include <string>

namespace roost {

void NameThisThread(absl::string_view name) {
  // Only fails for a name too long, which the cut rules out.
  pthread_setname_np(pthread_self(), std::string(name.substr(0, kMaxThreadName)).c_str());
}

std::string ThisThreadName() {
  char name[kMaxThreadName + 1] = {};
  if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0) return "";
  return name;
}

}  // namespace roost
