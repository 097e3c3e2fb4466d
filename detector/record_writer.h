// RecordWriter: writes AccessRecords as CSV, ECS JSON Lines or
// length-delimited binary protobuf, optionally gzip-compressed. What
// `vigie convert` and `vigie simulate` write, and what RecordReader reads
// back exactly: every field survives a round trip through any format.
//
// Canonical forms written:
//  - CSV: header "time,account,ip,action,outcome,subject,records,
//    user_agent,service,profession"; time as RFC 3339 UTC with milliseconds;
//    canonical IP text; an absent optional field as an empty cell; fields
//    quoted (RFC 4180) only when they contain a comma, quote, CR or LF;
//    LF line ends.
//  - JSON Lines: nested ECS objects, keys in a fixed order, absent fields
//    omitted, "vigie.records" as a JSON number.
//  - Binary: vigie.v1.AccessEvent, varint length-delimited.
// A path ending in ".gz" is gzip-compressed; "-" is standard output.
//
// Not thread-safe. Errors (I/O) are reported by Write/Close as
// Unavailable/PermissionDenied/NotFound with the path.
//
// Example:
//   VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<RecordWriter> writer,
//                          OpenRecordWriter("out.jsonl.gz", InputFormat::kAuto));
//   VIGIE_RETURN_IF_ERROR(writer->Write(record));
//   VIGIE_RETURN_IF_ERROR(writer->Close());
#ifndef VIGIE_DETECTOR_RECORD_WRITER_H_
#define VIGIE_DETECTOR_RECORD_WRITER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "detector/access_record.h"
#include "detector/record_reader.h"

namespace vigie {

class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  virtual absl::Status Write(const AccessRecord& record) = 0;
  // Flushes and closes; must be called before destruction to see errors.
  virtual absl::Status Close() = 0;
};

// `format` kAuto takes the format from the path (see InputFormatFromPath);
// InvalidArgument when neither says.
absl::StatusOr<std::unique_ptr<RecordWriter>> OpenRecordWriter(
    const std::string& path, InputFormat format);

// Writes into *out (not compressed); `out` must outlive the writer.
std::unique_ptr<RecordWriter> NewStringRecordWriter(std::string* out,
                                                    InputFormat format);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_RECORD_WRITER_H_
