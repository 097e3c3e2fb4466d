// Fuzz target: the record readers (CSV, JSON Lines, binary, and the format
// sniffing of an input whose name says nothing), read to their end. The
// first byte picks the input's name (and so its format), the size of the
// pieces a second read gets its bytes in, whether a mapping reads it
// (local times by a pattern, spellings), where a third read resumes and
// the longest record accepted; the rest is the input. What must hold for any input:
//  - reading ends, with at most one result a byte (a reader that stops
//    advancing is a hang), and every error names a reason;
//  - the same records and the same errors at the same lines whether the
//    input comes whole, or in pieces of 1 to 64 bytes through a 64-byte
//    window (a pipe), or is resumed from where a first reader stood after
//    any of its results (`--resume`).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/ingest/byte_source.h"
#include "detector/ingest/readers.h"
#include "detector/input_mapping.h"
#include "detector/record_reader.h"
#include "fuzz/fuzz_target.h"

namespace {

using vigie::RecordReader;

// Hands its bytes out `piece` at a time, as a pipe may.
class PiecesSource : public vigie::ByteSource {
 public:
  PiecesSource(std::string bytes, size_t piece)
      : bytes_(std::move(bytes)), piece_(piece) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    const size_t n = std::min({size, bytes_.size() - pos_, piece_});
    memcpy(buffer, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t raw_bytes_read() const override { return pos_; }

 private:
  std::string bytes_;
  size_t piece_;
  size_t pos_ = 0;
};

std::string Describe(const vigie::AccessRecord& r) {
  return absl::StrCat(r.time_ms, "|", r.account, "|", r.ip.ToString(), "|",
                      static_cast<int>(r.action), "|",
                      static_cast<int>(r.outcome), "|", r.subject, "|",
                      r.has_records, r.records, "|", r.user_agent, "|",
                      r.service, "|", r.profession);
}

// Reads `reader` to its end (at most `limit` results; more is a hang):
// each result as a line, appended to *out. `stop_after` >= 0: stops after
// that many results and returns where the reader stands in *stopped_at.
void ReadAll(RecordReader& reader, size_t limit, std::vector<std::string>* out,
             long stop_after = -1, vigie::ReadPosition* stopped_at = nullptr) {
  vigie::AccessRecord record;
  vigie::RecordError error;
  for (size_t results = 0; results <= limit; ++results) {
    if (stop_after >= 0 && static_cast<long>(results) == stop_after) {
      *stopped_at = reader.position();
      return;
    }
    const RecordReader::Result result = reader.Next(&record, &error);
    if (result == RecordReader::Result::kEnd) return;
    if (result == RecordReader::Result::kRecord) {
      out->push_back(Describe(record));
      continue;
    }
    if (error.reason.empty()) std::abort();
    out->push_back(absl::StrCat("error ", error.position, ": ", error.Kind(),
                                error.fatal ? " (fatal)" : ""));
  }
  std::abort();  // More results than bytes.
}

std::unique_ptr<RecordReader> InPieces(const std::string& bytes, int format,
                                       size_t piece,
                                       const vigie::ReaderOptions& options) {
  auto input = std::make_unique<vigie::InputBuffer>(
      vigie::DecompressIfGzip(std::make_unique<PiecesSource>(bytes, piece),
                              "fuzz")
          .value(),
      64, 4096 + options.max_record_bytes + 64);
  switch (format) {
    case 0:
      return vigie::ingest_internal::NewCsvReader(std::move(input), "fuzz",
                                                  options);
    case 1:
      return vigie::ingest_internal::NewJsonLinesReader(std::move(input),
                                                        "fuzz", options);
    default:
      return vigie::ingest_internal::NewBinaryReader(std::move(input), "fuzz",
                                                     options);
  }
}

// A mapping that keeps the columns' own names (so that the corpus's
// headers read) and reads local times by a pattern in a zone with
// daylight saving, and spellings of actions and outcomes.
std::shared_ptr<const vigie::InputMapping> Mapping() {
  static const auto* mapping = [] {
    vigie::InputMapping m;
    if (!m.AddActionSpelling("VIEW_PATIENT", "lookup").ok() ||
        !m.AddOutcomeSpelling("KO", "failure").ok()) {
      std::abort();
    }
    m.time = vigie::TimeFormat::Parse("%Y-%m-%d %H:%M:%E*S", "Europe/Paris")
                 .value();
    return new std::shared_ptr<const vigie::InputMapping>(
        std::make_shared<const vigie::InputMapping>(std::move(m)));
  }();
  return *mapping;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* const kNames[] = {"fuzz.csv", "fuzz.jsonl", "fuzz.pb",
                                       "<stdin>"};
  static const size_t kPieces[] = {1, 3, 7, 64};
  static const long kResumeAfter[] = {0, 3};
  static const size_t kLongestRecord[] = {4096, 64, 1024, 65536};
  const int format = data[0] % 4;
  const size_t piece = kPieces[(data[0] >> 2) % 4];
  const bool mapped = (data[0] >> 4) & 1;
  const long resume_after = kResumeAfter[(data[0] >> 5) & 1];
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  vigie::ReaderOptions options;
  options.max_record_bytes = kLongestRecord[data[0] >> 6];
  if (mapped) options.mapping = Mapping();
  options.chunk_bytes = 4096;
  const size_t limit = bytes.size() + 2;
  absl::StatusOr<std::unique_ptr<RecordReader>> whole =
      vigie::NewRecordReaderFromString(bytes, kNames[format], options);
  if (!whole.ok()) return 0;
  std::vector<std::string> expected;
  ReadAll(**whole, limit, &expected);

  if (format < 3) {
    std::vector<std::string> pieces;
    ReadAll(*InPieces(bytes, format, piece, options), limit, &pieces);
    if (pieces != expected) std::abort();
  }

  // Resumed after `resume_after` results, by a reader opened afresh.
  std::unique_ptr<RecordReader> first =
      vigie::NewRecordReaderFromString(bytes, kNames[format], options)
          .value();
  std::vector<std::string> resumed;
  vigie::ReadPosition at;
  ReadAll(*first, limit, &resumed, resume_after, &at);
  if (resumed.size() < static_cast<size_t>(resume_after)) return 0;  // Ended.
  if (!expected.empty() &&
      expected.back().find("(fatal)") != std::string::npos &&
      resumed.size() >= expected.size()) {
    return 0;  // Nothing after a fatal error to resume.
  }
  std::unique_ptr<RecordReader> second =
      vigie::NewRecordReaderFromString(bytes, kNames[format], options)
          .value();
  if (!second->SeekTo(at).ok()) std::abort();
  ReadAll(*second, limit, &resumed);
  if (resumed != expected) std::abort();
  return 0;
}
