// ReplayReport::RenderHtml: the page. Plain string building: inline CSS,
// two inline SVG charts drawn from the buckets and the histogram, tables;
// every data string through AppendHtmlEscaped. No script and no URL, so
// the page renders the same offline, archived or printed.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "detector/alerts/alert_json.h"
#include "detector/alerts/severity.h"
#include "tools/html_escape.h"
#include "tools/replay_report.h"
#include "tools/replay_report_internal.h"

namespace vigie {
namespace {

using report_internal::Bucket;
using report_internal::IncidentRow;
using report_internal::kBucketOriginMs;
using report_internal::kDayMs;
using report_internal::kHourMs;
using report_internal::kMinuteMs;
using report_internal::kSecondMs;
using report_internal::kWeekMs;
using report_internal::NextBucketWidth;
using report_internal::TimelineBucket;

// ----------------------------------------------------------------------------
// Words and numbers.

std::string Count(uint64_t n) {
  const std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// 950, 1.2k, 15k, 1.5M: for axis labels.
std::string ShortCount(double n) {
  if (n >= 1e6) return absl::StrFormat("%gM", std::round(n / 1e5) / 10);
  if (n >= 1e3) return absl::StrFormat("%gk", std::round(n / 1e2) / 10);
  return absl::StrFormat("%g", n);
}

std::string Risk(double risk) { return absl::StrFormat("%.1f", risk); }

std::string Utc(int64_t time_ms, const char* format) {
  return absl::FormatTime(format, absl::FromUnixMillis(time_ms),
                          absl::UTCTimeZone());
}

constexpr char kDateTime[] = "%Y-%m-%d %H:%M:%S";

std::string SpanWords(int64_t ms) {
  if (ms >= 2 * kDayMs) return absl::StrFormat("%.1f days", ms / 864e5);
  if (ms >= 2 * kHourMs) return absl::StrFormat("%.1f hours", ms / 36e5);
  if (ms >= 2 * kMinuteMs) return absl::StrFormat("%d minutes", ms / kMinuteMs);
  return absl::StrFormat("%.1f seconds", ms / 1e3);
}

std::string WidthWords(int64_t width_ms) {
  auto unit = [width_ms](int64_t unit_ms, const char* one, const char* many) {
    const int64_t n = width_ms / unit_ms;
    return n == 1 ? std::string(one) : absl::StrCat(n, " ", many);
  };
  if (width_ms % kWeekMs == 0) return unit(kWeekMs, "week", "weeks");
  if (width_ms % kDayMs == 0) return unit(kDayMs, "day", "days");
  if (width_ms % kHourMs == 0) return unit(kHourMs, "hour", "hours");
  if (width_ms % kMinuteMs == 0) return unit(kMinuteMs, "minute", "min");
  return unit(kSecondMs, "second", "s");
}

const char* SeverityName(int severity) {
  switch (std::clamp(severity, 1, 4)) {
    case 1: return "low";
    case 2: return "medium";
    case 3: return "high";
    default: return "critical";
  }
}

// Colour class of a risk: below the threshold no alert is raised; above
// it, the severity its alert carries (r2 medium, r3 high, r4 critical).
std::string RiskClass(double risk, double threshold) {
  if (risk < threshold || !(risk > 0)) return "r0";
  return absl::StrCat("r", AlertSeverity(risk));
}

std::string ActionWords(int32_t action) {
  return absl::StrReplaceAll(
      RecommendedActionName(static_cast<v1::RecommendedAction>(action)),
      {{"_", " "}});
}

// Gridline step for an axis of four steps up to `max`: 1, 2, 5 x 10^k (and
// 2.5 x 10^k from 25 on), at least max / 4 and at least 1.
double NiceStep(double max) {
  const double v = max / 4;
  if (v <= 1) return 1;
  const double magnitude = std::pow(10, std::floor(std::log10(v)));
  for (double step : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (step == 2.5 && magnitude < 10) continue;
    if (step * magnitude >= v) return step * magnitude;
  }
  return 10 * magnitude;
}

// 1, 2, 5 x 10^k, at least `v`.
double NiceCeil(double v) {
  if (v <= 1) return 1;
  const double magnitude = std::pow(10, std::floor(std::log10(v)));
  for (double step : {1.0, 2.0, 5.0, 10.0}) {
    if (step * magnitude >= v) return step * magnitude;
  }
  return 10 * magnitude;
}

// SVG coordinates, one decimal.
std::string F(double v) { return absl::StrFormat("%.1f", v); }

void Escaped(absl::string_view text, std::string* out) {
  AppendHtmlEscaped(text, out);
}

// Rule names wrap after their '_' rather than anywhere. (Incident ids are
// left whole, so that the page's source can be searched for them.)
void EscapedName(absl::string_view name, std::string* out) {
  size_t start = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '_' && i + 1 < name.size()) {
      AppendHtmlEscaped(name.substr(start, i + 1 - start), out);
      out->append("<wbr>");
      start = i + 1;
    }
  }
  AppendHtmlEscaped(name.substr(start), out);
}

// ----------------------------------------------------------------------------
// Style. System fonts only (nothing to fetch); tabular figures everywhere.

constexpr char kStyle[] = R"css(
:root{--ink:#1c2430;--muted:#667085;--faint:#98a2b3;--line:#e4e7ec;
--row:#f2f4f7;--bg:#f4f5f7;--card:#fff;--navy:#1f3b5a;--events:#9fb6cf;
--r0:#b4c0ce;--r1:#2f9e8f;--r2:#e0a106;--r3:#e8590c;--r4:#c92a2a}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:var(--bg);color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",
"Helvetica Neue",Arial,sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1360px;margin:0 auto;padding:28px 32px 40px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,
"DejaVu Sans Mono","Liberation Mono",monospace;font-size:12.5px}
h1{font-size:25px;line-height:1.2;margin:2px 0 6px;font-weight:650;
letter-spacing:-.01em}
h2{font-size:16px;margin:0;font-weight:650}
.eyebrow{font-size:11.5px;font-weight:700;letter-spacing:.14em;
color:var(--navy);text-transform:uppercase}
.lede{color:var(--muted);margin:0 0 18px}
.lede b{color:var(--ink);font-weight:600}
.cards{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;
padding:12px 16px 13px}
.card .k{font-size:11.5px;color:var(--muted);text-transform:uppercase;
letter-spacing:.07em;font-weight:600}
.card .v{font-size:26px;font-weight:650;letter-spacing:-.01em;margin-top:2px}
.card .s{font-size:12px;color:var(--muted)}
.card.hot{border-top:3px solid var(--r4)}
.meta{display:flex;flex-wrap:wrap;gap:6px 28px;margin:14px 2px 0;
color:var(--muted);font-size:13px}
.meta b{color:var(--ink);font-weight:600;margin-right:6px}
.chip{display:inline-block;background:#eef1f5;border-radius:999px;
padding:0 9px;margin:2px 4px 2px 0;font-size:12.5px;color:var(--ink)}
.chip i{font-style:normal;color:var(--muted);margin-left:4px}
.warn{margin-top:14px;border:1px solid #f1c9c4;background:#fdf3f2;
border-radius:10px;padding:10px 14px;color:#7a271a}
.warn ul{margin:4px 0 0;padding-left:18px}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;
padding:18px 20px 16px;margin-top:18px}
.head{display:flex;align-items:baseline;justify-content:space-between;
gap:16px;margin-bottom:10px}
.note{color:var(--muted);font-size:12.5px}
.legend{display:flex;gap:14px;flex-wrap:wrap;font-size:12.5px;
color:var(--muted)}
.legend span::before{content:"";display:inline-block;width:10px;height:10px;
border-radius:2px;margin-right:5px;vertical-align:-1px;background:var(--c)}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:18px}
.grid2 section{margin-top:18px}
svg{display:block;width:100%;height:auto}
svg text{font-family:inherit;fill:var(--muted);font-size:12px}
svg .axis{stroke:#cfd5dd;stroke-width:1}
svg .gridline{stroke:#edf0f3;stroke-width:1}
svg .day{fill:#f7f8fa}
svg .ev{fill:var(--events)}
svg .hit{fill:transparent}
svg .hit:hover{fill:rgba(31,59,90,.07)}
svg .lbl{fill:var(--ink);font-size:11.5px;font-weight:600}
svg .thr{stroke:var(--r4);stroke-width:1.5;stroke-dasharray:5 4}
svg .thrzone{fill:#fcf0ef}
svg .empty{font-size:14px;fill:var(--faint)}
.f0{fill:var(--r0)}.f1{fill:var(--r1)}.f2{fill:var(--r2)}.f3{fill:var(--r3)}
.f4{fill:var(--r4)}
table{border-collapse:collapse;width:100%}
th{text-align:left;font-size:11px;font-weight:650;color:var(--muted);
text-transform:uppercase;letter-spacing:.05em;padding:7px 8px;
border-bottom:1.5px solid var(--line);white-space:nowrap}
td{padding:7px 8px;border-bottom:1px solid var(--row);vertical-align:top}
td.zero{color:var(--faint)}
tbody tr:hover td{background:#fafbfc}
.n{text-align:right;white-space:nowrap}
.rank{color:var(--faint);width:28px}
.risk{white-space:nowrap;width:116px}
.risk .bar{display:inline-block;width:52px;height:7px;border-radius:4px;
background:#eef1f5;margin-right:8px;vertical-align:1px;overflow:hidden}
.risk .bar i{display:block;height:100%;border-radius:4px}
.risk b{font-weight:650}
.b0{background:var(--r0)}.b1{background:var(--r1)}.b2{background:var(--r2)}
.b3{background:var(--r3)}.b4{background:var(--r4)}
.t0{color:#475467}.t1{color:#475467}.t2{color:#a15c07}.t3{color:#c4320a}
.t4{color:#b42318}
.sev{display:inline-block;min-width:58px;text-align:center;border-radius:999px;
padding:0 7px;font-size:11px;font-weight:650;color:#fff;margin-left:8px;
vertical-align:1px}
.peak{white-space:nowrap;font-weight:650;width:120px}
.rule{font-size:12.5px}
td.mono,.id{overflow-wrap:anywhere}
td.ip,.ip{overflow-wrap:normal;white-space:nowrap}
table.incidents{table-layout:fixed}
.c-peak{width:128px}.c-rule{width:250px}.c-entity{width:170px}
.c-when{width:158px}.c-events{width:66px}.c-act{width:112px}
.sub{display:block;color:var(--muted);font-size:12px}
.sub.id{font-size:11.5px}
.closed{color:var(--faint);font-size:11.5px}
.msg{font-size:12.5px;color:#344054}
.when{white-space:nowrap}
.act{font-weight:600;font-size:12.5px}
.none{color:var(--muted);padding:18px 4px 8px;font-size:13.5px}
.more{color:var(--muted);font-size:12.5px;padding-top:10px}
footer{color:var(--faint);font-size:12px;margin:22px 2px 0;line-height:1.6}
@media screen and (max-width:1000px){.grid2{grid-template-columns:1fr}
.cards{grid-template-columns:repeat(3,minmax(0,1fr))}}
@page{size:A4 landscape;margin:11mm}
@media print{body{background:#fff;font-size:11.5px}main{max-width:none;padding:0}
section,.card{border-color:#d0d5dd;break-inside:avoid}
section.long{break-inside:auto}thead{display:table-header-group}
tr{break-inside:avoid}svg .hit{display:none}tbody tr:hover td{background:none}
th,td{padding:4px 6px}code,.mono{font-size:10.5px}.msg,.rule,.act{font-size:10.5px}
.risk{width:auto}.risk .bar{width:32px;margin-right:5px}.sub.id{font-size:9.5px}
.c-peak{width:112px}.c-rule{width:180px}.c-entity{width:140px}.c-when{width:118px}
.c-events{width:46px}.c-act{width:78px}.card .v{font-size:21px}
th{white-space:normal;font-size:9.5px}.sev{min-width:0;font-size:9.5px;margin-left:5px}
.when,.sub{font-size:10px}.closed{font-size:9.5px}.c-events{width:52px}}
)css";

// ----------------------------------------------------------------------------
// Charts.

constexpr double kChartWidth = 1240;
constexpr double kPlotLeft = 64;
constexpr double kPlotRight = kChartWidth - 14;
constexpr double kPlotWidth = kPlotRight - kPlotLeft;

uint32_t AlertTotal(const Bucket& b) {
  uint32_t total = 0;
  for (uint32_t n : b.alerts_by_severity) total += n;
  return total;
}

std::string BucketTitle(const TimelineBucket& b, int64_t width_ms) {
  const int64_t end = b.start_ms + width_ms;
  std::string text =
      width_ms >= kDayMs
          ? absl::StrCat(Utc(b.start_ms, "%a %d %b %Y"), " – ",
                         Utc(end - 1, "%a %d %b %Y"))
          : absl::StrCat(Utc(b.start_ms, "%a %d %b %Y, %H:%M:%S"), " – ",
                         Utc(end, "%H:%M:%S"));
  absl::StrAppend(&text, " UTC\n", Count(b.counts.events), " events");
  const uint32_t alerts = AlertTotal(b.counts);
  if (alerts > 0) {
    absl::StrAppend(&text, "\n", Count(alerts), alerts == 1 ? " alert" : " alerts", ":");
    const char* sep = " ";
    for (int s = 3; s >= 0; --s) {
      if (b.counts.alerts_by_severity[s] == 0) continue;
      absl::StrAppend(&text, sep, b.counts.alerts_by_severity[s], " ",
                      SeverityName(s + 1));
      sep = ", ";
    }
    if (b.counts.incidents_opened > 0) {
      absl::StrAppend(&text, "\n", b.counts.incidents_opened,
                      b.counts.incidents_opened == 1 ? " incident opened"
                                                     : " incidents opened");
    }
  }
  return text;
}

// Events as bars, alerts below as bars stacked by severity, on one time
// axis in UTC.
void TimelineSvg(const std::vector<TimelineBucket>& buckets, int64_t width_ms,
                 std::string* out) {
  constexpr double kHeight = 330;
  constexpr double kEventsTop = 18, kEventsBottom = 210;
  constexpr double kAlertsTop = 228, kAlertsBottom = 282;
  absl::StrAppend(out, "<svg viewBox=\"0 0 ", kChartWidth, " ", kHeight,
                  "\" role=\"img\" aria-label=\"Events and alerts per ",
                  WidthWords(width_ms), "\">");
  const size_t n = buckets.size();
  if (n == 0) {
    absl::StrAppend(out, "<text class=\"empty\" x=\"", F(kChartWidth / 2),
                    "\" y=\"", F(kHeight / 2),
                    "\" text-anchor=\"middle\">No events were replayed.</text>"
                    "</svg>");
    return;
  }
  const int64_t range_start = buckets.front().start_ms;
  const int64_t range_end = buckets.back().start_ms + width_ms;
  const double slot = kPlotWidth / static_cast<double>(n);
  auto x_of = [&](int64_t t) {
    return kPlotLeft + static_cast<double>(t - range_start) /
                           static_cast<double>(range_end - range_start) *
                           kPlotWidth;
  };
  // Alternate days shaded, when buckets are shorter than a day.
  if (width_ms < kDayMs) {
    int64_t day = report_internal::FloorDiv(range_start, kDayMs) * kDayMs;
    for (; day < range_end; day += kDayMs) {
      if (report_internal::FloorDiv(day, kDayMs) % 2 != 0) continue;
      const double x0 = x_of(std::max(day, range_start));
      const double x1 = x_of(std::min(day + kDayMs, range_end));
      absl::StrAppend(out, "<rect class=\"day\" x=\"", F(x0), "\" y=\"",
                      F(kEventsTop), "\" width=\"", F(x1 - x0), "\" height=\"",
                      F(kAlertsBottom - kEventsTop), "\"/>");
    }
  }
  uint64_t max_events = 0;
  uint32_t max_alerts = 0;
  for (const TimelineBucket& b : buckets) {
    max_events = std::max(max_events, b.counts.events);
    max_alerts = std::max(max_alerts, AlertTotal(b.counts));
  }
  const double events_scale = 4 * NiceStep(static_cast<double>(max_events));
  // Gridlines and labels for events: quarters of the nice maximum.
  for (int q = 0; q <= 4; ++q) {
    const double y = kEventsBottom - (kEventsBottom - kEventsTop) * q / 4.0;
    absl::StrAppend(out, "<line class=\"", q == 0 ? "axis" : "gridline",
                    "\" x1=\"", F(kPlotLeft), "\" x2=\"", F(kPlotRight),
                    "\" y1=\"", F(y), "\" y2=\"", F(y), "\"/>");
    absl::StrAppend(out, "<text x=\"", F(kPlotLeft - 8), "\" y=\"", F(y + 4),
                    "\" text-anchor=\"end\">",
                    ShortCount(events_scale * q / 4.0), "</text>");
  }
  absl::StrAppend(out, "<text x=\"", F(kPlotLeft - 8), "\" y=\"",
                  F(kEventsTop - 6),
                  "\" text-anchor=\"end\" class=\"lbl\">events</text>");
  // Alerts band: its own scale.
  const double alerts_scale = NiceCeil(static_cast<double>(max_alerts));
  absl::StrAppend(out, "<line class=\"axis\" x1=\"", F(kPlotLeft), "\" x2=\"",
                  F(kPlotRight), "\" y1=\"", F(kAlertsBottom), "\" y2=\"",
                  F(kAlertsBottom), "\"/>");
  absl::StrAppend(out, "<line class=\"gridline\" x1=\"", F(kPlotLeft),
                  "\" x2=\"", F(kPlotRight), "\" y1=\"", F(kAlertsTop),
                  "\" y2=\"", F(kAlertsTop), "\"/>");
  if (max_alerts > 0) {
    absl::StrAppend(out, "<text x=\"", F(kPlotLeft - 8), "\" y=\"",
                    F(kAlertsTop + 4), "\" text-anchor=\"end\">",
                    ShortCount(alerts_scale), "</text>");
  }
  absl::StrAppend(out, "<text x=\"", F(kPlotLeft - 8), "\" y=\"",
                  F(kAlertsBottom), "\" text-anchor=\"end\" class=\"lbl\">"
                  "alerts</text>");
  if (max_alerts == 0) {
    absl::StrAppend(out, "<text class=\"empty\" x=\"",
                    F(kPlotLeft + kPlotWidth / 2), "\" y=\"",
                    F((kAlertsTop + kAlertsBottom) / 2 + 5),
                    "\" text-anchor=\"middle\">no alerts</text>");
  }
  // Bars: a gap between them when there is room; few buckets get slimmer
  // bars rather than slabs.
  const double bar = n <= 24 ? slot * 0.6 : slot > 3 ? slot - 1 : slot;
  const double inset = (slot - bar) / 2;
  for (size_t i = 0; i < n; ++i) {
    const TimelineBucket& b = buckets[i];
    const double x = kPlotLeft + slot * i + inset;
    if (b.counts.events > 0) {
      const double h = (kEventsBottom - kEventsTop) *
                       static_cast<double>(b.counts.events) / events_scale;
      absl::StrAppend(out, "<rect class=\"ev\" x=\"", F(x), "\" y=\"",
                      F(kEventsBottom - h), "\" width=\"", F(bar),
                      "\" height=\"", F(h), "\"/>");
    }
    double y = kAlertsBottom;
    for (int s = 0; s < 4; ++s) {
      const uint32_t count = b.counts.alerts_by_severity[s];
      if (count == 0) continue;
      // At least 2 px, so that a single alert in a busy run stays visible.
      const double h = std::max(
          2.0, (kAlertsBottom - kAlertsTop) * count / alerts_scale);
      y -= h;
      absl::StrAppend(out, "<rect class=\"f", s + 1, "\" x=\"", F(x),
                      "\" y=\"", F(y), "\" width=\"", F(bar), "\" height=\"",
                      F(h), "\"/>");
    }
    // The whole column answers hover with its numbers.
    absl::StrAppend(out, "<rect class=\"hit\" x=\"", F(kPlotLeft + slot * i),
                    "\" y=\"", F(kEventsTop), "\" width=\"", F(slot),
                    "\" height=\"", F(kAlertsBottom - kEventsTop),
                    "\"><title>");
    Escaped(BucketTitle(b, width_ms), out);
    absl::StrAppend(out, "</title></rect>");
  }
  // Time axis: at most a dozen ticks on boundaries of a coarser bucket
  // width.
  int64_t tick = width_ms;
  while ((range_end - range_start) / tick > 12) tick = NextBucketWidth(tick);
  const bool with_seconds = tick < kMinuteMs;
  int64_t t = kBucketOriginMs +
              report_internal::FloorDiv(range_start - kBucketOriginMs, tick) *
                  tick;
  if (t < range_start) t += tick;
  std::string previous_date;
  for (; t <= range_end; t += tick) {
    const double x = x_of(t);
    absl::StrAppend(out, "<line class=\"axis\" x1=\"", F(x), "\" x2=\"", F(x),
                    "\" y1=\"", F(kAlertsBottom), "\" y2=\"",
                    F(kAlertsBottom + 5), "\"/>");
    const std::string date = Utc(t, tick >= kDayMs ? "%Y" : "%a %d %b");
    const std::string main =
        tick >= kDayMs ? Utc(t, "%a %d %b")
                       : Utc(t, with_seconds ? "%H:%M:%S" : "%H:%M");
    const char* anchor = x > kPlotRight - 30 ? "end" : x < kPlotLeft + 30 ? "start" : "middle";
    absl::StrAppend(out, "<text x=\"", F(x), "\" y=\"", F(kAlertsBottom + 19),
                    "\" text-anchor=\"", anchor, "\" class=\"lbl\">", main,
                    "</text>");
    if (date != previous_date) {
      absl::StrAppend(out, "<text x=\"", F(x), "\" y=\"",
                      F(kAlertsBottom + 34), "\" text-anchor=\"", anchor,
                      "\">", date, "</text>");
      previous_date = date;
    }
  }
  absl::StrAppend(out, "</svg>");
}

// Histogram of peak risks in 20 bins of 5, on a log scale with every count
// written above its bar, and the alert threshold marked.
void HistogramSvg(const std::array<uint64_t, ReplayReport::kRiskBins>& bins,
                  double threshold, std::string* out) {
  constexpr double kHeight = 270;
  constexpr double kTop = 34, kBottom = 226;
  absl::StrAppend(out, "<svg viewBox=\"0 0 ", kChartWidth, " ", kHeight,
                  "\" role=\"img\" aria-label=\"Accounts by peak risk\">");
  uint64_t max_count = 0;
  for (uint64_t c : bins) max_count = std::max(max_count, c);
  const double log_max = std::log10(NiceCeil(static_cast<double>(max_count)) + 1);
  auto y_of = [&](double count) {
    return kBottom - (kBottom - kTop) * std::log10(count + 1) / log_max;
  };
  auto x_of = [](double risk) { return kPlotLeft + kPlotWidth * risk / 100; };
  const double thr_x = x_of(std::clamp(threshold, 0.0, 100.0));
  absl::StrAppend(out, "<rect class=\"thrzone\" x=\"", F(thr_x), "\" y=\"",
                  F(kTop), "\" width=\"", F(kPlotRight - thr_x), "\" height=\"",
                  F(kBottom - kTop), "\"/>");
  // Gridlines at 1, 10, 100, ...
  for (double v = 1; v <= NiceCeil(static_cast<double>(max_count)); v *= 10) {
    const double y = y_of(v);
    absl::StrAppend(out, "<line class=\"gridline\" x1=\"", F(kPlotLeft),
                    "\" x2=\"", F(kPlotRight), "\" y1=\"", F(y), "\" y2=\"",
                    F(y), "\"/><text x=\"", F(kPlotLeft - 8), "\" y=\"",
                    F(y + 4), "\" text-anchor=\"end\">", ShortCount(v),
                    "</text>");
  }
  absl::StrAppend(out, "<text x=\"", F(kPlotLeft - 8), "\" y=\"", F(kTop - 14),
                  "\" text-anchor=\"end\" class=\"lbl\">accounts</text>");
  const double slot = kPlotWidth / ReplayReport::kRiskBins;
  for (int i = 0; i < ReplayReport::kRiskBins; ++i) {
    const double low = 5.0 * i;
    const double x = kPlotLeft + slot * i + 3;
    if (bins[i] > 0) {
      const double y = y_of(static_cast<double>(bins[i]));
      const std::string cls = RiskClass(low, threshold);
      absl::StrAppend(out, "<rect class=\"f", cls.substr(1), "\" x=\"", F(x),
                      "\" y=\"", F(y), "\" width=\"", F(slot - 6),
                      "\" height=\"", F(kBottom - y), "\" rx=\"2\"><title>",
                      Count(bins[i]), " accounts with a peak risk in [",
                      low, ", ", low + 5, i == ReplayReport::kRiskBins - 1 ? "]" : ")",
                      "</title></rect>");
      absl::StrAppend(out, "<text x=\"", F(x + (slot - 6) / 2), "\" y=\"",
                      F(y - 5), "\" text-anchor=\"middle\" class=\"lbl\">",
                      Count(bins[i]), "</text>");
    }
  }
  absl::StrAppend(out, "<line class=\"axis\" x1=\"", F(kPlotLeft), "\" x2=\"",
                  F(kPlotRight), "\" y1=\"", F(kBottom), "\" y2=\"",
                  F(kBottom), "\"/>");
  for (int risk = 0; risk <= 100; risk += 10) {
    const double x = x_of(risk);
    absl::StrAppend(out, "<line class=\"axis\" x1=\"", F(x), "\" x2=\"", F(x),
                    "\" y1=\"", F(kBottom), "\" y2=\"", F(kBottom + 5),
                    "\"/><text x=\"", F(x), "\" y=\"", F(kBottom + 19),
                    "\" text-anchor=\"middle\">", risk, "</text>");
  }
  absl::StrAppend(out, "<text x=\"", F(kPlotLeft + kPlotWidth / 2), "\" y=\"",
                  F(kBottom + 38),
                  "\" text-anchor=\"middle\">peak fused risk over the run"
                  "</text>");
  absl::StrAppend(out, "<line class=\"thr\" x1=\"", F(thr_x), "\" x2=\"",
                  F(thr_x), "\" y1=\"", F(kTop - 12), "\" y2=\"", F(kBottom),
                  "\"/><text x=\"", F(thr_x + 6), "\" y=\"", F(kTop - 2),
                  "\" class=\"lbl\" style=\"fill:var(--r4)\">alert threshold ",
                  absl::StrFormat("%g", threshold), "</text>");
  absl::StrAppend(out, "</svg>");
}

// ----------------------------------------------------------------------------
// Tables.

void RiskCell(double risk, double threshold, std::string* out) {
  const std::string cls = RiskClass(risk, threshold);
  absl::StrAppend(out, "<td class=\"risk\"><span class=\"bar\"><i class=\"b",
                  cls.substr(1), "\" style=\"width:",
                  F(std::clamp(risk, 0.0, 100.0)), "%\"></i></span><b class=\"t",
                  cls.substr(1), "\">", Risk(risk), "</b></td>");
}

// A count, right-aligned; zero faint, negative (unknown) as a dash.
void NumberCell(int64_t n, std::string* out) {
  if (n <= 0) {
    absl::StrAppend(out, "<td class=\"n zero\">", n < 0 ? "–" : "0", "</td>");
  } else {
    absl::StrAppend(out, "<td class=\"n\">", Count(n), "</td>");
  }
}

// A row of the riskiest-accounts or riskiest-addresses table.
struct TopRow {
  std::string name;  // Account or address.
  double peak_risk = 0;
  int64_t alerts = 0;
  int64_t incidents = 0;
  // Accounts: events, -1 when unknown (an alerted account no longer held).
  int64_t events = -1;
  std::string rule;  // Addresses: the rule of the alert at the peak.
};

bool RanksBefore(const TopRow& a, const TopRow& b) {
  if (a.peak_risk != b.peak_risk) return a.peak_risk > b.peak_risk;
  if (a.alerts != b.alerts) return a.alerts > b.alerts;
  if (a.events != b.events) return a.events > b.events;
  return a.name < b.name;
}

// Keeps the `k` best of what is offered (a heap whose front is the worst
// kept), then hands them back best first.
class TopRows {
 public:
  explicit TopRows(size_t k) : k_(k) {}
  void Offer(TopRow row) {
    if (kept_.size() == k_ && !RanksBefore(row, kept_.front())) return;
    kept_.push_back(std::move(row));
    std::push_heap(kept_.begin(), kept_.end(), RanksBefore);
    if (kept_.size() > k_) {
      std::pop_heap(kept_.begin(), kept_.end(), RanksBefore);
      kept_.pop_back();
    }
  }
  std::vector<TopRow> Take() {
    std::sort(kept_.begin(), kept_.end(), RanksBefore);
    return std::move(kept_);
  }

 private:
  size_t k_;
  std::vector<TopRow> kept_;
};

// One of the two top tables, in its section. Accounts end with their
// events, addresses with the rule at their peak.
void TopTableSection(const char* title, const std::string& note,
                     const char* empty, bool addresses,
                     const std::vector<TopRow>& rows, double threshold,
                     std::string* out) {
  absl::StrAppend(out, "<section>\n<div class=\"head\"><h2>", title,
                  "</h2><div class=\"note\">", note, "</div></div>\n");
  if (rows.empty()) {
    absl::StrAppend(out, "<div class=\"none\">", empty, "</div>\n</section>\n");
    return;
  }
  absl::StrAppend(out, "<table><thead><tr><th class=\"rank\">#</th><th>",
                  addresses ? "Address" : "Account",
                  "</th><th>Peak risk</th><th class=\"n\">Alerts</th>"
                  "<th class=\"n\">Incidents</th>",
                  addresses ? "<th>Rule at peak</th>" : "<th class=\"n\">Events</th>",
                  "</tr></thead><tbody>\n");
  for (size_t i = 0; i < rows.size(); ++i) {
    const TopRow& row = rows[i];
    absl::StrAppend(out, "<tr><td class=\"rank\">", i + 1, "</td><td class=\"",
                    addresses ? "mono ip" : "mono", "\">");
    if (row.name.empty()) {
      out->append("<span class=\"closed\">(unnamed)</span>");
    } else {
      Escaped(row.name, out);
    }
    out->append("</td>");
    RiskCell(row.peak_risk, threshold, out);
    NumberCell(row.alerts, out);
    NumberCell(row.incidents, out);
    if (addresses) {
      out->append("<td class=\"rule\">");
      EscapedName(row.rule, out);
      out->append("</td>");
    } else {
      NumberCell(row.events, out);
    }
    out->append("</tr>\n");
  }
  out->append("</tbody></table>\n</section>\n");
}

}  // namespace

std::string ReplayReport::RenderHtml(const ReportContext& context) const {
  const bool scored = context.mode != "baseline";
  // The rules baseline has no risk threshold: any risk it gives is an
  // alert's, coloured by severity.
  const double threshold = scored ? context.alert_threshold : 0;
  auto name_of = [&context](uint32_t id) {
    return context.account_name ? context.account_name(id) : std::string();
  };

  // Accounts: every live id, the retired riskiest, and alerted accounts
  // known only from their alerts.
  const std::array<uint64_t, kRiskBins> histogram = RiskHistogram();
  uint64_t accounts = retired_accounts_;
  uint64_t at_threshold = 0;
  for (int bin = 0; bin < kRiskBins; ++bin) {
    if (5.0 * bin >= threshold) at_threshold += retired_histogram_[bin];
  }
  double highest_risk = 0;
  const size_t top_entities = static_cast<size_t>(options_.top_entities);
  TopRows top(top_entities);
  absl::flat_hash_set<std::string> matched;  // Alerted names already offered.
  auto offer = [&](std::string name, double peak, int64_t events) {
    TopRow line;
    line.peak_risk = peak;
    line.events = events;
    auto alerted = alerted_accounts_.find(name);
    if (alerted != alerted_accounts_.end()) {
      line.peak_risk = std::max(line.peak_risk, alerted->second.peak_risk);
      line.alerts = alerted->second.alerts;
      line.incidents = alerted->second.incidents;
      matched.insert(name);
    }
    line.name = std::move(name);
    if (line.peak_risk > 0 || line.alerts > 0) top.Offer(std::move(line));
  };
  for (uint32_t id = 0; id < accounts_.size(); ++id) {
    const AccountActivity& a = accounts_[id];
    if (a.events == 0) continue;
    ++accounts;
    if (a.peak_risk >= threshold) ++at_threshold;
    highest_risk = std::max<double>(highest_risk, a.peak_risk);
    // Names are needed to rank an account that is a candidate itself or
    // could carry alerts.
    if (a.peak_risk > 0 || !alerted_accounts_.empty()) {
      offer(name_of(id), a.peak_risk, a.events);
    }
  }
  for (const RetiredAccount& r : retired_top_) {
    highest_risk = std::max<double>(highest_risk, r.peak_risk);
    offer(r.name, r.peak_risk, r.events);
  }
  for (const auto& [name, alerted] : alerted_accounts_) {
    highest_risk = std::max(highest_risk, alerted.peak_risk);
    if (!matched.contains(name)) offer(name, 0, -1);
  }
  for (const auto& [ip, alerted] : alerted_addresses_) {
    highest_risk = std::max(highest_risk, alerted.peak_risk);
  }
  const std::vector<TopRow> top_accounts = top.Take();

  TopRows top_addresses(top_entities);
  for (const auto& [ip, alerted] : alerted_addresses_) {
    top_addresses.Offer(TopRow{ip, alerted.peak_risk, alerted.alerts,
                               alerted.incidents, -1, alerted.peak_rule});
  }

  std::vector<const IncidentRow*> incidents;
  for (const auto& [id, row] : incidents_by_id_) incidents.push_back(&row);
  std::sort(incidents.begin(), incidents.end(),
            [](const IncidentRow* a, const IncidentRow* b) {
              return IncidentRank{a->peak_risk, a->first_seen_ms, a->id} <
                     IncidentRank{b->peak_risk, b->first_seen_ms, b->id};
            });
  if (incidents.size() > static_cast<size_t>(options_.max_incidents)) {
    incidents.resize(options_.max_incidents);
  }

  const std::vector<TimelineBucket> timeline = Timeline();

  // --------------------------------------------------------------------------
  std::string out;
  out.reserve(64 * 1024 + incidents.size() * 900);
  out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
             "<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, "
             "initial-scale=1\">\n"
             "<meta name=\"generator\" content=\"vigie replay\">\n<title>");
  const bool have_events = events_ > 0;
  const std::string first_day = have_events ? Utc(first_event_ms_, "%Y-%m-%d") : "";
  const std::string last_day = have_events ? Utc(last_event_ms_, "%Y-%m-%d") : "";
  const std::string days =
      !have_events ? "no events"
      : first_day == last_day ? first_day
                              : absl::StrCat(first_day, " to ", last_day);
  absl::StrAppend(&out, "Vigie replay report · ", days, "</title>\n<style>",
                  kStyle, "</style>\n</head>\n<body>\n<main>\n");

  // Header and summary.
  absl::StrAppend(&out, "<header>\n<div class=\"eyebrow\">Vigie · replay "
                  "report</div>\n<h1>Access anomalies, ", days, "</h1>\n");
  out.append("<p class=\"lede\">");
  if (have_events) {
    absl::StrAppend(&out, "Event time <b>", Utc(first_event_ms_, kDateTime),
                    "</b> to <b>", Utc(last_event_ms_, kDateTime),
                    "</b> UTC (", SpanWords(last_event_ms_ - first_event_ms_),
                    ")");
  } else {
    out.append("No event was replayed");
  }
  absl::StrAppend(&out, " · detection <b>",
                  scored ? "Vigie engine" : "rules baseline", "</b>");
  if (scored) {
    absl::StrAppend(&out, " · alert threshold <b>",
                    absl::StrFormat("%g", threshold), "</b>");
  }
  out.append("</p>\n");
  out.append("<div class=\"cards\">\n");
  auto card = [&out](const char* key, const std::string& value,
                     const std::string& sub, bool hot) {
    absl::StrAppend(&out, "<div class=\"card", hot ? " hot" : "",
                    "\"><div class=\"k\">", key, "</div><div class=\"v\">",
                    value, "</div><div class=\"s\">", sub, "</div></div>\n");
  };
  card("Events", Count(events_),
       have_events && last_event_ms_ > first_event_ms_
           ? absl::StrFormat("%s per hour", Count(static_cast<int64_t>(
                 events_ * 36e5 / (last_event_ms_ - first_event_ms_))))
           : "accepted records",
       false);
  card("Accounts", Count(accounts),
       scored ? absl::StrCat(Count(at_threshold), " at or above ",
                             absl::StrFormat("%g", threshold))
              : "seen in the events",
       false);
  card("Rejected", Count(context.rejected),
       context.rejected == 0
           ? "records: none"
           : absl::StrFormat("%.2f%% of records",
                             100.0 * context.rejected /
                                 (context.rejected + events_)),
       false);
  card("Alerts", Count(alerts_), "incident updates", false);
  card("Incidents", Count(incidents_), "opened", incidents_ > 0);
  {
    const std::string cls = RiskClass(highest_risk, threshold);
    card("Highest risk",
         absl::StrCat("<span class=\"t", cls.substr(1), "\">",
                      Risk(highest_risk), "</span>"),
         !(highest_risk > 0)       ? "nothing scored"
         : highest_risk < threshold ? "below the threshold"
                                    : absl::StrCat(SeverityName(cls[1] - '0'),
                                                   " severity"),
         false);
  }
  out.append("</div>\n<div class=\"meta\"><div><b>Input");
  if (context.inputs.size() != 1) out.append("s");
  out.append("</b>");
  for (size_t i = 0; i < context.inputs.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append("<code>");
    Escaped(context.inputs[i], &out);
    out.append("</code>");
  }
  out.append("</div>");
  if (!alerts_by_rule_.empty()) {
    out.append("<div><b>Alerts by rule</b>");
    for (const auto& [rule, count] : alerts_by_rule_) {
      out.append("<span class=\"chip\">");
      Escaped(rule, &out);
      absl::StrAppend(&out, "<i>", Count(count), "</i></span>");
    }
    out.append("</div>");
  }
  if (!context.rejected_by_reason.empty()) {
    out.append("<div><b>Rejected by reason</b>");
    for (const auto& [reason, count] : context.rejected_by_reason) {
      out.append("<span class=\"chip\">");
      Escaped(reason, &out);
      absl::StrAppend(&out, "<i>", Count(count), "</i></span>");
    }
    out.append("</div>");
  }
  out.append("</div>\n");
  if (!context.inputs_cut_short.empty() || context.late_events > 0) {
    out.append("<div class=\"warn\"><b>Read this report with care.</b><ul>");
    for (const std::string& cut : context.inputs_cut_short) {
      out.append("<li>Input cut short (what followed was not replayed): ");
      Escaped(cut, &out);
      out.append("</li>");
    }
    if (context.late_events > 0) {
      absl::StrAppend(&out, "<li>", Count(context.late_events),
                      " events arrived more than 5 s after a later event "
                      "(out of order): windows did not count them.</li>");
    }
    out.append("</ul></div>\n");
  }
  out.append("</header>\n");

  // Timeline.
  absl::StrAppend(
      &out,
      "<section>\n<div class=\"head\"><h2>Events and alerts over time</h2>"
      "<div class=\"legend\"><span style=\"--c:var(--events)\">events per ",
      WidthWords(width_ms_),
      "</span><span style=\"--c:var(--r4)\">critical</span>"
      "<span style=\"--c:var(--r3)\">high</span>"
      "<span style=\"--c:var(--r2)\">medium</span>"
      "<span style=\"--c:var(--r1)\">low</span></div></div>\n");
  TimelineSvg(timeline, width_ms_, &out);
  absl::StrAppend(&out, "<div class=\"note\">", bucket_count(),
                  bucket_count() == 1 ? " bucket of " : " buckets of ",
                  absl::StrContains(WidthWords(width_ms_), ' ') ? "" : "1 ",
                  WidthWords(width_ms_),
                  ", UTC (alternate days shaded). Alerts are incident updates "
                  "(opened, stepped up, closed) by severity, on their own "
                  "scale. Hover a column for its numbers.</div>\n</section>\n");

  // Top accounts and addresses.
  out.append("<div class=\"grid2\">\n");
  TopTableSection("Riskiest accounts",
                  absl::StrCat("top ", top_entities, " by peak risk"),
                  "No account scored any risk.", /*addresses=*/false,
                  top_accounts, threshold, &out);
  TopTableSection("Riskiest addresses",
                  absl::StrCat("top ", top_entities, " named by alerts"),
                  "No alert named a source address.", /*addresses=*/true,
                  top_addresses.Take(), threshold, &out);
  out.append("</div>\n");

  // Risk distribution.
  out.append("<section>\n<div class=\"head\"><h2>Risk distribution</h2>");
  if (scored && accounts > 0) {
    absl::StrAppend(&out, "<div class=\"note\">every account's peak fused "
                    "risk over the run, bins of 5, log scale</div></div>\n");
    HistogramSvg(histogram, threshold, &out);
    absl::StrAppend(
        &out, "<div class=\"note\">", Count(accounts), " accounts; ",
        Count(at_threshold), " reached the alert threshold (",
        absl::StrFormat("%g", threshold),
        "). Counts are written above the bars: the scale is logarithmic so "
        "that the few risky accounts stay visible next to the many quiet "
        "ones.</div>\n");
  } else if (!scored) {
    out.append("</div>\n<div class=\"none\">The rules baseline raises alerts "
               "from fixed thresholds and scores no event, so there is no "
               "risk distribution; replay with <code>--mode vigie</code> for "
               "one.</div>\n");
  } else {
    out.append("</div>\n<div class=\"none\">No account was seen.</div>\n");
  }
  out.append("</section>\n");

  // Incidents.
  out.append("<section class=\"long\">\n<div class=\"head\"><h2>Incidents"
             "</h2><div class=\"note\">riskiest first; event times in UTC"
             "</div></div>\n");
  if (incidents.empty() && !scored) {
    out.append("<div class=\"none\">No incident: no rule fired during the "
               "run.</div>\n");
  } else if (incidents.empty()) {
    absl::StrAppend(&out, "<div class=\"none\">No incident: no account or "
                    "address reached the alert threshold (",
                    absl::StrFormat("%g", threshold),
                    ") during the run.</div>\n");
  } else {
    out.append("<table class=\"incidents\"><colgroup><col class=\"c-peak\">"
               "<col class=\"c-rule\"><col class=\"c-entity\">"
               "<col class=\"c-when\"><col class=\"c-events\">"
               "<col class=\"c-act\"><col></colgroup>"
               "<thead><tr><th>Peak risk</th>"
               "<th>Rule · incident</th><th>Account · address</th>"
               "<th>Opened → last seen</th><th class=\"n\">Events</th>"
               "<th>Action</th><th>Explanation at the peak</th></tr></thead>"
               "<tbody>\n");
    for (const IncidentRow* row : incidents) {
      const std::string cls = RiskClass(row->peak_risk, threshold);
      absl::StrAppend(&out, "<tr><td class=\"peak t", cls.substr(1), "\">",
                      Risk(row->peak_risk), "<span class=\"sev b",
                      std::clamp(row->severity, 1, 4), "\">",
                      SeverityName(row->severity),
                      "</span></td><td class=\"rule\">");
      EscapedName(row->rule, &out);
      out.append("<span class=\"sub mono id\">");
      Escaped(row->id, &out);
      absl::StrAppend(&out, row->closed ? " <span class=\"closed\">closed</span>"
                                        : "",
                      "</span></td><td class=\"mono\">");
      if (!row->account.empty()) Escaped(row->account, &out);
      if (!row->source_ip.empty()) {
        out.append(row->account.empty() ? "<span class=\"ip\">"
                                        : "<span class=\"sub ip\">");
        Escaped(row->source_ip, &out);
        out.append("</span>");
      }
      const std::string opened = Utc(row->first_seen_ms, kDateTime);
      const bool same_day = Utc(row->first_seen_ms, "%Y-%m-%d") ==
                            Utc(row->last_seen_ms, "%Y-%m-%d");
      absl::StrAppend(
          &out, "</td><td class=\"when\">", opened, "<span class=\"sub\">→ ",
          Utc(row->last_seen_ms, same_day ? "%H:%M:%S" : kDateTime),
          "</span></td><td class=\"n\">", Count(row->event_count),
          "</td><td class=\"act\">", ActionWords(row->action),
          "</td><td class=\"msg\">");
      Escaped(row->message, &out);
      out.append("</td></tr>\n");
    }
    out.append("</tbody></table>\n");
    if (incidents_ > incidents.size()) {
      absl::StrAppend(&out, "<div class=\"more\">", Count(incidents_ - incidents.size()),
                      " more incidents not shown: the table keeps the ",
                      Count(options_.max_incidents), " riskiest.</div>\n");
    }
  }
  out.append("</section>\n");

  absl::StrAppend(
      &out,
      "<footer>Generated by <b>vigie replay</b> from the access logs named "
      "above; every time is an event time in UTC, never the clock of the "
      "replay, so the same logs give the same report. Subjects (NIRs) never "
      "reach alerts, so they cannot appear here. Bounds: the chart merges "
      "buckets to keep at most ",
      options_.time_buckets, "; the account and address tables show the ",
      options_.top_entities, " riskiest; the incident table the ",
      Count(options_.max_incidents), " riskiest.</footer>\n");
  out.append("</main>\n</body>\n</html>\n");
  return out;
}

}  // namespace vigie
