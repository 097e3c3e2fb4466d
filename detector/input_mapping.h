// InputMapping: how a portal's own CSV or JSON Lines log reads as Vigie's
// events: the column (or key) that holds each field, the portal's
// spellings of actions and outcomes, and how its times are written.
//
// Why: a portal writes `timestamp,user,src_ip,event,status,patient_id`
// with `LOGIN` and `2022-03-10 08:15:01` (local time), not Vigie's own
// schema; a mapping reads it as it is, with no script in between.
//
// What it changes (the readers apply it, record by record):
//  - columns: a CSV header name per field, matched without regard to case
//    or surrounding spaces, or a JSON key path, dotted for nested objects
//    ("actor.login"), matched exactly; unmapped fields keep their own
//    names ("time", "account", ... in CSV; ECS keys in JSON Lines);
//  - values: other spellings of actions and outcomes ("VIEW_PATIENT" ->
//    lookup, "KO" -> failure), matched without regard to case, as are the
//    canonical names themselves always;
//  - times (TimeFormat): RFC 3339 or epoch milliseconds (the default), or
//    epoch seconds, milliseconds or microseconds said explicitly (a time
//    outside 1990..2099 in the unit chosen is refused as implausible: the
//    reason names the unit it looks like), or a strftime pattern read in
//    a time zone (a fixed offset, or a zone name from the tz database).
//
// Cost: none without a mapping; with one, a case-insensitive comparison
// per spelling for an action or outcome not written canonically, and ~1 us
// a time for a pattern (epoch units: ~10 ns). Immutable once built;
// thread-safe to share between readers.
//
// Example:
//   InputMapping mapping;
//   VIGIE_RETURN_IF_ERROR(mapping.SetColumn("account", "user"));
//   VIGIE_RETURN_IF_ERROR(mapping.AddActionSpelling("VIEW_PATIENT", "lookup"));
//   VIGIE_ASSIGN_OR_RETURN(mapping.time,
//                          TimeFormat::Parse("%Y-%m-%d %H:%M:%S", "Europe/Paris"));
//   ReaderOptions options;
//   options.mapping = std::make_shared<const InputMapping>(std::move(mapping));
#ifndef VIGIE_DETECTOR_INPUT_MAPPING_H_
#define VIGIE_DETECTOR_INPUT_MAPPING_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "detector/event.h"

namespace vigie {

// How a log writes its times.
struct TimeFormat {
  enum class Kind {
    kRfc3339OrEpochMillis,  // The default.
    kEpochSeconds,          // "1646900102", "1646900102.123".
    kEpochMillis,           // "1646900102123".
    kEpochMicros,           // "1646900102123456".
    kPattern,               // strftime, e.g. "%Y-%m-%d %H:%M:%S".
  };
  Kind kind = Kind::kRfc3339OrEpochMillis;
  std::string pattern;                   // With kPattern (absl::ParseTime).
  absl::TimeZone zone = absl::UTCTimeZone();  // For a pattern's local times.
  std::string zone_name = "UTC";

  // `format`: "rfc3339" (the default, also ""), "epoch_s", "epoch_ms",
  // "epoch_us", or a strftime pattern (it must hold a '%'); `zone`: "UTC"
  // (also ""), a fixed offset "+01:00", or a tz database name
  // ("Europe/Paris"). InvalidArgument naming what is wrong: an unknown
  // format word, a zone that is neither (or not installed: tzdata).
  static absl::StatusOr<TimeFormat> Parse(absl::string_view format,
                                          absl::string_view zone);
  // The words Parse reads back: "epoch_s", "%Y-%m-%d %H:%M:%S", ...
  std::string FormatName() const;
};

// Epoch times outside this span are implausible in a portal's log; with an
// epoch unit said explicitly, they are refused.
inline constexpr int64_t kPlausibleFromMs = 631152000000;   // 1990-01-01.
inline constexpr int64_t kPlausibleUntilMs = 4102444800000;  // 2100-01-01.

struct InputMapping {
  // The header name of the column holding each ingest field, in the
  // readers' field order (time, account, ip, action, outcome, subject,
  // records, user_agent, service, profession); empty: the field's own.
  static constexpr int kFields = 10;
  std::array<std::string, kFields> columns;
  std::vector<std::pair<std::string, Action>> action_spellings;
  std::vector<std::pair<std::string, Outcome>> outcome_spellings;
  TimeFormat time;

  // `field` is a field's own name ("account"); InvalidArgument for an
  // unknown field, an empty column or a column already given to another
  // field.
  absl::Status SetColumn(absl::string_view field, absl::string_view column);
  // InvalidArgument when `canonical` is not an action (outcome) name or
  // `spelling` is empty or already mapped to another.
  absl::Status AddActionSpelling(absl::string_view spelling,
                                 absl::string_view canonical);
  absl::Status AddOutcomeSpelling(absl::string_view spelling,
                                  absl::string_view canonical);

  // The column a field is read from: the mapped one, else `own_name`.
  absl::string_view ColumnOf(int field, absl::string_view own_name) const {
    return columns[field].empty() ? own_name : absl::string_view(columns[field]);
  }
  // The action (outcome) `text` spells: a canonical name or a mapped
  // spelling, without regard to case; nullopt when neither.
  std::optional<Action> ActionOf(absl::string_view text) const;
  std::optional<Outcome> OutcomeOf(absl::string_view text) const;
};

// The own name of ingest field `field` (0..InputMapping::kFields - 1):
// "time", "account", ..., "profession".
absl::string_view InputFieldName(int field);

// Without a mapping: the canonical names, without regard to case.
std::optional<Action> ActionIgnoringCase(absl::string_view text);
std::optional<Outcome> OutcomeIgnoringCase(absl::string_view text);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_INPUT_MAPPING_H_
