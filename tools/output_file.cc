#include "tools/output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "detector/internal/file_errors.h"

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

OutputFile::OutputFile(int fd, bool owned, std::string path)
    : fd_(fd), owned_(owned), path_(std::move(path)) {
  buffer_.reserve(kBufferBytes);
}

OutputFile::~OutputFile() { Close().IgnoreError(); }

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
  buffer_.clear();
  return status_;
}

absl::Status OutputFile::Close() {
  if (fd_ < 0) return status_;
  absl::Status flushed = Flush();
  if (owned_ && close(fd_) != 0 && status_.ok()) {
    status_ = internal::FileError(path_, errno, "close failed");
  }
  fd_ = -1;
  return status_;
}

}  // namespace vigie
