// Names the calling thread, as `top -H`, `ps -L`, perf and debuggers show it, so that
// a profile tells a spout from a worker or a read pool without a stack per thread.
// Linux keeps 15 bytes of a name: longer names are cut there.
#ifndef ROOST_COMMON_THREAD_NAME_H_
#define ROOST_COMMON_THREAD_NAME_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace roost {

inline constexpr size_t kMaxThreadName = 15;

void NameThisThread(absl::string_view name);
// The calling thread's name (the program's name until a thread is named).
std::string ThisThreadName();

}  // namespace roost

#endif  // ROOST_COMMON_THREAD_NAME_H_
