#include "detector/ingest/field_decoder.h"

#include <simdjson.h>

#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "detector/ingest/time_format.h"

namespace vigie {
namespace ingest_internal {
namespace {

static_assert(kFieldCount == InputMapping::kFields,
              "the mapping names every field");

constexpr absl::string_view kEcsNames[kFieldCount] = {
    "@timestamp",    "user.name",     "source.ip",
    "event.action",  "event.outcome", "vigie.subject",
    "vigie.records", "user_agent.original", "service.name",
    "vigie.profession"};

// Parses a non-negative decimal integer; false on anything else.
bool ParseCount(absl::string_view text, uint64_t* out, bool* overflow) {
  *overflow = false;
  if (text.empty() || text.size() > 20) {
    *overflow = text.size() > 20;
    return false;
  }
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) {
      *overflow = true;
      return false;
    }
    value = value * 10 + digit;
  }
  *out = value;
  return true;
}

}  // namespace

absl::string_view FieldName(int field) { return InputFieldName(field); }
absl::string_view EcsFieldName(int field) { return kEcsNames[field]; }

bool IsValidUtf8(absl::string_view text) {
  // ASCII fast path, eight bytes at a time, the last eight (or four)
  // overlapping what came before instead of a byte-by-byte tail; anything
  // else goes to simdjson's validator.
  const char* p = text.data();
  const size_t n = text.size();
  uint64_t high = 0;
  if (n >= 8) {
    uint64_t word;
    for (size_t i = 0; i + 8 <= n; i += 8) {
      memcpy(&word, p + i, 8);
      high |= word;
    }
    memcpy(&word, p + n - 8, 8);
    high |= word;
  } else if (n >= 4) {
    uint32_t first, last;
    memcpy(&first, p, 4);
    memcpy(&last, p + n - 4, 4);
    high = first | last;
  } else {
    for (size_t i = 0; i < n; ++i) high |= static_cast<unsigned char>(p[i]);
  }
  if ((high & 0x8080808080808080ull) == 0) return true;
  return simdjson::validate_utf8(text.data(), text.size());
}

void SetErrorValue(absl::string_view raw, RecordError* error) {
  std::string& out = error->value;
  out.clear();
  out.push_back('"');
  size_t shown = 0;
  for (char c : raw) {
    if (shown >= 64) {
      out.append("...");
      break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      static const char kHex[] = "0123456789abcdef";
      out.append("\\x");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
    ++shown;
  }
  if (out.size() < 4 || out.compare(out.size() - 3, 3, "...") != 0) {
    out.push_back('"');
  } else {
    out.insert(out.size() - 3, "\"");
  }
}

void SetFieldError(int field, absl::string_view raw_value,
                   absl::string_view reason, RecordError* error) {
  error->code = absl::StatusCode::kInvalidArgument;
  error->field = std::string(FieldName(field));
  // The subject is personal data: never quote it.
  if (field == kSubject || raw_value.empty()) {
    error->value.clear();
  } else {
    SetErrorValue(raw_value, error);
  }
  error->reason = std::string(reason);
  error->fatal = false;
}

bool ValidateRecord(const AccessRecord& record, Utf8 utf8,
                    RecordError* error) {
  if (record.time_ms == 0) {
    SetFieldError(kTime, "", "missing required value", error);
    return false;
  }
  if (record.time_ms < kMinEventTimeMs || record.time_ms > kMaxEventTimeMs) {
    SetFieldError(kTime, absl::StrCat(record.time_ms),
                  "outside the years 0000 to 9999 (UTC)", error);
    return false;
  }
  if (record.account.empty()) {
    SetFieldError(kAccount, "", "missing required value", error);
    return false;
  }
  if (record.action == Action::kLookup && record.subject.empty()) {
    SetFieldError(kSubject, "", "missing on a lookup", error);
    return false;
  }
  if (utf8 == Utf8::kAlreadyValid) return true;
  const absl::string_view texts[] = {record.account, record.subject,
                                     record.user_agent, record.service,
                                     record.profession};
  const int fields[] = {kAccount, kSubject, kUserAgent, kService,
                        kProfession};
  for (int i = 0; i < 5; ++i) {
    if (!IsValidUtf8(texts[i])) {
      SetFieldError(fields[i], "", "invalid UTF-8", error);
      return false;
    }
  }
  return true;
}

bool DecodeTextFields(const TextFields& fields, Utf8 utf8,
                      EventTimeParser& times, const InputMapping* mapping,
                      AccessRecord* record, RecordError* error) {
  const absl::string_view* v = fields.value;
  // Required fields, in a fixed order so errors are deterministic.
  for (int f : {kTime, kAccount, kIp, kAction}) {
    if (v[f].empty()) {
      SetFieldError(f, "", "missing required value", error);
      return false;
    }
  }
  absl::StatusOr<int64_t> time_ms = times.Parse(v[kTime]);
  if (!time_ms.ok()) {
    SetFieldError(kTime, v[kTime], time_ms.status().message(), error);
    return false;
  }
  if (*time_ms == 0) {
    // 0 is reserved for "absent" in the binary format.
    SetFieldError(kTime, v[kTime], "the epoch itself (0) is not a valid event time",
                  error);
    return false;
  }
  record->time_ms = *time_ms;
  record->account = v[kAccount];
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(v[kIp]);
  if (!ip.ok()) {
    SetFieldError(kIp, v[kIp], ip.status().message(), error);
    return false;
  }
  record->ip = *ip;
  // Both try the canonical spelling first.
  const std::optional<Action> action = mapping != nullptr
                                           ? mapping->ActionOf(v[kAction])
                                           : ActionIgnoringCase(v[kAction]);
  if (!action.has_value()) {
    SetFieldError(kAction, v[kAction],
                  "unknown action (expected login, lookup, export, logout, "
                  "password_reset or mfa)",
                  error);
    return false;
  }
  record->action = *action;
  record->outcome = Outcome::kSuccess;
  if (!v[kOutcome].empty()) {
    const std::optional<Outcome> outcome =
        mapping != nullptr ? mapping->OutcomeOf(v[kOutcome])
                           : OutcomeIgnoringCase(v[kOutcome]);
    if (!outcome.has_value()) {
      SetFieldError(kOutcome, v[kOutcome],
                    "unknown outcome (expected success, failure or not_found)",
                    error);
      return false;
    }
    record->outcome = *outcome;
  }
  record->subject = v[kSubject];
  record->has_records = false;
  record->records = 0;
  if (!v[kRecords].empty()) {
    bool overflow = false;
    if (!ParseCount(v[kRecords], &record->records, &overflow)) {
      SetFieldError(kRecords, v[kRecords],
                    overflow ? "records out of range"
                             : "not a non-negative integer",
                    error);
      return false;
    }
    record->has_records = true;
  }
  record->user_agent = v[kUserAgent];
  record->service = v[kService];
  record->profession = v[kProfession];
  return ValidateRecord(*record, utf8, error);
}

}  // namespace ingest_internal

std::string RecordError::ToString() const {
  std::string out = source;
  if (position > 0) {
    absl::StrAppend(&out, position_is_record ? ": record " : ":", position);
  }
  out.append(": ");
  if (!field.empty()) absl::StrAppend(&out, "field '", field, "': ");
  if (!value.empty()) absl::StrAppend(&out, value, ": ");
  out.append(reason);
  return out;
}

absl::Status RecordError::ToStatus() const {
  return absl::Status(code, ToString());
}

std::string RecordError::Kind() const {
  if (field.empty()) return reason;
  return absl::StrCat("field '", field, "': ", reason);
}

}  // namespace vigie
