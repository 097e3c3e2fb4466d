#include "detector/input_mapping.h"

#include <cctype>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace vigie {
namespace {

constexpr absl::string_view kFieldNames[InputMapping::kFields] = {
    "time",    "account", "ip",         "action",  "outcome",
    "subject", "records", "user_agent", "service", "profession"};

std::string Key(absl::string_view text) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
}

// "+01:00", "-0530", "+02": a fixed offset east of UTC, in seconds.
std::optional<int> FixedOffset(absl::string_view zone) {
  if (zone.size() < 3 || (zone[0] != '+' && zone[0] != '-')) {
    return std::nullopt;
  }
  const int sign = zone[0] == '-' ? -1 : 1;
  std::string digits;
  for (char c : zone.substr(1)) {
    if (c == ':') continue;
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      return std::nullopt;
    }
    digits.push_back(c);
  }
  if (digits.size() != 2 && digits.size() != 4) return std::nullopt;
  const int hours = std::atoi(digits.substr(0, 2).c_str());
  const int minutes = digits.size() == 4 ? std::atoi(digits.substr(2).c_str()) : 0;
  if (hours > 23 || minutes > 59) return std::nullopt;
  return sign * (hours * 3600 + minutes * 60);
}

// Adds `spelling` of `canonical` (whose value is `value`, nullopt when it
// names none of `expected`) to `spellings`.
template <typename T>
absl::Status AddSpelling(const char* kind, absl::string_view spelling,
                         absl::string_view canonical, std::optional<T> value,
                         const char* expected,
                         absl::string_view (*name)(T),
                         std::vector<std::pair<std::string, T>>* spellings) {
  if (!value.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mapping: ", kind, " spelling \"", spelling, "\": \"", canonical,
        "\" is not an ", kind, " (", expected, ")"));
  }
  const std::string key = Key(spelling);
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mapping: an empty ", kind, " spelling"));
  }
  for (const auto& [known, v] : *spellings) {
    if (known == key && v != *value) {
      return absl::InvalidArgumentError(
          absl::StrCat("mapping: ", kind, " spelling \"", spelling,
                       "\" maps to both ", name(v), " and ", name(*value)));
    }
  }
  spellings->emplace_back(key, *value);
  return absl::OkStatus();
}

}  // namespace

absl::string_view InputFieldName(int field) { return kFieldNames[field]; }

absl::StatusOr<TimeFormat> TimeFormat::Parse(absl::string_view format,
                                             absl::string_view zone) {
  TimeFormat out;
  const std::string word = Key(format);
  if (word.empty() || word == "rfc3339") {
    out.kind = Kind::kRfc3339OrEpochMillis;
  } else if (word == "epoch_s") {
    out.kind = Kind::kEpochSeconds;
  } else if (word == "epoch_ms") {
    out.kind = Kind::kEpochMillis;
  } else if (word == "epoch_us") {
    out.kind = Kind::kEpochMicros;
  } else if (absl::StrContains(format, '%')) {
    out.kind = Kind::kPattern;
    out.pattern = std::string(format);
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "time format \"", format,
        "\": expected rfc3339, epoch_s, epoch_ms, epoch_us or a strftime "
        "pattern such as \"%Y-%m-%d %H:%M:%S\""));
  }
  const std::string zone_text(absl::StripAsciiWhitespace(zone));
  if (zone_text.empty() || absl::EqualsIgnoreCase(zone_text, "utc") ||
      zone_text == "Z") {
    out.zone = absl::UTCTimeZone();
    out.zone_name = "UTC";
  } else if (std::optional<int> offset = FixedOffset(zone_text)) {
    out.zone = absl::FixedTimeZone(*offset);
    out.zone_name = zone_text;
  } else if (absl::LoadTimeZone(zone_text, &out.zone)) {
    out.zone_name = zone_text;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "time zone \"", zone_text,
        "\": neither UTC, an offset such as +01:00, nor a zone of the tz "
        "database (such as Europe/Paris; Debian package tzdata)"));
  }
  if (out.kind != Kind::kPattern && out.zone_name != "UTC") {
    return absl::InvalidArgumentError(absl::StrCat(
        "time zone \"", zone_text, "\": only a strftime pattern's times are "
        "local; RFC 3339 times carry their offset and epoch times are UTC"));
  }
  return out;
}

std::string TimeFormat::FormatName() const {
  switch (kind) {
    case Kind::kRfc3339OrEpochMillis: return "rfc3339";
    case Kind::kEpochSeconds: return "epoch_s";
    case Kind::kEpochMillis: return "epoch_ms";
    case Kind::kEpochMicros: return "epoch_us";
    case Kind::kPattern: return pattern;
  }
  return "rfc3339";
}

absl::Status InputMapping::SetColumn(absl::string_view field,
                                     absl::string_view column) {
  const std::string name = Key(field);
  int index = -1;
  for (int f = 0; f < kFields; ++f) {
    if (kFieldNames[f] == name) index = f;
  }
  if (index < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mapping: unknown field \"", field,
        "\" (expected time, account, ip, action, outcome, subject, records, "
        "user_agent, service or profession)"));
  }
  const std::string key = Key(column);
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mapping: field '", name, "': empty column name"));
  }
  for (int f = 0; f < kFields; ++f) {
    if (f != index && Key(ColumnOf(f, kFieldNames[f])) == key) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mapping: column \"", column, "\" is given to both '",
          kFieldNames[f], "' and '", name, "'"));
    }
  }
  columns[index] = std::string(absl::StripAsciiWhitespace(column));
  return absl::OkStatus();
}

absl::Status InputMapping::AddActionSpelling(absl::string_view spelling,
                                             absl::string_view canonical) {
  return AddSpelling<Action>(
      "action", spelling, canonical, ActionIgnoringCase(canonical),
      "login, lookup, export, logout, password_reset or mfa", &ActionName,
      &action_spellings);
}

absl::Status InputMapping::AddOutcomeSpelling(absl::string_view spelling,
                                              absl::string_view canonical) {
  return AddSpelling<Outcome>("outcome", spelling, canonical,
                              OutcomeIgnoringCase(canonical),
                              "success, failure or not_found", &OutcomeName,
                              &outcome_spellings);
}

std::optional<Action> InputMapping::ActionOf(absl::string_view text) const {
  if (std::optional<Action> a = ActionIgnoringCase(text)) return a;
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  for (const auto& [spelling, action] : action_spellings) {
    if (absl::EqualsIgnoreCase(spelling, trimmed)) return action;
  }
  return std::nullopt;
}

std::optional<Outcome> InputMapping::OutcomeOf(absl::string_view text) const {
  if (std::optional<Outcome> o = OutcomeIgnoringCase(text)) return o;
  const absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  for (const auto& [spelling, outcome] : outcome_spellings) {
    if (absl::EqualsIgnoreCase(spelling, trimmed)) return outcome;
  }
  return std::nullopt;
}

std::optional<Action> ActionIgnoringCase(absl::string_view text) {
  if (std::optional<Action> exact = ParseAction(text)) return exact;
  for (int i = 1; i <= 6; ++i) {
    const Action a = static_cast<Action>(i);
    if (absl::EqualsIgnoreCase(text, ActionName(a))) return a;
  }
  return std::nullopt;
}

std::optional<Outcome> OutcomeIgnoringCase(absl::string_view text) {
  if (std::optional<Outcome> exact = ParseOutcome(text)) return exact;
  for (int i = 1; i <= 3; ++i) {
    const Outcome o = static_cast<Outcome>(i);
    if (absl::EqualsIgnoreCase(text, OutcomeName(o))) return o;
  }
  return std::nullopt;
}

}  // namespace vigie
