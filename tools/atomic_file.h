// Atomic replacement of a file: a crash at any point (the process killed,
// the machine losing power) leaves either its old content or the new,
// never a mix or a truncated file. `vigie replay --checkpoint` writes its
// checkpoints this way (WriteFileAtomically), and OutputFile its HTML
// report (AtomicReplacement under a buffered writer).
//
// How: the bytes go to a temporary file in the same directory, which is
// fsynced, renamed over PATH (atomic on POSIX file systems), and the
// directory is fsynced so that the rename itself survives a power loss.
// Readers of PATH never look at the temporary. Failing anywhere removes
// it and leaves PATH as it was. The temporary is either PATH.tmp
// (kFixed: created or truncated, so one a killed run left is overwritten
// by the next; two writers of the same PATH must then not overlap), or a
// name of its own, PATH.tmp-XXXXXX (kUnique: writers of the same PATH may
// overlap, the last rename wins whole, but a killed run leaves its
// temporary behind). Checkpoints, written every few seconds by replays
// that are killed on purpose, use kFixed; the HTML report, a path two
// runs may well share, kUnique.
//
// Cost: one write of the bytes and two fsyncs. Thread-compatible.
//
// Example:
//   VIGIE_RETURN_IF_ERROR(WriteFileAtomically("replay.ckpt", bytes));
//
//   VIGIE_ASSIGN_OR_RETURN(
//       AtomicReplacement out,
//       AtomicReplacement::Begin("report.html", 0644, Temporary::kUnique));
//   ... write(out.fd(), ...) ...
//   VIGIE_RETURN_IF_ERROR(out.Commit());
#ifndef VIGIE_TOOLS_ATOMIC_FILE_H_
#define VIGIE_TOOLS_ATOMIC_FILE_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace vigie {

enum class Temporary { kFixed, kUnique };

class AtomicReplacement {
 public:
  // Creates the temporary (see above) with `mode`; the file-system error
  // naming it on failure.
  static absl::StatusOr<AtomicReplacement> Begin(const std::string& path,
                                                 mode_t mode,
                                                 Temporary temporary);
  AtomicReplacement(AtomicReplacement&& other) noexcept;
  AtomicReplacement& operator=(AtomicReplacement&& other) noexcept;
  AtomicReplacement(const AtomicReplacement&) = delete;
  AtomicReplacement& operator=(const AtomicReplacement&) = delete;
  // Abandons the replacement unless it was committed (see Abort).
  ~AtomicReplacement();

  // Where the new content is written, until Commit or Abort.
  int fd() const { return fd_; }
  // Where the bytes go until Commit (for naming it in errors).
  const std::string& temporary_path() const { return temporary_path_; }
  // Makes the written bytes PATH's content, durably; the file-system error
  // naming the failing step otherwise (PATH then unchanged).
  absl::Status Commit();
  // Closes and removes the temporary; PATH is unchanged.
  void Abort();

 private:
  AtomicReplacement(int fd, std::string path, std::string temporary_path);
  int fd_ = -1;
  std::string path_;
  std::string temporary_path_;
};

// Replaces PATH's content by `bytes` through PATH.tmp (kFixed), with mode
// 0600: what is written this way (replay checkpoints) is private. The
// file-system error (NotFound, PermissionDenied, ResourceExhausted, ...)
// naming the path on failure; PATH is then unchanged.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view bytes);

}  // namespace vigie

#endif  // VIGIE_TOOLS_ATOMIC_FILE_H_
