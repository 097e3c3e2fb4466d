#include "detector/record_reader.h"

#include <limits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "detector/ingest/byte_source.h"
#include "detector/ingest/readers.h"

namespace vigie {
namespace {

// Reads a varint at head[*pos]; false if incomplete or too long.
bool SniffVarint(absl::string_view head, size_t* pos, uint64_t* value) {
  *value = 0;
  for (int shift = 0; shift < 64 && *pos < head.size(); shift += 7) {
    uint8_t byte = static_cast<uint8_t>(head[(*pos)++]);
    *value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

// True when the input starts with a length-delimited AccessEvent: a length,
// then well-formed fields of known numbers filling exactly that length (as
// far as the sniffed bytes go). Text almost never passes: the first
// characters of a CSV header decode as unknown field numbers.
bool LooksLikeBinary(absl::string_view head) {
  size_t pos = 0;
  uint64_t length;
  if (!SniffVarint(head, &pos, &length) || length == 0) return false;
  // The record may run past the sniffed bytes; saturate rather than wrap.
  const size_t end = length > std::numeric_limits<size_t>::max() - pos
                         ? std::numeric_limits<size_t>::max()
                         : pos + static_cast<size_t>(length);
  int fields = 0;
  while (pos < end && pos < head.size()) {
    uint64_t tag;
    if (!SniffVarint(head, &pos, &tag)) return fields > 0;
    // Every varint read may overrun the record's length: that is not a
    // record (and end - pos must never be taken past the end).
    if (pos > end) return false;
    const uint64_t number = tag >> 3;
    const int wire = static_cast<int>(tag & 7);
    if (number < 1 || number > 10) return false;
    if (wire == 0) {
      uint64_t ignored;
      if (!SniffVarint(head, &pos, &ignored)) return fields > 0;
      if (pos > end) return false;
    } else if (wire == 2) {
      uint64_t size;
      if (!SniffVarint(head, &pos, &size) || pos > end || size > end - pos) {
        return false;
      }
      pos += static_cast<size_t>(size);
    } else {
      return false;
    }
    ++fields;
  }
  return fields > 0 && (pos == end || pos >= head.size());
}

// Tells the format from the first bytes of the (decompressed) input.
InputFormat Sniff(absl::string_view head) {
  if (head.size() >= 3 && head.substr(0, 3) == "\xEF\xBB\xBF") {
    head.remove_prefix(3);
  }
  size_t i = 0;
  while (i < head.size() && (head[i] == ' ' || head[i] == '\t' ||
                             head[i] == '\r' || head[i] == '\n')) {
    ++i;
  }
  if (i < head.size() && head[i] == '{') return InputFormat::kJsonLines;
  if (LooksLikeBinary(head)) return InputFormat::kBinary;
  return InputFormat::kCsv;
}

absl::StatusOr<std::unique_ptr<RecordReader>> MakeReader(
    std::unique_ptr<ByteSource> source, const std::string& name,
    InputFormat format, const ReaderOptions& options) {
  if (options.max_record_bytes == 0) {
    return absl::InvalidArgumentError("max_record_bytes must be positive");
  }
  if (options.parse_threads < 1 || options.parse_threads > 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parse_threads must be 1 to 64, not ", options.parse_threads));
  }
  const size_t chunk = std::max<size_t>(options.chunk_bytes, 4096);
  auto input = std::make_unique<InputBuffer>(
      std::move(source), chunk, chunk + options.max_record_bytes + 64);
  if (format == InputFormat::kAuto) {
    // Sniff from up to 4 KiB (sources may return short reads).
    while (input->available().size() < 4096 && !input->eof()) {
      absl::StatusOr<size_t> added = input->Fill();
      if (!added.ok()) return added.status();
    }
    format = Sniff(input->available().substr(0, 4096));
  }
  switch (format) {
    case InputFormat::kCsv:
      return ingest_internal::NewCsvReader(std::move(input), name, options);
    case InputFormat::kJsonLines:
      if (options.parse_threads > 1) {
        return ingest_internal::NewParallelJsonLinesReader(
            std::move(input), name, options, options.parse_threads);
      }
      return ingest_internal::NewJsonLinesReader(std::move(input), name,
                                                 options);
    case InputFormat::kBinary:
      return ingest_internal::NewBinaryReader(std::move(input), name, options);
    case InputFormat::kAuto:
      break;
  }
  return absl::InternalError("unreachable");
}

}  // namespace

absl::string_view InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kAuto: return "auto";
    case InputFormat::kCsv: return "csv";
    case InputFormat::kJsonLines: return "jsonl";
    case InputFormat::kBinary: return "binary";
  }
  return "unknown";
}

absl::StatusOr<InputFormat> ParseInputFormat(absl::string_view name) {
  if (name == "auto") return InputFormat::kAuto;
  if (name == "csv") return InputFormat::kCsv;
  if (name == "jsonl" || name == "json" || name == "ndjson") {
    return InputFormat::kJsonLines;
  }
  if (name == "binary" || name == "pb") return InputFormat::kBinary;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown format \"", name, "\" (expected auto, csv, jsonl or binary)"));
}

InputFormat InputFormatFromPath(absl::string_view path) {
  if (absl::EndsWith(path, ".gz")) path.remove_suffix(3);
  if (absl::EndsWithIgnoreCase(path, ".csv")) return InputFormat::kCsv;
  if (absl::EndsWithIgnoreCase(path, ".jsonl") ||
      absl::EndsWithIgnoreCase(path, ".ndjson") ||
      absl::EndsWithIgnoreCase(path, ".json")) {
    return InputFormat::kJsonLines;
  }
  if (absl::EndsWithIgnoreCase(path, ".pb") ||
      absl::EndsWithIgnoreCase(path, ".bin") ||
      absl::EndsWithIgnoreCase(path, ".vigie")) {
    return InputFormat::kBinary;
  }
  return InputFormat::kAuto;
}

absl::StatusOr<std::unique_ptr<RecordReader>> OpenRecordReader(
    const std::string& path, const ReaderOptions& options) {
  absl::StatusOr<std::unique_ptr<ByteSource>> source = OpenByteSource(path);
  if (!source.ok()) return source.status();
  InputFormat format = options.format;
  if (format == InputFormat::kAuto) format = InputFormatFromPath(path);
  ReaderOptions effective = options;
  // A worker blocked on a pipe could never be joined.
  if (path == "-") effective.parse_threads = 1;
  return MakeReader(std::move(source).value(), path == "-" ? "<stdin>" : path,
                    format, effective);
}

absl::StatusOr<std::unique_ptr<RecordReader>> NewRecordReaderFromString(
    std::string bytes, const std::string& name, const ReaderOptions& options) {
  InputFormat format = options.format;
  if (format == InputFormat::kAuto) format = InputFormatFromPath(name);
  return MakeReader(MemoryByteSource(std::move(bytes)), name, format, options);
}

}  // namespace vigie
