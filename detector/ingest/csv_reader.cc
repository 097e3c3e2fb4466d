// CSV reader: RFC 4180 records, header-driven column mapping.
//
// Records are scanned from the input window; when a record runs past the
// window the window is refilled and the record rescanned from its start
// (records are small, so the rescan is rare and cheap). Quoted fields that
// contain doubled quotes are unescaped into a per-reader scratch buffer that
// is reused, so the success path does not allocate once warm.
//
// Recovery: a structural error (unbalanced quote, stray quote, over-long
// record) is reported at the line where the record starts, and reading
// resumes at the next physical line, so one bad line costs one record.
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "detector/ingest/field_decoder.h"
#include "detector/ingest/readers.h"
#include "detector/internal/status_macros.h"

namespace vigie {
namespace ingest_internal {
namespace {

constexpr int kMaxColumns = 1024;

struct Span {
  // A field is either a view into the input or a range of scratch_.
  const char* data;
  size_t size;
  bool in_scratch;
  size_t scratch_offset;
};

enum class ScanStatus { kRecord, kNeedMore, kTooLong, kStructureError };

// The first ',', '\n' or '"' in [p, end), or end. Sixteen bytes at a time
// with SSE2 (every x86-64 has it): fields such as user agents are long,
// and this scan is most of the CSV reader's time.
const char* FindFieldEnd(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i quote = _mm_set1_epi8('"');
  while (end - p >= 16) {
    const __m128i bytes =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hits = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, comma),
                     _mm_cmpeq_epi8(bytes, newline)),
        _mm_cmpeq_epi8(bytes, quote));
    const int mask = _mm_movemask_epi8(hits);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && *p != ',' && *p != '\n' && *p != '"') ++p;
  return p;
}

class CsvReader : public TextReaderBase {
 public:
  CsvReader(std::unique_ptr<InputBuffer> input, std::string name,
            const ReaderOptions& options)
      : TextReaderBase(std::move(input), std::move(name)),
        max_record_bytes_(options.max_record_bytes),
        mapping_(options.mapping),
        times_(options.mapping != nullptr ? options.mapping->time
                                          : TimeFormat()) {
    spans_.reserve(32);
    views_.reserve(32);
    scratch_.reserve(1024);
  }

  InputFormat format() const override { return InputFormat::kCsv; }

  absl::Status SeekTo(const ReadPosition& position) override {
    if (position.byte_offset > 0) {
      RecordError error;
      if (!ReadHeaderRow(&error)) {
        return absl::DataLossError(
            absl::StrCat(source_name(), ": cannot resume: the header no "
                                        "longer reads: ", error.ToString()));
      }
    }
    return TextReaderBase::SeekTo(position);
  }

  Result Next(AccessRecord* record, RecordError* error) override {
    while (!done_) {
      size_t record_bytes = 0;
      int64_t newlines = 0;
      std::string structure_reason;
      ScanStatus status = ScanNext(&record_bytes, &newlines, &structure_reason);
      if (done_ && status != ScanStatus::kRecord) {
        if (fatal_pending_) return Fatal(error);
        if (!header_read_) return EmptyInput(error);
        return Result::kEnd;
      }
      const int64_t record_line = line_;
      if (status == ScanStatus::kTooLong ||
          status == ScanStatus::kStructureError) {
        FillError(record_line, "", "",
                  status == ScanStatus::kTooLong
                      ? absl::StrCat("record longer than ", max_record_bytes_,
                                     " bytes")
                      : structure_reason,
                  error);
        if (!SkipPhysicalLine()) {
          if (fatal_pending_) {
            // The input failed while skipping: report that instead.
            return Fatal(error);
          }
        }
        if (!header_read_) {
          // Without a header nothing else can be read.
          error->fatal = true;
          error->reason = absl::StrCat("header: ", error->reason);
          done_ = true;
        }
        return Result::kError;
      }
      // A complete record of spans_.
      ResolveViews();
      input_->Consume(record_bytes);
      line_ += newlines;
      if (!header_read_) {
        if (!ReadHeader(record_line, error)) {
          done_ = true;
          return Result::kError;
        }
        continue;
      }
      if (views_.size() == 1 && views_[0].empty()) continue;  // Blank line.
      if (static_cast<int>(views_.size()) != num_columns_) {
        // The count found is the value: the reason stays one text a file.
        FillError(record_line, "", absl::StrCat(views_.size(), " columns"),
                  absl::StrCat("wrong column count: expected ", num_columns_),
                  error);
        return Result::kError;
      }
      fields_.Clear();
      for (int c = 0; c < num_columns_; ++c) {
        int f = column_field_[c];
        if (f >= 0) fields_.value[f] = views_[c];
      }
      if (!DecodeTextFields(fields_, Utf8::kCheck, times_, mapping_.get(),
                            record, error)) {
        error->source = source_name();
        error->position = record_line;
        error->position_is_record = false;
        return Result::kError;
      }
      return Result::kRecord;
    }
    if (fatal_pending_) return Fatal(error);
    return Result::kEnd;
  }

 private:
  Result EmptyInput(RecordError* error) {
    FillError(1, "", "", "empty input: expected a header row", error);
    error->fatal = true;
    return Result::kError;
  }

  Result Fatal(RecordError* error) { return TakeFatal(line_, error); }

  void FillError(int64_t line, absl::string_view field, absl::string_view value,
                 std::string reason, RecordError* error) {
    SetLineError(source_name(), line, field, value, std::move(reason), error);
  }

  // Scans the next record, refilling as needed. Sets done_ at the end of
  // the input (with no record).
  ScanStatus ScanNext(size_t* record_bytes, int64_t* newlines,
                      std::string* reason) {
    if (!started_) {
      started_ = true;
      // Read at least 3 bytes: a short first read (the gzip check hands
      // back its 2 bytes alone) must not hide a byte-order mark.
      while (input_->available().size() < 3 && Refill()) {
      }
      if (input_->available().empty()) {
        done_ = true;
        return ScanStatus::kNeedMore;
      }
      absl::string_view in = input_->available();
      if (in.size() >= 3 && memcmp(in.data(), "\xEF\xBB\xBF", 3) == 0) {
        input_->Consume(3);
      }
    }
    while (true) {
      absl::string_view in = input_->available();
      if (in.empty() && input_->eof()) {
        done_ = true;
        return ScanStatus::kNeedMore;
      }
      // Most records are simple: one pass finds their fields.
      const bool plain = ScanSimpleRecord(in, record_bytes);
      ScanStatus status = plain ? ScanStatus::kRecord
                                : Scan(in, input_->eof(), record_bytes, reason);
      // The same length test whether the record fits in the window or not,
      // so the verdict never depends on where a chunk happens to end.
      if (status == ScanStatus::kRecord) {
        if (ContentBytes(in.substr(0, *record_bytes)) > max_record_bytes_) {
          return ScanStatus::kTooLong;
        }
        *newlines =
            plain ? 1 : std::count(in.data(), in.data() + *record_bytes, '\n');
        return status;
      }
      // A malformed record is judged, like any, by its first
      // max_record_bytes bytes: a fault further on is found only when the
      // window holds it, so there the record is too long, whatever the
      // window.
      if (status == ScanStatus::kStructureError &&
          error_end_ > max_record_bytes_) {
        return ScanStatus::kTooLong;
      }
      if (status != ScanStatus::kNeedMore) return status;
      if (ContentBytes(in) > max_record_bytes_) return ScanStatus::kTooLong;
      if (!Refill()) {
        if (done_) return ScanStatus::kNeedMore;  // Input failure.
        if (input_->full()) return ScanStatus::kTooLong;
        // End of input: rescan with eof() now true.
      }
    }
  }

  // A record's length without its line terminator (LF or CRLF; for a
  // partial record, without a CR that may start one).
  static size_t ContentBytes(absl::string_view record) {
    if (!record.empty() && record.back() == '\n') record.remove_suffix(1);
    if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
    return record.size();
  }

  // The common case of Scan: a one-line record whose quoted fields (if
  // any) hold no doubled quote and no newline, and whose newline is in
  // `in`. Fills views_ (what ResolveViews gives after Scan) and
  // *record_bytes and returns true; returns false for anything else (a doubled quote, no newline
  // yet, a malformed record, too many columns), which Scan then handles.
  // Finds commas and the record's end 16 bytes at a time instead of one
  // field at a time.
  bool ScanSimpleRecord(absl::string_view in, size_t* record_bytes) {
    simple_views_ = false;
    views_.clear();
    const char* const begin = in.data();
    const char* const end = begin + in.size();
    const char* field = begin;
    const char* p = begin;
    while (p < end) {
      const size_t width = std::min<size_t>(16, end - p);
      uint32_t commas = 0;
      uint32_t stops = 0;  // Newlines and quotes.
#ifdef __SSE2__
      if (width == 16) {
        const __m128i bytes =
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        commas = static_cast<uint32_t>(
            _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(','))));
        stops = static_cast<uint32_t>(_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('\n')),
                         _mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')))));
      } else
#endif
      {
        for (size_t i = 0; i < width; ++i) {
          commas |= uint32_t{p[i] == ','} << i;
          stops |= uint32_t{p[i] == '\n' || p[i] == '"'} << i;
        }
      }
      const uint32_t first_stop = stops & (~stops + 1);
      uint32_t fields_ended = commas & (first_stop != 0 ? first_stop - 1 : ~0u);
      for (; fields_ended != 0; fields_ended &= fields_ended - 1) {
        if (views_.size() >= kMaxColumns) return false;
        const char* comma = p + __builtin_ctz(fields_ended);
        views_.emplace_back(field, comma - field);
        field = comma + 1;
      }
      if (first_stop == 0) {
        p += width;
        continue;
      }
      const char* stop = p + __builtin_ctz(first_stop);
      if (views_.size() >= kMaxColumns) return false;
      if (*stop == '\n') {
        const char* value_end = stop;
        if (value_end > field && value_end[-1] == '\r') --value_end;
        views_.emplace_back(field, value_end - field);
        *record_bytes = stop + 1 - begin;
        simple_views_ = true;
        return true;
      }
      // A quote: simple only as a field's opening quote, closed before a
      // comma or the newline, with no quote or newline inside.
      if (stop != field) return false;
      const char* open = stop + 1;
      const char* close =
          static_cast<const char*>(memchr(open, '"', end - open));
      if (close == nullptr || close + 1 == end ||
          memchr(open, '\n', close - open) != nullptr) {
        return false;
      }
      views_.emplace_back(open, close - open);
      if (close[1] == '\n') {
        *record_bytes = close + 2 - begin;
        simple_views_ = true;
        return true;
      }
      if (close[1] != ',') return false;
      field = p = close + 2;
    }
    return false;
  }

  // A structure error found after reading `in` up to `end`: where the
  // record's verdict was decided (error_end_).
  ScanStatus StructureError(const char* end, absl::string_view in) {
    error_end_ = static_cast<size_t>(end - in.data());
    return ScanStatus::kStructureError;
  }

  // Scans one record from `in`. On kRecord, spans_ and *record_bytes
  // describe it (including its line terminator).
  ScanStatus Scan(absl::string_view in, bool at_eof, size_t* record_bytes,
                  std::string* reason) {
    spans_.clear();
    scratch_.clear();
    const char* p = in.data();
    const char* end = p + in.size();
    while (true) {
      if (spans_.size() >= kMaxColumns) {
        *reason = absl::StrCat("more than ", kMaxColumns, " columns");
        return StructureError(p, in);
      }
      if (p < end && *p == '"') {
        const char* start = ++p;
        bool escaped = false;
        const char* close;
        while (true) {
          close = static_cast<const char*>(memchr(p, '"', end - p));
          if (close == nullptr) {
            if (!at_eof) return ScanStatus::kNeedMore;
            *reason = "unbalanced quote";
            return StructureError(end, in);
          }
          if (close + 1 == end && !at_eof) return ScanStatus::kNeedMore;
          if (close + 1 < end && close[1] == '"') {
            escaped = true;
            p = close + 2;
            continue;
          }
          break;
        }
        Span span{start, static_cast<size_t>(close - start), false, 0};
        if (escaped) {
          span.in_scratch = true;
          span.scratch_offset = scratch_.size();
          for (const char* q = start; q < close; ++q) {
            scratch_.push_back(*q);
            if (*q == '"') ++q;  // Skip the second quote of a pair.
          }
          span.size = scratch_.size() - span.scratch_offset;
        }
        spans_.push_back(span);
        p = close + 1;
        if (p == end) {  // at_eof here.
          *record_bytes = in.size();
          return ScanStatus::kRecord;
        }
        if (*p == ',') {
          ++p;
          continue;
        }
        if (*p == '\n') {
          *record_bytes = p + 1 - in.data();
          return ScanStatus::kRecord;
        }
        if (*p == '\r' && (p + 1 == end || p[1] == '\n')) {
          if (p + 1 == end && !at_eof) return ScanStatus::kNeedMore;
          *record_bytes = (p + 1 == end ? p + 1 : p + 2) - in.data();
          return ScanStatus::kRecord;
        }
        *reason = "unexpected character after a closing quote";
        return StructureError(p + 1, in);
      }
      // Unquoted field.
      const char* q = FindFieldEnd(p, end);
      if (q < end && *q == '"') {
        *reason = "quote inside an unquoted field";
        return StructureError(q + 1, in);
      }
      if (q == end && !at_eof) return ScanStatus::kNeedMore;
      const char* value_end = q;
      if ((q == end || *q == '\n') && value_end > p && value_end[-1] == '\r') {
        --value_end;
      }
      spans_.push_back(Span{p, static_cast<size_t>(value_end - p), false, 0});
      if (q == end) {
        *record_bytes = in.size();
        return ScanStatus::kRecord;
      }
      if (*q == '\n') {
        *record_bytes = q + 1 - in.data();
        return ScanStatus::kRecord;
      }
      p = q + 1;  // After a comma.
    }
  }

  void ResolveViews() {
    if (simple_views_) return;  // ScanSimpleRecord made them.
    views_.clear();
    for (const Span& span : spans_) {
      views_.push_back(span.in_scratch
                           ? absl::string_view(scratch_.data() +
                                                   span.scratch_offset,
                                               span.size)
                           : absl::string_view(span.data, span.size));
    }
  }

  // Discards input up to and including the next newline.
  bool SkipPhysicalLine() {
    while (true) {
      absl::string_view in = input_->available();
      const void* nl = memchr(in.data(), '\n', in.size());
      if (nl != nullptr) {
        size_t n = static_cast<const char*>(nl) - in.data() + 1;
        input_->Consume(n);
        ++line_;
        return true;
      }
      input_->Consume(in.size());
      if (!Refill()) {
        if (!done_) done_ = input_->eof();
        return !fatal_pending_;
      }
    }
  }

  // Reads the first row as the header, as Next() does before any record.
  bool ReadHeaderRow(RecordError* error) {
    size_t record_bytes = 0;
    int64_t newlines = 0;
    std::string reason;
    const int64_t record_line = line_;
    if (ScanNext(&record_bytes, &newlines, &reason) != ScanStatus::kRecord) {
      FillError(record_line, "", "", "header: no header row", error);
      return false;
    }
    ResolveViews();
    input_->Consume(record_bytes);
    line_ += newlines;
    return ReadHeader(record_line, error);
  }

  // The header name of a field's column: the mapping's, lower case, or
  // the field's own.
  std::string ColumnName(int field) const {
    if (mapping_ == nullptr) return std::string(FieldName(field));
    return absl::AsciiStrToLower(
        mapping_->ColumnOf(field, FieldName(field)));
  }

  bool ReadHeader(int64_t line, RecordError* error) {
    header_read_ = true;
    num_columns_ = static_cast<int>(views_.size());
    column_field_.assign(num_columns_, -1);
    int column_of[kFieldCount];
    std::fill(column_of, column_of + kFieldCount, -1);
    for (int c = 0; c < num_columns_; ++c) {
      std::string name =
          absl::AsciiStrToLower(absl::StripAsciiWhitespace(views_[c]));
      for (int f = 0; f < kFieldCount; ++f) {
        if (name == ColumnName(f)) {
          if (column_of[f] >= 0) {
            FillError(line, "", "",
                      absl::StrCat("header: duplicate column '", name, "'"),
                      error);
            error->fatal = true;
            return false;
          }
          column_of[f] = c;
          column_field_[c] = f;
        }
      }
    }
    for (int f : {kTime, kAccount, kIp, kAction}) {
      if (column_of[f] < 0) {
        FillError(line, "", "",
                  ColumnName(f) == FieldName(f)
                      ? absl::StrCat("header: missing required column '",
                                     FieldName(f), "'")
                      : absl::StrCat("header: missing required column '",
                                     ColumnName(f), "' (the mapping's '",
                                     FieldName(f), "')"),
                  error);
        error->fatal = true;
        return false;
      }
    }
    return true;
  }

  size_t max_record_bytes_;
  std::shared_ptr<const InputMapping> mapping_;  // May be null.
  size_t error_end_ = 0;  // Of Scan's latest structure error.
  bool started_ = false;
  bool header_read_ = false;
  int num_columns_ = 0;
  std::vector<int> column_field_;
  std::vector<Span> spans_;
  std::vector<absl::string_view> views_;
  bool simple_views_ = false;  // views_ come from ScanSimpleRecord.
  std::string scratch_;
  TextFields fields_;
  EventTimeParser times_;
};

}  // namespace

std::unique_ptr<RecordReader> NewCsvReader(std::unique_ptr<InputBuffer> input,
                                           std::string name,
                                           const ReaderOptions& options) {
  return std::make_unique<CsvReader>(std::move(input), std::move(name),
                                     options);
}

bool TextReaderBase::Refill() {
  absl::StatusOr<size_t> added = input_->Fill();
  if (!added.ok()) {
    fatal_status_ = added.status();
    fatal_pending_ = true;
    done_ = true;
    return false;
  }
  return *added > 0;
}

absl::Status TextReaderBase::SeekTo(const ReadPosition& position) {
  VIGIE_RETURN_IF_ERROR(
      SkipInputTo(*input_, position.byte_offset, source_name()));
  line_ = position.line_or_record;
  return absl::OkStatus();
}

absl::Status SkipInputTo(InputBuffer& input, uint64_t offset,
                         const std::string& source) {
  if (offset < input.bytes_consumed()) {
    return absl::DataLossError(absl::StrCat(
        source, ": cannot resume at byte ", offset,
        ", before the first record (byte ", input.bytes_consumed(), ")"));
  }
  absl::Status status = input.SkipTo(offset);
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(source, ": cannot resume: ",
                                   status.message(), " (the input changed)"));
}

RecordReader::Result TextReaderBase::TakeFatal(int64_t line,
                                               RecordError* error) {
  fatal_pending_ = false;
  SetFatalInputError(fatal_status_, error);
  error->source = source_name();
  error->position = line;
  error->position_is_record = false;
  return Result::kError;
}

void SetLineError(const std::string& source, int64_t line,
                  absl::string_view field, absl::string_view value,
                  std::string reason, RecordError* error) {
  error->code = absl::StatusCode::kInvalidArgument;
  error->source = source;
  error->position = line;
  error->position_is_record = false;
  error->field = std::string(field);
  error->value = std::string(value);
  error->reason = std::move(reason);
  error->fatal = false;
}

void SetFatalInputError(const absl::Status& status, RecordError* error) {
  error->code = status.code();
  error->field.clear();
  error->value.clear();
  // Status messages from the byte source start with the input's name;
  // the caller's source/position already say where.
  absl::string_view message = status.message();
  size_t colon = message.find(": ");
  error->reason = std::string(
      colon == absl::string_view::npos ? message : message.substr(colon + 2));
  error->fatal = true;
}

}  // namespace ingest_internal
}  // namespace vigie
