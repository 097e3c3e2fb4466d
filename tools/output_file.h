// OutputFile: a buffered file (or standard output for "-") for the command
// line tools' text outputs, reporting write errors as Status naming the
// path.
//
// OpenAtomically is for outputs that must never be seen half-written (the
// HTML report, which a browser may have open): the text goes to a
// temporary file beside `path`, and only a successful Close() syncs it and
// renames it over `path`. Destroying the file without Close() (the run
// failed) removes the temporary file and leaves `path` as it was.
// Not thread-safe.
//
// Example:
//   VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<OutputFile> out,
//                          OutputFile::Open("alerts.jsonl"));
//   VIGIE_RETURN_IF_ERROR(out->Write("{...}\n"));
//   VIGIE_RETURN_IF_ERROR(out->Close());
#ifndef VIGIE_TOOLS_OUTPUT_FILE_H_
#define VIGIE_TOOLS_OUTPUT_FILE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

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
  ~OutputFile();

  absl::Status Write(absl::string_view text);
  absl::Status Flush();
  absl::Status Close();

 private:
  OutputFile(int fd, bool owned, std::string path,
             std::string temp_path = "");
  int fd_;
  bool owned_;
  std::string path_;
  std::string temp_path_;  // Non-empty when opened atomically.
  std::string buffer_;
  absl::Status status_;
};

}  // namespace vigie

#endif  // VIGIE_TOOLS_OUTPUT_FILE_H_
