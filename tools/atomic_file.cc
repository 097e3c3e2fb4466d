#include "tools/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

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

absl::StatusOr<AtomicReplacement> AtomicReplacement::Begin(
    const std::string& path, mode_t mode, Temporary temporary) {
  if (temporary == Temporary::kUnique) {
    std::string name = path + ".tmp-XXXXXX";
    const int fd = mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) return internal::FileError(path, errno);
    // mkostemp creates it 0600; should fchmod fail, the report stays
    // private, the safer of the two.
    fchmod(fd, mode);
    return AtomicReplacement(fd, path, std::move(name));
  }
  std::string tmp = path + ".tmp";
  const int fd =
      open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return internal::FileError(tmp, errno);
  // A stale PATH.tmp keeps the mode it was created with.
  fchmod(fd, mode);
  return AtomicReplacement(fd, path, std::move(tmp));
}

AtomicReplacement::AtomicReplacement(int fd, std::string path,
                                     std::string temporary_path)
    : fd_(fd),
      path_(std::move(path)),
      temporary_path_(std::move(temporary_path)) {}

AtomicReplacement::AtomicReplacement(AtomicReplacement&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      temporary_path_(std::move(other.temporary_path_)) {}

AtomicReplacement& AtomicReplacement::operator=(
    AtomicReplacement&& other) noexcept {
  if (this != &other) {
    Abort();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    temporary_path_ = std::move(other.temporary_path_);
  }
  return *this;
}

AtomicReplacement::~AtomicReplacement() { Abort(); }

void AtomicReplacement::Abort() {
  if (fd_ < 0) return;
  close(fd_);
  fd_ = -1;
  unlink(temporary_path_.c_str());
}

absl::Status AtomicReplacement::Commit() {
  const std::string& tmp = temporary_path_;
  absl::Status status;
  if (fsync(fd_) != 0) status = internal::FileError(tmp, errno, "fsync failed");
  if (close(fd_) != 0 && status.ok()) {
    status = internal::FileError(tmp, errno, "close failed");
  }
  fd_ = -1;
  if (status.ok() && rename(tmp.c_str(), path_.c_str()) != 0) {
    status = internal::FileError(path_, errno, "rename failed");
  }
  if (!status.ok()) {
    unlink(tmp.c_str());
    return status;
  }
  // Make the rename durable: it lives in the directory.
  const std::string directory = DirectoryOf(path_);
  const int dir_fd =
      open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return internal::FileError(directory, errno);
  if (fsync(dir_fd) != 0) {
    status = internal::FileError(directory, errno, "fsync failed");
  }
  close(dir_fd);
  return status;
}

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view bytes) {
  absl::StatusOr<AtomicReplacement> out =
      AtomicReplacement::Begin(path, 0600, Temporary::kFixed);
  if (!out.ok()) return out.status();
  absl::Status written = WriteAll(out->fd(), bytes, out->temporary_path());
  if (!written.ok()) return written;  // `out` removes the temporary.
  return out->Commit();
}

}  // namespace vigie
