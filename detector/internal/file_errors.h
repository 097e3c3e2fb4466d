// FileError: the Status for a failed file operation, with the most specific
// canonical code for the errno value (NotFound, PermissionDenied, ...) and
// a message naming the path, e.g. "events.csv: No such file or directory".
// Thread-safe (pure function).
//
// Example:
//   int fd = open(path.c_str(), O_RDONLY);
//   if (fd < 0) return internal::FileError(path, errno);
#ifndef VIGIE_DETECTOR_INTERNAL_FILE_ERRORS_H_
#define VIGIE_DETECTOR_INTERNAL_FILE_ERRORS_H_

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace vigie {
namespace internal {

inline absl::Status FileError(absl::string_view path, int err,
                              absl::string_view what = "") {
  std::string message =
      what.empty() ? absl::StrCat(path, ": ", strerror(err))
                   : absl::StrCat(path, ": ", what, ": ", strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case EEXIST:
      return absl::AlreadyExistsError(message);
    case EISDIR:
      return absl::FailedPreconditionError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INTERNAL_FILE_ERRORS_H_
