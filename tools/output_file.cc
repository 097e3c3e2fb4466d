#include "tools/output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "detector/internal/file_errors.h"
#include "detector/internal/status_macros.h"

namespace vigie {
namespace {
constexpr size_t kBufferBytes = 1 << 20;
}  // namespace

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Open(
    const std::string& path) {
  if (path == "-") {
    return std::unique_ptr<OutputFile>(new OutputFile(1, false, "<stdout>"));
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return internal::FileError(path, errno);
  return std::unique_ptr<OutputFile>(new OutputFile(fd, true, path));
}

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::OpenAtomically(
    const std::string& path) {
  if (path == "-") {
    return absl::InvalidArgumentError(
        "-: standard output cannot be written atomically; give a file name");
  }
  // 0644, as Open would create it; a temporary of its own, as two runs
  // may write the same report.
  absl::StatusOr<AtomicReplacement> replacement =
      AtomicReplacement::Begin(path, 0644, Temporary::kUnique);
  if (!replacement.ok()) return replacement.status();
  std::unique_ptr<OutputFile> file(
      new OutputFile(replacement->fd(), /*owned=*/false, path));
  file->replacement_ = std::move(replacement).value();
  return file;
}

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::OpenAt(
    const std::string& path, uint64_t length) {
  int fd = open(path.c_str(),
                O_WRONLY | O_CLOEXEC | (length == 0 ? O_CREAT : 0), 0644);
  if (fd < 0) return internal::FileError(path, errno);
  std::unique_ptr<OutputFile> file(new OutputFile(fd, true, path));
  struct stat st;
  if (fstat(fd, &st) != 0) return internal::FileError(path, errno);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) < length) {
    return absl::DataLossError(absl::StrCat(
        path, ": ", st.st_size, " bytes, shorter than the ", length,
        " bytes it had at the checkpoint (the file was changed)"));
  }
  if (ftruncate(fd, static_cast<off_t>(length)) != 0 ||
      lseek(fd, static_cast<off_t>(length), SEEK_SET) < 0) {
    return internal::FileError(path, errno, "cannot cut back");
  }
  file->flushed_ = length;
  return file;
}

bool OutputFile::is_regular_file() const {
  struct stat st;
  return fd_ >= 0 && fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
}

OutputFile::OutputFile(int fd, bool owned, std::string path)
    : fd_(fd), owned_(owned), path_(std::move(path)) {
  buffer_.reserve(kBufferBytes);
}

OutputFile::~OutputFile() {
  // Never closed, an atomic file is discarded (the run failed): its
  // replacement, destroyed with it, removes the temporary.
  if (replacement_.has_value()) return;
  Close().IgnoreError();
}

absl::Status OutputFile::Write(absl::string_view text) {
  buffer_.append(text.data(), text.size());
  if (buffer_.size() >= kBufferBytes) return Flush();
  return status_;
}

absl::Status OutputFile::Flush() {
  size_t done = 0;
  while (status_.ok() && done < buffer_.size()) {
    ssize_t n = write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      status_ = internal::FileError(path_, errno, "write failed");
      break;
    }
    done += n;
  }
  flushed_ += done;
  buffer_.clear();
  return status_;
}

absl::Status OutputFile::Sync() {
  VIGIE_RETURN_IF_ERROR(Flush());
  if (fdatasync(fd_) != 0) {
    status_ = internal::FileError(path_, errno, "fdatasync failed");
  }
  return status_;
}

absl::Status OutputFile::Close() {
  if (fd_ < 0) return status_;
  Flush().IgnoreError();  // Its error, if any, is in status_.
  if (owned_ && close(fd_) != 0 && status_.ok()) {
    status_ = internal::FileError(path_, errno, "close failed");
  }
  fd_ = -1;
  if (replacement_.has_value()) {
    if (status_.ok()) {
      status_ = replacement_->Commit();
    } else {
      replacement_->Abort();
    }
    replacement_.reset();
  }
  return status_;
}

}  // namespace vigie
