// RunConvert: the library behind `vigie convert IN OUT`: copies an access
// log between CSV, ECS JSON Lines and binary, optionally gzip-compressed.
// Every field is kept exactly (including the raw subject: the output is as
// sensitive as the input). Rejected records are handled as in replay:
// counted and skipped, or the first stops the run with `strict`; when
// every record is rejected the run fails ("no record accepted"), the
// output written empty. With a mapping (mapping_path), a portal's own log
// comes out in Vigie's schema.
//
// Example:
//   ConvertOptions options{.input = "events.csv", .output = "events.pb"};
//   ConvertSummary summary;
//   absl::Status status = RunConvert(options, &summary);
#ifndef VIGIE_TOOLS_CONVERT_H_
#define VIGIE_TOOLS_CONVERT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "detector/record_reader.h"

namespace vigie {

struct ConvertOptions {
  std::string input;                 // "-" for standard input.
  std::string output;                // "-" for standard output.
  InputFormat input_format = InputFormat::kAuto;
  InputFormat output_format = InputFormat::kAuto;  // From OUT's extension.
  bool strict = false;
  size_t max_record_bytes = 64 * 1024;
  // A text-format vigie.v1.InputMapping for a portal's own log: what
  // `vigie convert` turns into Vigie's schema. Empty: none.
  std::string mapping_path;
};

struct ConvertSummary {
  int64_t records = 0;
  int64_t rejected = 0;
  std::map<std::string, int64_t> rejected_by_kind;
  std::vector<std::string> errors_shown;  // The first 10.
  double seconds = 0;
};

absl::Status RunConvert(const ConvertOptions& options, ConvertSummary* summary);

}  // namespace vigie

#endif  // VIGIE_TOOLS_CONVERT_H_
