#include "tools/output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

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

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::OpenAtomically(
    const std::string& path) {
  if (path == "-") {
    return absl::InvalidArgumentError(
        "-: standard output cannot be written atomically; give a file name");
  }
  // Beside `path`, so that the rename stays within one file system.
  std::string temp = absl::StrCat(path, ".tmp-XXXXXX");
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return internal::FileError(path, errno);
  fchmod(fd, 0644);  // As Open would create it; mkostemp makes it 0600.
  return std::unique_ptr<OutputFile>(
      new OutputFile(fd, true, path, std::string(name.data())));
}

OutputFile::OutputFile(int fd, bool owned, std::string path,
                       std::string temp_path)
    : fd_(fd),
      owned_(owned),
      path_(std::move(path)),
      temp_path_(std::move(temp_path)) {
  buffer_.reserve(kBufferBytes);
}

OutputFile::~OutputFile() {
  if (!temp_path_.empty() && fd_ >= 0) {
    // Never closed: the run failed, so the partial output is discarded.
    close(fd_);
    unlink(temp_path_.c_str());
    return;
  }
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
  buffer_.clear();
  return status_;
}

absl::Status OutputFile::Close() {
  if (fd_ < 0) return status_;
  Flush().IgnoreError();  // Its error, if any, is in status_.
  if (!temp_path_.empty() && status_.ok() && fsync(fd_) != 0) {
    status_ = internal::FileError(path_, errno, "sync failed");
  }
  if (owned_ && close(fd_) != 0 && status_.ok()) {
    status_ = internal::FileError(path_, errno, "close failed");
  }
  fd_ = -1;
  if (!temp_path_.empty()) {
    if (status_.ok() && rename(temp_path_.c_str(), path_.c_str()) != 0) {
      status_ = internal::FileError(path_, errno, "rename failed");
    }
    if (!status_.ok()) unlink(temp_path_.c_str());
  }
  return status_;
}

}  // namespace vigie
