// OutputFile: a buffered file (or standard output for "-") for the command
// line tools' text outputs, reporting write errors as Status.
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
  ~OutputFile();

  absl::Status Write(absl::string_view text);
  absl::Status Flush();
  absl::Status Close();

 private:
  OutputFile(int fd, bool owned, std::string path);
  int fd_;
  bool owned_;
  std::string path_;
  std::string buffer_;
  absl::Status status_;
};

}  // namespace vigie

#endif  // VIGIE_TOOLS_OUTPUT_FILE_H_
