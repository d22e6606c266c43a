#ifndef OOM_EXPORTER_COLLECTORS_BASE_STATUS_MACROS_H_
#define OOM_EXPORTER_COLLECTORS_BASE_STATUS_MACROS_H_

// abseil 20220623 (Debian 12) has no RETURN_IF_ERROR / ASSIGN_OR_RETURN; these
// are the project's only copies.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the current function when `expr` (an absl::Status) is not OK.
#define OOM_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::absl::Status oom_status_ = (expr);       \
    if (!oom_status_.ok()) return oom_status_; \
  } while (false)

#define OOM_STATUS_CONCAT_INNER_(a, b) a##b
#define OOM_STATUS_CONCAT_(a, b) OOM_STATUS_CONCAT_INNER_(a, b)

// `lhs = *expr` when the absl::StatusOr `expr` is OK, else returns its status.
#define OOM_ASSIGN_OR_RETURN(lhs, expr) \
  OOM_ASSIGN_OR_RETURN_IMPL_(OOM_STATUS_CONCAT_(oom_or_, __LINE__), lhs, expr)
#define OOM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(*tmp)

#endif  // OOM_EXPORTER_COLLECTORS_BASE_STATUS_MACROS_H_
