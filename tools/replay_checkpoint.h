// Reading and writing `vigie replay` checkpoints
// (proto/replay_checkpoint.proto), and deciding whether one fits the
// replay that wants to resume from it.
//
// File format: the serialised v1.ReplayCheckpoint, then its crc32 field
// (number 15, fixed32) appended by hand: the CRC-32 of every byte before
// it. Protobuf parsing alone cannot tell a file cut at a field boundary
// from a whole one; the trailing CRC can, and it catches damaged bytes.
// Written atomically (tools/atomic_file.h) with mode 0600: a checkpoint
// holds account names and detector state, no subject and no key.
//
// Thread-compatible (plain functions). Cost: the serialisation, a CRC
// (~1 GB/s) and the write with two fsyncs.
//
// Example:
//   VIGIE_RETURN_IF_ERROR(WriteReplayCheckpoint("replay.ckpt", checkpoint));
//   VIGIE_ASSIGN_OR_RETURN(v1::ReplayCheckpoint saved,
//                          ReadReplayCheckpoint("replay.ckpt"));
//   VIGIE_RETURN_IF_ERROR(CheckSameReplay(saved, fingerprint, inputs));
#ifndef VIGIE_TOOLS_REPLAY_CHECKPOINT_H_
#define VIGIE_TOOLS_REPLAY_CHECKPOINT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "proto/replay_checkpoint.pb.h"

namespace vigie {

// The format_version this code writes and reads.
inline constexpr uint32_t kReplayCheckpointVersion = 1;

// Sets format_version and the CRC; the file-system error naming the path
// on failure (the previous checkpoint is then intact).
absl::Status WriteReplayCheckpoint(const std::string& path,
                                   v1::ReplayCheckpoint checkpoint);

// NotFound / PermissionDenied when the file cannot be read; DataLoss when
// it is truncated, damaged (CRC mismatch), not a checkpoint, or of a
// format_version this code does not know.
absl::StatusOr<v1::ReplayCheckpoint> ReadReplayCheckpoint(
    const std::string& path);

// The same from the file's bytes in memory; `name` appears in errors.
absl::StatusOr<v1::ReplayCheckpoint> ParseReplayCheckpoint(
    absl::string_view bytes, const std::string& name);

// A checkpoint file's bytes from a serialised body: the body and its CRC
// field (what WriteReplayCheckpoint writes; for tests and fuzzing, which
// must reach past the checksum).
std::string SealReplayCheckpointBody(std::string body);

// ReplayInput::content_sample_crc of a regular file: CRC-32 of its first
// and last 64 KiB (the whole file when smaller than 128 KiB), never 0; 0
// when it cannot be read or is not a regular file. Reads at most 128 KiB.
uint32_t ContentSampleCrc(const std::string& path);

// OK when `saved` was written by a replay of the same inputs (count,
// paths, sizes, formats, content samples), the same effective
// configuration and mode, the same output-relevant flags and the same key
// as `fingerprint` and `inputs` describe; FailedPrecondition naming the
// first difference otherwise. `inputs` need path, size_bytes, format and
// content_sample_crc (a sample recorded as 0 on either side is not
// compared).
absl::Status CheckSameReplay(const v1::ReplayCheckpoint& saved,
                             const v1::ReplayFingerprint& fingerprint,
                             absl::Span<const v1::ReplayInput> inputs);

}  // namespace vigie

#endif  // VIGIE_TOOLS_REPLAY_CHECKPOINT_H_
