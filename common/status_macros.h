// Early-return helpers for absl::Status and absl::StatusOr, as in Abseil's internal
// code (not exported by the Abseil version Debian ships).
#ifndef ROOST_COMMON_STATUS_MACROS_H_
#define ROOST_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ROOST_CONCAT_INNER_(a, b) a##b
#define ROOST_CONCAT_(a, b) ROOST_CONCAT_INNER_(a, b)

// Returns from the current function with `expr`'s status when it is not OK.
#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    const ::absl::Status _roost_status = (expr);   \
    if (!_roost_status.ok()) return _roost_status; \
  } while (0)

// ASSIGN_OR_RETURN(auto x, MakeX()); — returns the error, else binds the value.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(ROOST_CONCAT_(_roost_statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) return statusor.status();     \
  lhs = std::move(statusor).value()

#endif  // ROOST_COMMON_STATUS_MACROS_H_
