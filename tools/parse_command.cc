#include "tools/parse_command.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "detector/event.h"
#include "detector/ingest/nir.h"
#include "detector/ingest/time_format.h"
#include "detector/internal/status_macros.h"
#include "tools/config.h"

namespace vigie {
namespace {

// An event as one line; the subject masked.
std::string Describe(const AccessRecord& r) {
  std::string out = absl::StrCat(
      "time ", FormatEventTime(r.time_ms), "  account ", r.account, "  ip ",
      r.ip.ToString(), "  action ", ActionName(r.action), "  outcome ",
      OutcomeName(r.outcome));
  if (!r.subject.empty()) {
    const NirInfo nir = AnalyseNir(r.subject);
    absl::StrAppend(&out, "  subject [", r.subject.size(), " characters",
                    !nir.is_nir        ? ""
                    : nir.key_valid    ? ", a NIR with a valid key"
                    : nir.key_present  ? ", a NIR with a wrong key"
                                       : ", a NIR without key",
                    ", masked]");
  }
  if (r.has_records) absl::StrAppend(&out, "  records ", r.records);
  if (!r.user_agent.empty()) absl::StrAppend(&out, "  user_agent ", r.user_agent);
  if (!r.service.empty()) absl::StrAppend(&out, "  service ", r.service);
  if (!r.profession.empty()) {
    absl::StrAppend(&out, "  profession ", r.profession);
  }
  return out;
}

}  // namespace

absl::Status RunParse(const ParseOptions& options, std::ostream& out,
                      ParseSummary* summary) {
  ReaderOptions reader_options;
  reader_options.format = options.format;
  VIGIE_RETURN_IF_ERROR(
      SetMappingFromFile(options.mapping_path, &reader_options));
  VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader,
                         OpenRecordReader(options.input, reader_options));
  AccessRecord record;
  RecordError error;
  int64_t shown = 0;
  bool first = true;
  while (true) {
    // Where the record starts (text: its line, unless blank lines precede
    // it; binary: its number). Before a CSV input's first record, the
    // reader stands at its header.
    ReadPosition at = reader->position();
    const RecordReader::Result result = reader->Next(&record, &error);
    if (result == RecordReader::Result::kEnd) break;
    if (first && reader->format() == InputFormat::kCsv) {
      at.line_or_record = reader->position().line_or_record - 1;
    }
    first = false;
    const bool show = shown < options.show;
    if (result == RecordReader::Result::kRecord) {
      ++summary->events;
      if (show) {
        out << reader->source_name()
            << (reader->format() == InputFormat::kBinary ? ": record " : ":")
            << at.line_or_record << ": " << Describe(record) << "\n";
      }
    } else {
      ++summary->rejected;
      ++ErrorKindSlot(summary->rejected_by_kind, error);
      if (show) out << error.ToString() << "  (refused)\n";
    }
    if (show) ++shown;
  }
  out << "vigie parse: " << summary->events << " events, " << summary->rejected
      << " refused\n";
  for (const auto& [kind, count] : summary->rejected_by_kind) {
    out << "  " << count << "  " << kind << "\n";
  }
  if (summary->events == 0 && summary->rejected > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("no record accepted: all ", summary->rejected,
                     " were refused"));
  }
  return absl::OkStatus();
}

}  // namespace vigie
