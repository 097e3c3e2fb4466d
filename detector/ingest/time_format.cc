#include "detector/ingest/time_format.h"

#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "detector/event.h"

namespace vigie {
namespace {

constexpr int64_t kMsPerDay = 86400000;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, int* m, int* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool Digits(absl::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

absl::Status NotATime() {
  return absl::InvalidArgumentError(
      "not an RFC 3339 time or epoch milliseconds");
}

absl::StatusOr<int64_t> ParseEpochMs(absl::string_view text) {
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    i = 1;
  }
  if (i == text.size()) return NotATime();
  if (text.size() - i > 16) {
    for (size_t j = i; j < text.size(); ++j) {
      if (text[j] < '0' || text[j] > '9') return NotATime();
    }
    return absl::InvalidArgumentError("epoch milliseconds out of range");
  }
  int64_t value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return NotATime();
    value = value * 10 + (text[i] - '0');
  }
  return negative ? -value : value;
}

// What follows an RFC 3339 time's minute (position 16 on):
// ":SS[.fraction](Z|+hh:mm|-hh:mm)" and nothing else. NotATime when
// malformed, "offset out of range" for a well-formed offset past 23:59,
// "no UTC offset" when the text ends after the seconds.
absl::Status ParseAfterMinute(absl::string_view text, int* second,
                              int64_t* millis, int64_t* offset_minutes) {
  if (text[16] != ':' || !Digits(text, 17, 2, second)) return NotATime();
  size_t i = 19;
  *millis = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    size_t start = i;
    int scale = 100;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (scale > 0) {
        *millis += (text[i] - '0') * scale;
        scale /= 10;
      }
      ++i;
    }
    if (i == start) return NotATime();
  }
  *offset_minutes = 0;
  if (i >= text.size()) {
    // A date and time without Z or an offset: a local time.
    return absl::InvalidArgumentError(
        "no UTC offset (Z or +01:00): a local time needs a mapping's "
        "time_format and time_zone");
  }
  if (text[i] == 'Z' || text[i] == 'z') {
    ++i;
  } else if (text[i] == '+' || text[i] == '-') {
    const int sign = text[i] == '+' ? 1 : -1;
    int oh, om;
    if (!Digits(text, i + 1, 2, &oh) || i + 3 >= text.size() ||
        text[i + 3] != ':' || !Digits(text, i + 4, 2, &om)) {
      return NotATime();
    }
    i += 6;
    if (oh > 23 || om > 59) {
      if (i != text.size()) return NotATime();
      return absl::InvalidArgumentError("offset out of range");
    }
    *offset_minutes = sign * (oh * 60 + om);
  } else {
    return NotATime();
  }
  if (i != text.size()) return NotATime();
  return absl::OkStatus();
}

// The time from its minute (the UTC ms of its first 16 characters read as
// "YYYY-MM-DDTHH:MM") and what ParseAfterMinute read.
absl::StatusOr<int64_t> TimeFromParts(int64_t minute_ms, int second,
                                      int64_t millis, int64_t offset_minutes) {
  if (second > 60) return absl::InvalidArgumentError("second out of range");
  if (second == 60) {  // Leap second: the last millisecond of the minute.
    second = 59;
    millis = 999;
  }
  return minute_ms - offset_minutes * 60000 + second * 1000 + millis;
}

// An RFC 3339 time (REQUIRES: at least 19 characters); *minute_ms as for
// TimeFromParts, set on success.
absl::StatusOr<int64_t> ParseRfc3339(absl::string_view text,
                                     int64_t* minute_ms) {
  int year, month, day, hour, minute;
  if (!Digits(text, 0, 4, &year) || text[4] != '-' ||
      !Digits(text, 5, 2, &month) || text[7] != '-' ||
      !Digits(text, 8, 2, &day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      !Digits(text, 11, 2, &hour) || text[13] != ':' ||
      !Digits(text, 14, 2, &minute)) {
    return NotATime();
  }
  int second;
  int64_t millis, offset_minutes;
  absl::Status rest = ParseAfterMinute(text, &second, &millis, &offset_minutes);
  if (!rest.ok()) return rest;
  if (month < 1 || month > 12) {
    return absl::InvalidArgumentError("month out of range");
  }
  if (day < 1 || day > DaysInMonth(year, month)) {
    return absl::InvalidArgumentError("day out of range");
  }
  if (hour > 23) return absl::InvalidArgumentError("hour out of range");
  if (minute > 59) return absl::InvalidArgumentError("minute out of range");
  const int64_t this_minute_ms = DaysFromCivil(year, month, day) * kMsPerDay +
                                 (hour * 60 + minute) * int64_t{60000};
  absl::StatusOr<int64_t> time =
      TimeFromParts(this_minute_ms, second, millis, offset_minutes);
  if (time.ok()) *minute_ms = this_minute_ms;
  return time;
}

// ParseEventTime, also setting *minute_ms (as for TimeFromParts) when an
// RFC 3339 time parsed; *minute_ms is left alone otherwise.
absl::StatusOr<int64_t> ParseAnyTime(absl::string_view text,
                                     int64_t* minute_ms) {
  if (text.empty()) return absl::InvalidArgumentError("empty");
  // "YYYY-MM-DDTHH:MM:SS" at least; anything without a '-' at position 4
  // is epoch ms.
  if (text.size() < 19 || text[4] != '-') return ParseEpochMs(text);
  return ParseRfc3339(text, minute_ms);
}

}  // namespace

absl::StatusOr<int64_t> ParseEventTime(absl::string_view text) {
  int64_t minute_ms;
  return ParseAnyTime(text, &minute_ms);
}

absl::StatusOr<int64_t> EventTimeParser::Parse(absl::string_view text) {
  switch (format_.kind) {
    case TimeFormat::Kind::kRfc3339OrEpochMillis:
      break;
    case TimeFormat::Kind::kPattern:
      return ParsePattern(text);
    default:
      return ParseEpoch(text);
  }
  if (has_minute_ && text.size() >= 20 &&
      memcmp(text.data(), minute_text_, sizeof(minute_text_)) == 0) {
    // The same first 16 characters as a time that parsed: a valid minute.
    int second;
    int64_t millis, offset_minutes;
    absl::Status rest =
        ParseAfterMinute(text, &second, &millis, &offset_minutes);
    if (!rest.ok()) return rest;
    return TimeFromParts(minute_ms_, second, millis, offset_minutes);
  }
  int64_t minute_ms = INT64_MIN;  // Set only by an RFC 3339 time.
  absl::StatusOr<int64_t> time = ParseAnyTime(text, &minute_ms);
  if (time.ok() && minute_ms != INT64_MIN) {
    memcpy(minute_text_, text.data(), sizeof(minute_text_));
    minute_ms_ = minute_ms;
    has_minute_ = true;
  }
  return time;
}

absl::StatusOr<int64_t> EventTimeParser::ParseEpoch(
    absl::string_view text) const {
  // Whole units and up to nine digits of fraction, in milliseconds.
  const TimeFormat::Kind kind = format_.kind;
  const char* const unit = kind == TimeFormat::Kind::kEpochSeconds
                               ? "not epoch seconds"
                           : kind == TimeFormat::Kind::kEpochMillis
                               ? "not epoch milliseconds"
                               : "not epoch microseconds";
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) i = 1;
  int64_t whole = 0;
  size_t digits = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    if (++digits > 18) return absl::InvalidArgumentError(unit);
    whole = whole * 10 + (text[i] - '0');
  }
  int64_t fraction_ns = 0;  // Of the unit, scaled to 9 digits.
  if (i < text.size() && text[i] == '.') {
    int64_t scale = 100000000;
    for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      fraction_ns += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (digits == 0 || i != text.size()) return absl::InvalidArgumentError(unit);
  int64_t ms;
  switch (kind) {
    case TimeFormat::Kind::kEpochSeconds:
      // Past 2100 whatever the fraction (and without overflow).
      ms = whole >= kPlausibleUntilMs / 1000
               ? kPlausibleUntilMs
               : whole * 1000 + fraction_ns / 1000000;
      break;
    case TimeFormat::Kind::kEpochMillis:
      ms = whole + fraction_ns / 1000000000;
      break;
    default:
      ms = whole / 1000;
      break;
  }
  if (negative) ms = -ms;
  if (ms >= kPlausibleFromMs && ms < kPlausibleUntilMs) return ms;
  // The unit the value would be plausible in.
  const bool too_big = ms >= kPlausibleUntilMs;
  switch (kind) {
    case TimeFormat::Kind::kEpochSeconds:
      return absl::InvalidArgumentError(
          too_big ? "implausible as epoch seconds, outside 1990..2099 "
                    "(milliseconds?)"
                  : "implausible as epoch seconds, outside 1990..2099");
    case TimeFormat::Kind::kEpochMillis:
      return absl::InvalidArgumentError(
          too_big ? "implausible as epoch milliseconds, outside 1990..2099 "
                    "(microseconds?)"
                  : "implausible as epoch milliseconds, outside 1990..2099 "
                    "(seconds?)");
    default:
      return absl::InvalidArgumentError(
          too_big ? "implausible as epoch microseconds, outside 1990..2099"
                  : "implausible as epoch microseconds, outside 1990..2099 "
                    "(milliseconds?)");
  }
}

absl::StatusOr<int64_t> EventTimeParser::ParsePattern(
    absl::string_view text) const {
  absl::Time time;
  std::string ignored;
  if (!absl::ParseTime(format_.pattern, text, format_.zone, &time,
                       &ignored)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "does not match the time format \"", format_.pattern, "\""));
  }
  if (time < absl::FromUnixMillis(kMinEventTimeMs) ||
      time > absl::FromUnixMillis(kMaxEventTimeMs)) {
    return absl::InvalidArgumentError("year out of range (0000..9999)");
  }
  return absl::ToUnixMillis(time);
}

void AppendEventTime(int64_t time_ms, std::string* out) {
  int64_t days = time_ms / kMsPerDay;
  int64_t rest = time_ms % kMsPerDay;
  if (rest < 0) {
    rest += kMsPerDay;
    --days;
  }
  int64_t year;
  int month, day;
  CivilFromDays(days, &year, &month, &day);
  if (year < 0) year = 0;
  if (year > 9999) year = 9999;
  const int ms = static_cast<int>(rest % 1000);
  const int64_t seconds = rest / 1000;
  const int fields[] = {static_cast<int>(year / 100),
                        static_cast<int>(year % 100),
                        month,
                        day,
                        static_cast<int>(seconds / 3600),
                        static_cast<int>(seconds / 60 % 60),
                        static_cast<int>(seconds % 60)};
  static constexpr char kSep[] = {'\0', '\0', '-', '-', 'T', ':', ':'};
  char buffer[32];
  size_t n = 0;
  for (int f = 0; f < 7; ++f) {
    if (kSep[f] != '\0') buffer[n++] = kSep[f];
    buffer[n++] = static_cast<char>('0' + fields[f] / 10);
    buffer[n++] = static_cast<char>('0' + fields[f] % 10);
  }
  buffer[n++] = '.';
  buffer[n++] = static_cast<char>('0' + ms / 100);
  buffer[n++] = static_cast<char>('0' + ms / 10 % 10);
  buffer[n++] = static_cast<char>('0' + ms % 10);
  buffer[n++] = 'Z';
  out->append(buffer, n);
}

std::string FormatEventTime(int64_t time_ms) {
  std::string out;
  AppendEventTime(time_ms, &out);
  return out;
}

}  // namespace vigie
