// WriteFileAtomically: replaces a file so that a crash at any point (the
// process killed, the machine losing power) leaves either its old content
// or the new, never a mix or a truncated file. `vigie replay --checkpoint`
// writes its checkpoints this way.
//
// How: the bytes go to PATH.tmp in the same directory (created, or
// truncated: a stale one left by an earlier crash is overwritten), which
// is fsynced, renamed over PATH (atomic on POSIX file systems), and the
// directory is fsynced so that the rename itself survives a power loss.
// Readers of PATH never look at PATH.tmp. PATH gets mode 0600: what is
// written this way (replay checkpoints) is private.
//
// Cost: one write of the bytes and two fsyncs. Thread-compatible: two
// writers of the same path must not overlap.
//
// Example:
//   VIGIE_RETURN_IF_ERROR(WriteFileAtomically("replay.ckpt", bytes));
#ifndef VIGIE_TOOLS_ATOMIC_FILE_H_
#define VIGIE_TOOLS_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace vigie {

// The file-system error (NotFound, PermissionDenied, ResourceExhausted,
// ...) naming the path on failure; PATH is then unchanged.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view bytes);

}  // namespace vigie

#endif  // VIGIE_TOOLS_ATOMIC_FILE_H_
