// OutputFile: a buffered file (or standard output for "-") for the command
// line tools' text outputs, reporting write errors as Status naming the
// path.
//
// OpenAtomically is for outputs that must never be seen half-written (the
// HTML report, which a browser may have open): the text goes to a
// temporary file of its own beside `path`, and only a successful Close()
// makes it PATH's content (see AtomicReplacement in atomic_file.h:
// synced, renamed, the directory synced). Destroying the file without
// Close() (the run failed) removes the temporary file and leaves `path`
// as it was.
//
// A replay that resumes from a checkpoint reopens its alerts file at the
// length the checkpoint recorded (OpenAt) and Syncs it before each
// checkpoint.
// Not thread-safe.
//
// Example:
//   VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out,
//                          OutputFile::Open("alerts.jsonl"));
//   VIGIE_RETURN_IF_ERROR(out->Write("{...}\n"));
//   VIGIE_RETURN_IF_ERROR(out->Close());
#ifndef VIGIE_TOOLS_OUTPUT_FILE_H_
#define VIGIE_TOOLS_OUTPUT_FILE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/atomic_file.h"

namespace vigie {

class OutputFile {
 public:
  static absl::StatusOr<std::unique_ptr<OutputFile>> Open(
      const std::string& path);
  // InvalidArgument for "-" (standard output cannot be replaced
  // atomically); the errno's code when the temporary file cannot be
  // created (e.g. NotFound for a missing directory).
  static absl::StatusOr<std::unique_ptr<OutputFile>> OpenAtomically(
      const std::string& path);
  // Without a successful Close(), an atomically opened file is discarded.
  // Opens an existing regular file for appending after its first `length`
  // bytes, dropping whatever follows them (what a killed run wrote after
  // its last checkpoint). DataLoss when the file is shorter than `length`
  // (it was changed); FailedPrecondition when it is not a regular file; a
  // missing file is created when `length` is 0.
  static absl::StatusOr<std::unique_ptr<OutputFile>> OpenAt(
      const std::string& path, uint64_t length);
  ~OutputFile();

  absl::Status Write(absl::string_view text);
  absl::Status Flush();
  // Flushes and waits until the bytes are on disk (fdatasync).
  absl::Status Sync();
  absl::Status Close();

  // Bytes in the file once everything written so far is flushed.
  uint64_t length() const { return flushed_ + buffer_.size(); }
  // False for standard output, a pipe or a device.
  bool is_regular_file() const;

 private:
  OutputFile(int fd, bool owned, std::string path);
  int fd_;
  bool owned_;
  std::string path_;
  // When opened atomically: it owns fd_ until Close commits it.
  std::optional<AtomicReplacement> replacement_;
  uint64_t flushed_ = 0;
  std::string buffer_;
  absl::Status status_;
};

}  // namespace vigie

#endif  // VIGIE_TOOLS_OUTPUT_FILE_H_
