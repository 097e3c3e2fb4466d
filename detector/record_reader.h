// RecordReader: streams validated AccessRecords out of an access log in CSV,
// ECS JSON Lines or length-delimited binary protobuf, plain or gzip.
//
// Formats (DESIGN.md "Input events"):
//  - CSV: a header row names the columns (time, account, ip, action,
//    outcome, subject, records, user_agent, service, profession) in any
//    order; extra columns are ignored; RFC 4180 quoting; LF or CRLF; a UTF-8
//    byte-order mark is skipped; blank lines are skipped.
//  - JSON Lines, ECS naming, nested objects or dotted keys: @timestamp,
//    user.name, source.ip, event.action, event.outcome, vigie.subject,
//    vigie.records, user_agent.original, service.name, vigie.profession.
//    Other keys are ignored; null counts as absent.
//  - Binary: length-delimited vigie.v1.AccessEvent (proto/access_event.proto).
// An empty optional field counts as absent.
//
// Errors. Every rejected record yields a RecordError naming the input, the
// line (record number for binary), the field and the reason, e.g.
//   events.csv:812: field 'time': "2022-13-01T00:00:00Z": month out of range
// Record-level errors (InvalidArgument) leave the reader usable: the next
// call continues with the next record. Fatal errors (the rest of the input
// cannot be read: truncated gzip, truncated or oversized binary record, I/O
// failure, a CSV header that lacks a required column) are marked `fatal`;
// after one, Next() returns kEnd. The raw subject is never quoted in an
// error, whatever the field.
//
// Bounds: a record longer than ReaderOptions::max_record_bytes is rejected
// and skipped; the reader's memory is O(max_record_bytes + chunk size).
// A record's verdict (accepted, or the reason it is not) depends on the
// record alone, never on how the input arrives: a whole file, a pipe's
// short reads and a resumed run give the same results; a fault past the
// first max_record_bytes bytes is "record longer than".
//
// Thread-compatible: one thread per reader. Cost: no heap allocation per
// record on the success path.
//
// Example:
//   VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader,
//                          OpenRecordReader("events.csv.gz", {}));
//   AccessRecord record;
//   RecordError error;
//   while (true) {
//     RecordReader::Result r = reader->Next(&record, &error);
//     if (r == RecordReader::Result::kEnd) break;
//     if (r == RecordReader::Result::kError) { Report(error); continue; }
//     Use(record);
//   }
#ifndef VIGIE_DETECTOR_RECORD_READER_H_
#define VIGIE_DETECTOR_RECORD_READER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "detector/access_record.h"
#include "detector/input_mapping.h"

namespace vigie {

enum class InputFormat { kAuto, kCsv, kJsonLines, kBinary };

absl::string_view InputFormatName(InputFormat format);  // "csv", ...
// "auto", "csv", "jsonl" (or "json", "ndjson"), "binary" (or "pb").
absl::StatusOr<InputFormat> ParseInputFormat(absl::string_view name);
// From the file name, ignoring a trailing ".gz": .csv, .jsonl/.ndjson/.json,
// .pb/.bin/.vigie. kAuto when the extension says nothing.
InputFormat InputFormatFromPath(absl::string_view path);

struct ReaderOptions {
  // kAuto: from the file extension, else from the first bytes ('{' means
  // JSON Lines, a printable header means CSV, anything else binary).
  InputFormat format = InputFormat::kAuto;
  // Longest accepted record in bytes. Default: 64 KiB.
  size_t max_record_bytes = 64 * 1024;
  // Size of each read from the file. Default: 1 MiB.
  size_t chunk_bytes = 1 << 20;
  // How a portal's own CSV or JSON Lines log reads (its columns, spellings
  // and times); null: Vigie's schema (canonical names in any case).
  std::shared_ptr<const InputMapping> mapping;
  // JSON Lines files (not standard input) are parsed on this many threads,
  // in chunks of whole lines, with the same results as on one. 1: on the
  // caller's thread. Other formats: ignored. Default: 1.
  int parse_threads = 1;
};

struct RecordError {
  // InvalidArgument for a bad record; DataLoss for corrupt or truncated
  // input; other codes for I/O failures.
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string source;     // The input's name, e.g. "events.csv".
  int64_t position = 0;   // 1-based line (text) or record number (binary).
  bool position_is_record = false;
  std::string field;      // e.g. "time"; empty when the record as a whole.
  std::string value;      // Offending value as quoted text; may be empty.
  std::string reason;     // e.g. "month out of range".
  bool fatal = false;     // The rest of the input cannot be read.

  // "events.csv:812: field 'time': \"2022-13-01\": month out of range"
  std::string ToString() const;
  // The same as a Status with `code`.
  absl::Status ToStatus() const;
  // What summaries group by: "field 'time': month out of range".
  std::string Kind() const;
};

// How many kinds of error (RecordError::Kind) a summary keeps apart; the
// rest are counted together under kOtherErrorKinds, so that no input, however
// hostile, grows a summary without bound. Reasons are fixed texts (the
// varying part is in RecordError::value), so real inputs have few kinds.
inline constexpr size_t kMaxErrorKinds = 64;
inline constexpr char kOtherErrorKinds[] = "other kinds of error";

// The slot of `by_kind` (a map keyed by kind) that counts `error`.
template <typename Map>
typename Map::mapped_type& ErrorKindSlot(Map& by_kind,
                                         const RecordError& error) {
  std::string kind = error.Kind();
  if (by_kind.size() >= kMaxErrorKinds && by_kind.count(kind) == 0) {
    kind = kOtherErrorKinds;
  }
  return by_kind[kind];
}

// Where a reader stands between two Next() calls: enough for a reader
// opened later on the same input to continue exactly there, with the same
// records and the same line or record numbers in its errors (`vigie
// replay --resume`). Holds offsets and counts only, never input bytes.
struct ReadPosition {
  // Bytes of the input consumed, counted after decompression.
  uint64_t byte_offset = 0;
  // What errors will call the next record: its 1-based line (text
  // formats) or record number (binary).
  int64_t line_or_record = 1;
};

class RecordReader {
 public:
  enum class Result { kRecord, kError, kEnd };

  virtual ~RecordReader() = default;

  // Reads the next record into *record (valid until the next call), or
  // reports why the next record was rejected in *error.
  virtual Result Next(AccessRecord* record, RecordError* error) = 0;

  virtual InputFormat format() const = 0;
  const std::string& source_name() const { return source_name_; }
  // Bytes of the underlying file consumed so far (compressed if gzip).
  virtual uint64_t raw_bytes_read() const = 0;

  // Where the next Next() call starts.
  virtual ReadPosition position() const = 0;
  // Moves a freshly opened reader to `position`, taken from a reader over
  // the same input with the same options: a plain file seeks there, gzip
  // input is decompressed up to it (a stream cannot seek), a CSV header is
  // read again first. REQUIRES: Next() not called yet. DataLoss when the
  // input ends before the position or its CSV header no longer reads (the
  // input changed).
  virtual absl::Status SeekTo(const ReadPosition& position) = 0;

 protected:
  explicit RecordReader(std::string source_name)
      : source_name_(std::move(source_name)) {}

 private:
  std::string source_name_;
};

// Opens a file ("-" for standard input). NotFound/PermissionDenied when the
// file cannot be opened; InvalidArgument when the format cannot be told.
absl::StatusOr<std::unique_ptr<RecordReader>> OpenRecordReader(
    const std::string& path, const ReaderOptions& options);

// Reads from bytes in memory (gzip allowed); `name` appears in errors.
absl::StatusOr<std::unique_ptr<RecordReader>> NewRecordReaderFromString(
    std::string bytes, const std::string& name, const ReaderOptions& options);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_RECORD_READER_H_
