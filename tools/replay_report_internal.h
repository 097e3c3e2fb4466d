// The parts of ReplayReport that its two source files share (feeding and
// codec in replay_report.cc, the page in replay_report_html.cc): the
// records it keeps and the bucket-width ladder. Not for other users.
// Thread-safe (constants, plain structs and pure functions).
#ifndef VIGIE_TOOLS_REPLAY_REPORT_INTERNAL_H_
#define VIGIE_TOOLS_REPLAY_REPORT_INTERNAL_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>

namespace vigie {
namespace report_internal {

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMinuteMs = 60 * kSecondMs;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr int64_t kWeekMs = 7 * kDayMs;

// Buckets are aligned on Monday 1970-01-05T00:00Z, so that weekly buckets
// start on Mondays; every width up to a day divides these four days, so
// those buckets are aligned on the epoch too.
constexpr int64_t kBucketOriginMs = 4 * kDayMs;

// Each width is a multiple of the one before, so merging never splits a
// bucket.
constexpr int64_t kBucketWidthsMs[] = {
    kSecondMs,      5 * kSecondMs,  15 * kSecondMs, 30 * kSecondMs,
    kMinuteMs,      5 * kMinuteMs,  15 * kMinuteMs, 30 * kMinuteMs,
    kHourMs,        3 * kHourMs,    6 * kHourMs,    12 * kHourMs,
    kDayMs,         kWeekMs,        4 * kWeekMs,    52 * kWeekMs,
};

// The next width after `width_ms` (the first one for 0); past the table,
// twice it.
inline int64_t NextBucketWidth(int64_t width_ms) {
  for (int64_t w : kBucketWidthsMs) {
    if (w > width_ms) return w;
  }
  return 2 * width_ms;
}

// Event times are at most 16 digits of milliseconds (ingestion), so spans
// stay below 2^55 ms and widths below 2^48 ms; a saved state claiming more
// is damaged.
constexpr int64_t kMaxEventTimeMagnitudeMs = int64_t{1} << 55;
constexpr int64_t kMaxBucketWidthMs = int64_t{1} << 50;

inline bool IsBucketWidth(int64_t width_ms) {
  for (int64_t w = NextBucketWidth(0); w <= width_ms && w <= kMaxBucketWidthMs;
       w = NextBucketWidth(w)) {
    if (w == width_ms) return true;
  }
  return false;
}

inline int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Histogram bin of a risk: [0, 5) is 0, ..., [95, 100] is 19.
inline int RiskBin(double risk) {
  if (!(risk > 0)) return 0;
  if (!(risk < 100)) return 19;  // Before the cast: it must fit an int.
  return std::min(19, static_cast<int>(risk / 5));
}

// Per account id.
struct AccountActivity {
  float peak_risk = 0;
  uint32_t events = 0;  // Saturating.
};

struct Bucket {
  uint64_t events = 0;
  std::array<uint32_t, 4> alerts_by_severity{};  // Low .. critical.
  uint32_t incidents_opened = 0;
};

// A bucket with its start time, as ReplayReport::Timeline hands it out.
struct TimelineBucket {
  int64_t start_ms = 0;
  Bucket counts;
};

// An account or address that alerts named.
struct EntityAlerts {
  double peak_risk = 0;
  int64_t alerts = 0;
  int64_t incidents = 0;  // Opened.
  int64_t last_alert_ms = 0;
  std::string peak_rule;  // Of the alert at the peak.
};

struct IncidentRow {
  std::string id;
  std::string rule;
  std::string account;
  std::string source_ip;
  std::string message;  // Of the alert at the peak.
  int64_t first_seen_ms = 0;
  int64_t last_seen_ms = 0;
  uint64_t event_count = 0;
  double peak_risk = 0;
  int32_t severity = 0;
  int32_t action = 0;  // v1::RecommendedAction
  bool closed = false;
};

// An account whose id was given to another one.
struct RetiredAccount {
  std::string name;
  float peak_risk = 0;
  uint32_t events = 0;
};

}  // namespace report_internal
}  // namespace vigie

#endif  // VIGIE_TOOLS_REPLAY_REPORT_INTERNAL_H_
