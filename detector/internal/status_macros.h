// Early-return helpers for absl::Status, which Debian's Abseil LTS 20220623
// does not ship (it has no status_macros.h).
//
// Example:
//   absl::StatusOr<Config> Load(absl::string_view path) {
//     VIGIE_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     VIGIE_RETURN_IF_ERROR(Validate(text));
//     ...
//   }
#ifndef VIGIE_DETECTOR_INTERNAL_STATUS_MACROS_H_
#define VIGIE_DETECTOR_INTERNAL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define VIGIE_RETURN_IF_ERROR(expr)                        \
  do {                                                     \
    ::absl::Status vigie_status_ = (expr);                 \
    if (!vigie_status_.ok()) return vigie_status_;         \
  } while (false)

#define VIGIE_STATUS_CONCAT_INNER_(a, b) a##b
#define VIGIE_STATUS_CONCAT_(a, b) VIGIE_STATUS_CONCAT_INNER_(a, b)

#define VIGIE_ASSIGN_OR_RETURN(lhs, expr) \
  VIGIE_ASSIGN_OR_RETURN_IMPL_(VIGIE_STATUS_CONCAT_(vigie_statusor_, __LINE__), lhs, expr)

#define VIGIE_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // VIGIE_DETECTOR_INTERNAL_STATUS_MACROS_H_
