#include "tools/convert.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "detector/internal/status_macros.h"
#include "detector/record_writer.h"
#include "tools/config.h"

namespace vigie {

absl::Status RunConvert(const ConvertOptions& options,
                        ConvertSummary* summary) {
  const auto started = std::chrono::steady_clock::now();
  InputFormat out_format = options.output_format;
  if (out_format == InputFormat::kAuto) {
    out_format = InputFormatFromPath(options.output);
    if (out_format == InputFormat::kAuto) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot tell the output format from \"", options.output,
          "\": use --to csv|jsonl|binary or a .csv/.jsonl/.pb name"));
    }
  }
  ReaderOptions reader_options;
  reader_options.format = options.input_format;
  reader_options.max_record_bytes = options.max_record_bytes;
  VIGIE_RETURN_IF_ERROR(
      SetMappingFromFile(options.mapping_path, &reader_options));
  VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader,
                         OpenRecordReader(options.input, reader_options));
  VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<RecordWriter> writer,
                         OpenRecordWriter(options.output, out_format));
  AccessRecord record;
  RecordError error;
  absl::Status cut_short;
  while (true) {
    RecordReader::Result result = reader->Next(&record, &error);
    if (result == RecordReader::Result::kEnd) break;
    if (result == RecordReader::Result::kError) {
      ++summary->rejected;
      ++ErrorKindSlot(summary->rejected_by_kind, error);
      if (summary->errors_shown.size() < 10) {
        summary->errors_shown.push_back(error.ToString());
      }
      if (options.strict) return error.ToStatus();
      if (error.fatal) {
        cut_short = absl::DataLossError(absl::StrCat(
            "input could not be read to the end: ", error.ToString()));
      }
      continue;
    }
    VIGIE_RETURN_IF_ERROR(writer->Write(record));
    ++summary->records;
  }
  VIGIE_RETURN_IF_ERROR(writer->Close());
  summary->seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - started)
                         .count();
  if (cut_short.ok() && summary->records == 0 && summary->rejected > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no record accepted: all ", summary->rejected, " were rejected"));
  }
  return cut_short;
}

}  // namespace vigie
