#include "tools/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "detector/internal/file_errors.h"

namespace vigie {
namespace {

// Writes all of `bytes` to `fd`, retrying short writes.
absl::Status WriteAll(int fd, absl::string_view bytes,
                      const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return internal::FileError(path, errno, "write failed");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// The directory holding `path` ("." for a bare name).
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                      0600);
  if (fd < 0) return internal::FileError(tmp, errno);
  absl::Status status = WriteAll(fd, bytes, tmp);
  if (status.ok() && fsync(fd) != 0) {
    status = internal::FileError(tmp, errno, "fsync failed");
  }
  if (close(fd) != 0 && status.ok()) {
    status = internal::FileError(tmp, errno, "close failed");
  }
  if (status.ok() && rename(tmp.c_str(), path.c_str()) != 0) {
    status = internal::FileError(path, errno, "rename failed");
  }
  if (!status.ok()) {
    unlink(tmp.c_str());
    return status;
  }
  // Make the rename durable: it lives in the directory.
  const std::string directory = DirectoryOf(path);
  const int dir_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return internal::FileError(directory, errno);
  if (fsync(dir_fd) != 0) status = internal::FileError(directory, errno, "fsync failed");
  close(dir_fd);
  return status;
}

}  // namespace vigie
