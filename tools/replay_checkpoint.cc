#include "tools/replay_checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "detector/internal/file_errors.h"
#include "google/protobuf/util/message_differencer.h"
#include "tools/atomic_file.h"

namespace vigie {
namespace {

// The crc32 field's tag: field 15, wire type 5 (fixed32), one byte.
constexpr char kCrcTag = static_cast<char>((15 << 3) | 5);
constexpr size_t kCrcFieldBytes = 5;

uint32_t Crc32(absl::string_view bytes) {
  return static_cast<uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

absl::Status DataLoss(const std::string& path, absl::string_view why) {
  return absl::DataLossError(
      absl::StrCat(path, ": not a usable checkpoint: ", why));
}

// The first line of a MessageDifferencer report, in words.
std::string FirstDifference(const v1::DetectorConfig& saved,
                            const v1::DetectorConfig& now) {
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(saved, now)) return "";
  std::vector<absl::string_view> lines =
      absl::StrSplit(report, '\n', absl::SkipEmpty());
  return lines.empty() ? std::string("the configurations differ")
                       : std::string(lines.front());
}

absl::Status Differs(absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(
      "the checkpoint was written by another replay: ", what,
      "; resume with the same inputs, configuration, flags and key, or "
      "start again without --resume"));
}

}  // namespace

absl::Status WriteReplayCheckpoint(const std::string& path,
                                   v1::ReplayCheckpoint checkpoint) {
  checkpoint.set_format_version(kReplayCheckpointVersion);
  checkpoint.clear_crc32();
  std::string bytes;
  bytes.reserve(checkpoint.ByteSizeLong() + kCrcFieldBytes);
  checkpoint.AppendToString(&bytes);
  return WriteFileAtomically(path, SealReplayCheckpointBody(std::move(bytes)));
}

absl::StatusOr<v1::ReplayCheckpoint> ReadReplayCheckpoint(
    const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return internal::FileError(path, errno);
  std::string bytes;
  char chunk[1 << 16];
  while (true) {
    const ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      return internal::FileError(path, err, "read failed");
    }
    bytes.append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  return ParseReplayCheckpoint(bytes, path);
}

absl::StatusOr<v1::ReplayCheckpoint> ParseReplayCheckpoint(
    absl::string_view bytes, const std::string& name) {
  if (bytes.size() < kCrcFieldBytes ||
      bytes[bytes.size() - kCrcFieldBytes] != kCrcTag) {
    return DataLoss(name, "truncated (no checksum at its end)");
  }
  const absl::string_view body(bytes.data(), bytes.size() - kCrcFieldBytes);
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) {
    stored |= static_cast<uint32_t>(static_cast<uint8_t>(
                  bytes[bytes.size() - 4 + i]))
              << (8 * i);
  }
  if (Crc32(body) != stored) {
    return DataLoss(name, "damaged (checksum mismatch)");
  }
  v1::ReplayCheckpoint checkpoint;
  if (!checkpoint.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return DataLoss(name, "not a vigie.v1.ReplayCheckpoint");
  }
  if (checkpoint.format_version() != kReplayCheckpointVersion) {
    return DataLoss(name, absl::StrCat("unknown format version ",
                                       checkpoint.format_version(),
                                       " (this vigie reads version ",
                                       kReplayCheckpointVersion, ")"));
  }
  return checkpoint;
}

std::string SealReplayCheckpointBody(std::string body) {
  const uint32_t crc = Crc32(body);
  body.push_back(kCrcTag);
  for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
  return body;
}

uint32_t ContentSampleCrc(const std::string& path) {
  constexpr off_t kSample = 64 * 1024;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat info;
  uint32_t crc = 0;
  if (fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
    std::string buffer(static_cast<size_t>(kSample), '\0');
    bool ok = true;
    // The head, then the tail where it does not overlap the head.
    const off_t tail_start = std::max(kSample, info.st_size - kSample);
    uLong sum = crc32_z(0, nullptr, 0);
    for (const off_t start : {off_t{0}, tail_start}) {
      const off_t length = std::min(kSample, info.st_size - start);
      if (length <= 0) continue;
      off_t done = 0;
      while (done < length) {
        const ssize_t n = pread(fd, buffer.data() + done,
                                static_cast<size_t>(length - done),
                                start + done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          ok = false;
          break;
        }
        done += n;
      }
      if (!ok) break;
      sum = crc32_z(sum, reinterpret_cast<const Bytef*>(buffer.data()),
                    static_cast<size_t>(length));
    }
    // 0 means "not recorded".
    if (ok) crc = std::max<uint32_t>(1, static_cast<uint32_t>(sum));
  }
  close(fd);
  return crc;
}

absl::Status CheckSameReplay(const v1::ReplayCheckpoint& saved,
                             const v1::ReplayFingerprint& fingerprint,
                             absl::Span<const v1::ReplayInput> inputs) {
  if (static_cast<size_t>(saved.inputs_size()) != inputs.size()) {
    return Differs(absl::StrCat(saved.inputs_size(), " input(s) then, ",
                                inputs.size(), " now"));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const v1::ReplayInput& then = saved.inputs(static_cast<int>(i));
    const v1::ReplayInput& now = inputs[i];
    if (then.path() != now.path()) {
      return Differs(absl::StrCat("input ", i + 1, " was ", then.path(),
                                  ", is ", now.path()));
    }
    if (then.size_bytes() != now.size_bytes()) {
      return Differs(absl::StrCat("input ", now.path(), " was ",
                                  then.size_bytes(), " bytes, is ",
                                  now.size_bytes(), " bytes"));
    }
    if (then.content_sample_crc() != 0 && now.content_sample_crc() != 0 &&
        then.content_sample_crc() != now.content_sample_crc()) {
      return Differs(absl::StrCat("input ", now.path(),
                                  " has the same size but other content"));
    }
    if (then.format() != now.format()) {
      return Differs(absl::StrCat("input ", now.path(), " was read as ",
                                  then.format(), ", now as ", now.format()));
    }
  }
  const v1::ReplayFingerprint& then = saved.fingerprint();
  if (then.pseudonym_key_fingerprint() !=
      fingerprint.pseudonym_key_fingerprint()) {
    return Differs("another pseudonymisation key");
  }
  if (then.format() != fingerprint.format()) {
    return Differs(absl::StrCat("--format was ", then.format(), ", is ",
                                fingerprint.format()));
  }
  if (then.strict() != fingerprint.strict()) {
    return Differs(absl::StrCat("--strict was ", then.strict() ? "on" : "off",
                                ", is ", fingerprint.strict() ? "on" : "off"));
  }
  if (then.max_errors_shown() != fingerprint.max_errors_shown()) {
    return Differs(absl::StrCat("--max-errors-shown was ",
                                then.max_errors_shown(), ", is ",
                                fingerprint.max_errors_shown()));
  }
  if (then.location_database_crc() != 0 &&
      (then.location_database_size() != fingerprint.location_database_size() ||
       then.location_database_crc() != fingerprint.location_database_crc())) {
    return Differs(absl::StrCat("the location database ",
                                fingerprint.config().engine().location_database(),
                                " has changed since the checkpoint"));
  }
  const std::string config = FirstDifference(then.config(), fingerprint.config());
  if (!config.empty()) {
    return Differs(absl::StrCat("the effective configuration differs (",
                                config, ")"));
  }
  return absl::OkStatus();
}

}  // namespace vigie
