// Field decoding shared by the text readers (CSV, JSON Lines): turns the
// text of each field into an AccessRecord, and checks the record-level rules
// every reader enforces (required fields, a subject on lookups, UTF-8).
//
// Internal to the ingestion layer. Thread-safe (pure functions).
#ifndef VIGIE_DETECTOR_INGEST_FIELD_DECODER_H_
#define VIGIE_DETECTOR_INGEST_FIELD_DECODER_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "detector/access_record.h"
#include "detector/input_mapping.h"
#include "detector/ingest/time_format.h"
#include "detector/record_reader.h"

namespace vigie {
namespace ingest_internal {

enum Field : int {
  kTime = 0,
  kAccount,
  kIp,
  kAction,
  kOutcome,
  kSubject,
  kRecords,
  kUserAgent,
  kService,
  kProfession,
  kFieldCount,
};

// CSV column name: "time", "account", ...
absl::string_view FieldName(int field);
// ECS JSON key: "@timestamp", "user.name", ...
absl::string_view EcsFieldName(int field);

// The text of each field of one record; an empty view means absent.
struct TextFields {
  absl::string_view value[kFieldCount];
  void Clear() {
    for (absl::string_view& v : value) v = absl::string_view();
  }
};

// Whether a record's texts still need the UTF-8 check. JSON Lines texts
// come from simdjson, which has validated the whole line and refuses any
// escape that would decode to invalid UTF-8 (a lone surrogate), so
// checking them again would only cost time.
enum class Utf8 { kCheck, kAlreadyValid };

// Decodes and validates, reading the time with the reader's `times` and
// actions and outcomes with `mapping`'s spellings (null: the canonical
// names, without regard to case). On failure fills
// error->code/field/value/reason (not source or position) and returns
// false.
bool DecodeTextFields(const TextFields& fields, Utf8 utf8,
                      EventTimeParser& times, const InputMapping* mapping,
                      AccessRecord* record, RecordError* error);

// The checks every format shares: time and account present, subject on a
// lookup, valid UTF-8 in every text field (unless `utf8` says it is
// already known). Used by the binary reader, whose fields are not text.
bool ValidateRecord(const AccessRecord& record, Utf8 utf8,
                    RecordError* error);

// Fills error->value with `raw` quoted for a message: printable ASCII kept,
// other bytes escaped as \xHH, at most 64 bytes shown then "...".
void SetErrorValue(absl::string_view raw, RecordError* error);

// Fills a record-level InvalidArgument error.
void SetFieldError(int field, absl::string_view raw_value,
                   absl::string_view reason, RecordError* error);

bool IsValidUtf8(absl::string_view text);

}  // namespace ingest_internal
}  // namespace vigie

#endif  // VIGIE_DETECTOR_INGEST_FIELD_DECODER_H_
