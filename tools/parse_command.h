// RunParse: the library behind `vigie parse`, a dry run of how a log reads
// (as fail2ban-regex is for fail2ban's filters): the first lines as the
// events they become, or the reason each was refused, and the counts by
// reason over the whole input. What a user runs while writing a mapping,
// before any replay.
//
// Never prints a raw subject: an event's subject is shown masked (its
// length and whether it reads as a NIR, with a valid key), and errors
// never quote one.
//
// Cost: one pass over the input with the replay's readers; memory bounded
// as theirs (64 kinds of error kept apart). Thread-compatible.
//
// Example:
//   ParseOptions options;
//   options.input = "portal.csv";
//   options.mapping_path = "portal.mapping";
//   ParseSummary summary;
//   absl::Status status = RunParse(options, std::cout, &summary);
#ifndef VIGIE_TOOLS_PARSE_COMMAND_H_
#define VIGIE_TOOLS_PARSE_COMMAND_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "detector/record_reader.h"

namespace vigie {

struct ParseOptions {
  std::string input;  // "-" for standard input.
  InputFormat format = InputFormat::kAuto;
  std::string mapping_path;  // A text-format vigie.v1.InputMapping; optional.
  int64_t show = 20;         // Records (events or refusals) shown, from the top.
};

struct ParseSummary {
  int64_t events = 0;
  int64_t rejected = 0;
  std::map<std::string, int64_t> rejected_by_kind;
};

// Writes the first options.show records as events or refusals, then the
// counts, to `out`. InvalidArgument "no record accepted" when the input
// held records and none read as an event (exit status 1); the errors of
// opening the input or the mapping otherwise.
absl::Status RunParse(const ParseOptions& options, std::ostream& out,
                      ParseSummary* summary);

}  // namespace vigie

#endif  // VIGIE_TOOLS_PARSE_COMMAND_H_
