// ReplayReport: time buckets and their merging, the top tables, the risk
// histogram, the bounded incident table, escaping of data, a page that
// fetches nothing and nests its tags, and the state codec.
#include "tools/replay_report.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/alert.pb.h"
#include "tools/replay_report_internal.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Monday 2022-03-07T00:00:00Z.
constexpr int64_t kMonday = 1646611200000;
constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

// An incident update; tests change what else they need with the setters.
v1::Alert MakeAlert(const std::string& id, const std::string& account,
                    const std::string& ip, double risk, int64_t time_ms,
                    v1::IncidentState state = v1::INCIDENT_OPENED) {
  v1::Alert alert;
  alert.set_incident_id(id);
  alert.set_incident_state(state);
  alert.set_rule_name("lookup_enumeration");
  alert.set_account(account);
  alert.set_source_ip(ip);
  alert.set_risk_score(risk);
  alert.set_severity(risk >= 90 ? 4 : risk >= 75 ? 3 : 2);
  alert.set_time_ms(time_ms);
  alert.set_first_seen_ms(time_ms);
  alert.set_last_seen_ms(time_ms);
  alert.set_event_count(1);
  alert.set_message("looked up many people");
  alert.set_recommended_action(v1::FORCE_PASSWORD_RESET);
  return alert;
}

std::vector<std::string> Names(int n) {
  std::vector<std::string> names(n + 1);
  for (int i = 1; i <= n; ++i) names[i] = absl::StrCat("account-", 1000 + i);
  return names;
}

ReportContext ContextFor(const std::vector<std::string>* names) {
  ReportContext context;
  context.inputs = {"events.csv"};
  context.account_name = [names](uint32_t id) {
    return id < names->size() ? (*names)[id] : std::string();
  };
  return context;
}

uint64_t TotalEvents(const ReplayReport& report) {
  uint64_t total = 0;
  for (const auto& bucket : report.Timeline()) total += bucket.counts.events;
  return total;
}

size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

// Every non-void element is closed, in nesting order. Returns the first
// problem, or "" when the tags nest.
std::string TagNestingProblem(std::string html) {
  // Style sheets are text, not tags.
  const size_t style = html.find("<style>");
  const size_t style_end = html.find("</style>");
  if (style != std::string::npos && style_end != std::string::npos) {
    html.erase(style + 7, style_end - style - 7);
  }
  static const std::regex kTag("<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>");
  static const char* kVoid[] = {"meta", "br", "wbr", "col",
                                "hr",   "img", "input", "link"};
  std::vector<std::string> open;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), kTag);
       it != std::sregex_iterator(); ++it) {
    const std::string name = (*it)[2];
    if ((*it)[3] == "/") continue;  // Self-closing (SVG).
    if (std::find(std::begin(kVoid), std::end(kVoid), name) !=
        std::end(kVoid)) {
      continue;
    }
    if ((*it)[1] == "/") {
      if (open.empty() || open.back() != name) {
        return absl::StrCat("</", name, "> closes <",
                            open.empty() ? "nothing" : open.back(), ">");
      }
      open.pop_back();
    } else {
      open.push_back(name);
    }
  }
  return open.empty() ? "" : absl::StrCat("<", open.back(), "> never closed");
}

// A small run: five accounts over a day, two incidents.
ReplayReport SmallRun() {
  ReplayReport report;
  for (int i = 0; i < 500; ++i) {
    report.AddEvent(kMonday + i * 3 * kMinute, 1 + i % 5,
                    static_cast<float>(i % 5 * 20));
  }
  report.AddAlert(MakeAlert("lookup_enumeration-000001", "account-1005",
                            "203.0.113.7", 80, kMonday + 2 * kHour));
  v1::Alert address = MakeAlert("credential_attack-000002", "",
                                "198.51.100.9", 95, kMonday + 5 * kHour);
  address.set_rule_name("credential_attack");
  report.AddAlert(address);
  return report;
}

TEST(ReplayReport, StartsWithSecondsAndMergesBucketsWhenTheSpanGrows) {
  ReplayReport report;
  report.AddEvent(kMonday, 1, 0);
  report.AddEvent(kMonday + 10 * 1000, 1, 0);
  EXPECT_EQ(report.bucket_width_ms(), 1000);
  EXPECT_EQ(report.bucket_count(), 11);
  // An hour does not fit 200 one-second (or 5 s, 15 s) buckets: 30 s ones.
  report.AddEvent(kMonday + kHour - 1, 1, 0);
  EXPECT_EQ(report.bucket_width_ms(), 30 * 1000);
  EXPECT_EQ(report.bucket_count(), 120);
  // Two days: 15 min (192 buckets).
  for (int64_t t = kMonday; t < kMonday + 2 * kDay; t += kMinute) {
    report.AddEvent(t, 2, 0);
  }
  EXPECT_EQ(report.bucket_width_ms(), 15 * kMinute);
  EXPECT_EQ(report.bucket_count(), 192);
  EXPECT_EQ(TotalEvents(report), report.events());
  const auto timeline = report.Timeline();
  EXPECT_EQ(timeline.front().start_ms, kMonday);  // Aligned in UTC.
  EXPECT_EQ(timeline[0].counts.events, 15u + 2u);  // Minutes + 00:00, 00:10.
  EXPECT_EQ(timeline[1].counts.events, 15u);
  EXPECT_EQ(timeline[3].counts.events, 16u);  // With the one at 00:59:59.
}

TEST(ReplayReport, KeepsTheBucketsBoundedOverAYear) {
  ReplayReport report;
  for (int64_t t = kMonday; t < kMonday + 365 * kDay; t += 7 * kHour) {
    report.AddEvent(t, 1, 0);
  }
  EXPECT_LE(report.bucket_count(), ReportOptions().time_buckets);
  EXPECT_EQ(report.bucket_width_ms(), 7 * kDay);
  // Weekly buckets start on Mondays.
  EXPECT_EQ(report.Timeline().front().start_ms, kMonday);
  EXPECT_EQ(TotalEvents(report), report.events());
}

TEST(ReplayReport, BucketsDoNotDependOnTheOrderOfTheEvents) {
  std::vector<int64_t> times;
  std::mt19937_64 random(7);
  for (int i = 0; i < 5000; ++i) {
    times.push_back(kMonday + static_cast<int64_t>(random() % (3 * kDay)));
  }
  ReplayReport shuffled;
  for (int64_t t : times) shuffled.AddEvent(t, 1, 0);
  std::sort(times.begin(), times.end());
  ReplayReport sorted;
  for (int64_t t : times) sorted.AddEvent(t, 1, 0);
  ASSERT_EQ(shuffled.bucket_width_ms(), sorted.bucket_width_ms());
  const auto a = shuffled.Timeline();
  const auto b = sorted.Timeline();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].start_ms, b[i].start_ms);
    EXPECT_EQ(a[i].counts.events, b[i].counts.events) << i;
  }
  std::vector<std::string> names = Names(1);
  EXPECT_EQ(shuffled.RenderHtml(ContextFor(&names)),
            sorted.RenderHtml(ContextFor(&names)));
}

TEST(ReplayReport, AnEarlierEventShiftsTheBuckets) {
  ReplayReport report;
  report.AddEvent(kMonday + 100 * 1000, 1, 0);
  report.AddEvent(kMonday + 150 * 1000, 1, 0);
  report.AddEvent(kMonday + 20 * 1000, 1, 0);  // Out of order.
  EXPECT_EQ(report.bucket_width_ms(), 1000);
  const auto timeline = report.Timeline();
  ASSERT_EQ(timeline.size(), 131u);
  EXPECT_EQ(timeline.front().start_ms, kMonday + 20 * 1000);
  EXPECT_EQ(timeline.front().counts.events, 1u);
  EXPECT_EQ(timeline[80].counts.events, 1u);
  EXPECT_EQ(timeline.back().counts.events, 1u);
}

TEST(ReplayReport, CountsAlertsInTheirBucketBySeverity) {
  ReplayReport report = SmallRun();
  uint32_t high = 0, critical = 0, opened = 0;
  for (const auto& bucket : report.Timeline()) {
    high += bucket.counts.alerts_by_severity[2];
    critical += bucket.counts.alerts_by_severity[3];
    opened += bucket.counts.incidents_opened;
  }
  EXPECT_EQ(high, 1u);
  EXPECT_EQ(critical, 1u);
  EXPECT_EQ(opened, 2u);
}

TEST(ReplayReport, RiskiestAccountsAreTheTopTwentyByPeakRisk) {
  ReplayReport report;
  std::vector<std::string> names = Names(100);
  for (uint32_t id = 1; id <= 100; ++id) {
    // A low risk first, then the peak: the table shows the peak.
    report.AddEvent(kMonday, id, 1);
    report.AddEvent(kMonday + id * 1000, id, static_cast<float>(id) * 0.9f);
  }
  const std::string html = report.RenderHtml(ContextFor(&names));
  for (int id = 81; id <= 100; ++id) {
    EXPECT_THAT(html, HasSubstr(absl::StrCat(">account-", 1000 + id, "<")));
  }
  EXPECT_THAT(html, Not(HasSubstr(">account-1080<")));
  EXPECT_THAT(html, HasSubstr(">90.0<"));  // account-1100's peak.
  // Riskiest first.
  EXPECT_LT(html.find(">account-1100<"), html.find(">account-1099<"));
  EXPECT_LT(html.find(">account-1099<"), html.find(">account-1081<"));
}

TEST(ReplayReport, RiskiestAddressesComeFromAlertsThatNameOne) {
  ReplayReport report = SmallRun();
  for (int i = 0; i < 30; ++i) {
    v1::Alert alert =
        MakeAlert(absl::StrCat("credential_attack-1", i), "",
                  absl::StrCat("192.0.2.", i), 60.0 + i, kMonday + i * kMinute);
    alert.set_rule_name("credential_attack");
    report.AddAlert(alert);
  }
  std::vector<std::string> names = Names(5);
  const std::string html = report.RenderHtml(ContextFor(&names));
  const size_t table = html.find("Riskiest addresses");
  const size_t end = html.find("Risk distribution");
  ASSERT_NE(table, std::string::npos);
  const std::string addresses = html.substr(table, end - table);
  EXPECT_THAT(addresses, HasSubstr(">198.51.100.9<"));
  EXPECT_THAT(addresses, HasSubstr(">203.0.113.7<"));
  EXPECT_THAT(addresses, HasSubstr(">192.0.2.29<"));
  EXPECT_THAT(addresses, HasSubstr(">192.0.2.12<"));  // 20th: risk 72.
  EXPECT_THAT(addresses, Not(HasSubstr(">192.0.2.11<")));
  EXPECT_EQ(Occurrences(addresses, "<tr><td class=\"rank\">"), 20u);
}

TEST(ReplayReport, HistogramCountsEveryAccountsPeakInBinsOfFive) {
  ReplayReport report;
  const float risks[] = {0, 0, 4.9f, 5, 59.9f, 60, 99.9f, 100};
  uint32_t id = 1;
  for (float risk : risks) report.AddEvent(kMonday, id++, risk);
  const std::array<uint64_t, 20> histogram = report.RiskHistogram();
  EXPECT_EQ(histogram[0], 3u);
  EXPECT_EQ(histogram[1], 1u);
  EXPECT_EQ(histogram[11], 1u);
  EXPECT_EQ(histogram[12], 1u);
  EXPECT_EQ(histogram[19], 2u);
  uint64_t total = 0;
  for (uint64_t count : histogram) total += count;
  EXPECT_EQ(total, 8u);
  std::vector<std::string> names = Names(8);
  const std::string html = report.RenderHtml(ContextFor(&names));
  EXPECT_THAT(html, HasSubstr("alert threshold 60"));
  EXPECT_THAT(html, HasSubstr("8 accounts; 3 reached the alert threshold"));
}

TEST(ReplayReport, ARetiredAccountKeepsItsPeakAndTheIdStartsAfresh) {
  ReplayReport report;
  report.AddEvent(kMonday, 1, 97);
  report.AddEvent(kMonday, 2, 10);
  report.AddEvent(kMonday, 2, 10);
  report.RetireAccount(1, "old.account");
  EXPECT_EQ(report.peak_risk(1), 0);
  report.AddEvent(kMonday + 1000, 1, 12);  // The id's new account.
  EXPECT_EQ(report.peak_risk(1), 12);
  const std::array<uint64_t, 20> histogram = report.RiskHistogram();
  EXPECT_EQ(histogram[19], 1u);  // The retired one.
  EXPECT_EQ(histogram[2], 2u);
  std::vector<std::string> names = {"", "new.account", "other"};
  const std::string html = report.RenderHtml(ContextFor(&names));
  EXPECT_THAT(html, HasSubstr(">old.account<"));
  EXPECT_THAT(html, HasSubstr(">new.account<"));
  EXPECT_THAT(html, HasSubstr("<div class=\"v\">3</div>"));  // Accounts.
}

TEST(ReplayReport, IncidentTableShowsTheRiskiestAndCountsTheRest) {
  ReportOptions options;
  options.max_incidents = 10;
  ReplayReport report(options);
  std::mt19937_64 random(3);
  std::vector<std::pair<double, int>> expected;  // (risk, index)
  for (int i = 0; i < 200; ++i) {
    const double risk = 60 + static_cast<double>(random() % 400) / 10;
    report.AddAlert(MakeAlert(absl::StrFormat("rule-%06d", i),
                              absl::StrCat("a", i), "", risk,
                              kMonday + i * kMinute));
    expected.emplace_back(risk, i);
  }
  // An early, low incident (dropped long ago) steps up to the top: it comes
  // back with its whole row.
  v1::Alert step_up = MakeAlert("rule-000000", "a0", "", 99.9,
                                kMonday + 300 * kMinute, v1::INCIDENT_UPDATED);
  step_up.set_first_seen_ms(kMonday);
  step_up.set_event_count(321);
  step_up.set_message("stepped up");
  report.AddAlert(step_up);
  expected[0].first = std::max(expected[0].first, 99.9);
  std::sort(expected.begin(), expected.end(), [](auto a, auto b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> names = Names(0);
  const std::string html = report.RenderHtml(ContextFor(&names));
  const size_t table = html.find("<h2>Incidents</h2>");
  ASSERT_NE(table, std::string::npos);
  const std::string incidents = html.substr(table);
  size_t previous = 0;
  for (int rank = 0; rank < 10; ++rank) {
    const std::string id =
        absl::StrFormat(">rule-%06d", expected[rank].second);
    const size_t at = incidents.find(id);
    ASSERT_NE(at, std::string::npos) << id;
    EXPECT_GT(at, previous) << id;  // In rank order.
    previous = at;
  }
  EXPECT_THAT(incidents, Not(HasSubstr(absl::StrFormat(
                             ">rule-%06d", expected[10].second))));
  EXPECT_THAT(incidents, HasSubstr("190 more incidents not shown"));
  EXPECT_THAT(incidents, HasSubstr("stepped up"));
  EXPECT_THAT(incidents, HasSubstr("2022-03-07 00:00:00"));  // First seen.
  EXPECT_THAT(incidents, HasSubstr(">321<"));
}

TEST(ReplayReport, ClosingAlertKeepsTheExplanationAtThePeak) {
  ReplayReport report;
  v1::Alert opened = MakeAlert("x-1", "a", "", 70, kMonday);
  opened.set_message("why it opened");
  report.AddAlert(opened);
  v1::Alert closed =
      MakeAlert("x-1", "a", "", 75, kMonday + kHour, v1::INCIDENT_CLOSED);
  closed.set_first_seen_ms(kMonday);
  closed.set_event_count(9);
  closed.set_message("ended after 9 firings");
  report.AddAlert(closed);
  std::vector<std::string> names = Names(0);
  const std::string html = report.RenderHtml(ContextFor(&names));
  EXPECT_THAT(html, HasSubstr("why it opened"));
  EXPECT_THAT(html, Not(HasSubstr("ended after 9 firings")));
  EXPECT_THAT(html, HasSubstr("<span class=\"closed\">closed</span>"));
  EXPECT_THAT(html, HasSubstr(">75.0<"));
  EXPECT_THAT(html, HasSubstr(">9<"));
}

TEST(ReplayReport, EscapesEveryStringThatComesFromData) {
  ReplayReport report;
  report.AddEvent(kMonday, 1, 88);
  v1::Alert alert = MakeAlert("r-<1>", "<script>alert(1)</script>",
                              "\"><svg onload=x>", 88, kMonday);
  alert.set_rule_name("rule&<i>");
  alert.set_message("it's <b>bold</b> & \"quoted\"");
  report.AddAlert(alert);
  std::vector<std::string> names = {"", "<script>alert(1)</script>"};
  ReportContext context = ContextFor(&names);
  context.inputs = {"<img src=x>.csv"};
  context.rejected = 1;
  context.rejected_by_reason = {{"field 'account': <bad>", 1}};
  const std::string html = report.RenderHtml(context);
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(html, Not(HasSubstr("<b>bold")));
  EXPECT_THAT(html, HasSubstr("it&#39;s &lt;b&gt;bold&lt;/b&gt; &amp; "
                              "&quot;quoted&quot;"));
  EXPECT_THAT(html, Not(HasSubstr("<svg onload")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, Not(HasSubstr("<bad>")));
  EXPECT_THAT(html, HasSubstr("rule&amp;&lt;i&gt;"));
  EXPECT_EQ(TagNestingProblem(html), "");
}

TEST(ReplayReport, PageIsSelfContainedAndItsTagsNest) {
  ReplayReport report = SmallRun();
  std::vector<std::string> names = Names(5);
  const std::string html = report.RenderHtml(ContextFor(&names));
  for (const char* fetch : {"http://", "https://", "<script", "<link",
                            "@import", "url(", "src="}) {
    EXPECT_THAT(html, Not(HasSubstr(fetch))) << fetch;
  }
  EXPECT_TRUE(absl::StartsWith(html, "<!DOCTYPE html>"));
  EXPECT_EQ(Occurrences(html, "<svg"), 2u);  // Timeline and histogram.
  EXPECT_EQ(Occurrences(html, "</svg>"), 2u);
  EXPECT_EQ(Occurrences(html, "<style>"), 1u);
  EXPECT_EQ(TagNestingProblem(html), "");
  EXPECT_THAT(html, HasSubstr("Events and alerts over time"));
  EXPECT_THAT(html, HasSubstr("Riskiest accounts"));
  EXPECT_THAT(html, HasSubstr("Riskiest addresses"));
  EXPECT_THAT(html, HasSubstr("Risk distribution"));
  EXPECT_THAT(html, HasSubstr("<h2>Incidents</h2>"));
  EXPECT_THAT(html, HasSubstr("@media print"));
}

TEST(ReplayReport, ReadsWellWithoutAlertsOrEvents) {
  ReplayReport quiet;
  for (int i = 0; i < 100; ++i) quiet.AddEvent(kMonday + i * kMinute, 1, 3);
  std::vector<std::string> names = Names(1);
  std::string html = quiet.RenderHtml(ContextFor(&names));
  EXPECT_THAT(html, HasSubstr("no alerts"));
  EXPECT_THAT(html, HasSubstr("No incident: no account or address reached "
                              "the alert threshold (60)"));
  EXPECT_THAT(html, HasSubstr("No alert named a source address."));
  EXPECT_EQ(Occurrences(html, "<svg"), 2u);
  EXPECT_EQ(TagNestingProblem(html), "");

  ReplayReport empty;
  html = empty.RenderHtml(ContextFor(&names));
  EXPECT_THAT(html, HasSubstr("No events were replayed."));
  EXPECT_THAT(html, HasSubstr("No account was seen."));
  EXPECT_EQ(Occurrences(html, "<svg"), 1u);
  EXPECT_EQ(TagNestingProblem(html), "");
}

TEST(ReplayReport, BaselineModeSaysThereIsNoRiskDistribution) {
  ReplayReport report = SmallRun();
  std::vector<std::string> names = Names(5);
  ReportContext context = ContextFor(&names);
  context.mode = "baseline";
  const std::string html = report.RenderHtml(context);
  EXPECT_THAT(html, HasSubstr("rules baseline"));
  EXPECT_THAT(html, HasSubstr("there is no risk distribution"));
  EXPECT_EQ(Occurrences(html, "<svg"), 1u);
  EXPECT_EQ(TagNestingProblem(html), "");
}

// Feeds events and alerts [begin, end) of a deterministic run with many
// accounts, alerts and incidents (more than the tables keep), and a
// recycled id.
void FeedRun(ReplayReport& report, int begin, int end) {
  std::mt19937_64 random(11);
  for (int i = 0; i < end; ++i) {
    const uint64_t r = random();
    if (i < begin) continue;
    const uint32_t account = 1 + static_cast<uint32_t>(r % 3000);
    report.AddEvent(kMonday + i * 2000, account,
                    static_cast<float>(r % 1000) / 10);
    if (i % 50 == 0) {
      report.AddAlert(MakeAlert(
          absl::StrCat("inc-", i / 100), absl::StrCat("account-", account),
          absl::StrCat("10.0.", r % 7, ".1"), 60 + static_cast<double>(r % 40),
          kMonday + i * 2000,
          i % 100 == 0 ? v1::INCIDENT_OPENED : v1::INCIDENT_UPDATED));
    }
    if (i == 45000) report.RetireAccount(account, "retired.account");
  }
}

TEST(ReplayReport, ARestoredReportContinuesExactlyAsTheOriginal) {
  ReportOptions options;
  options.max_incidents = 50;
  options.tracked_entities = 100;
  ReplayReport whole(options);
  FeedRun(whole, 0, 90000);

  ReplayReport first_half(options);
  FeedRun(first_half, 0, 40000);
  StateWriter w;
  first_half.Encode(w);
  ReplayReport resumed(options);
  StateReader r(w.data());
  ASSERT_TRUE(resumed.Decode(r).ok());
  EXPECT_TRUE(r.at_end());
  FeedRun(resumed, 40000, 90000);

  std::vector<std::string> names = Names(3000);
  EXPECT_EQ(resumed.RenderHtml(ContextFor(&names)),
            whole.RenderHtml(ContextFor(&names)));
  StateWriter a, b;
  whole.Encode(a);
  resumed.Encode(b);
  EXPECT_EQ(a.data(), b.data());
}

TEST(ReplayReport, RefusesADamagedEncodingWithDataLoss) {
  ReportOptions options;
  options.max_incidents = 5;
  ReplayReport report(options);
  FeedRun(report, 0, 2000);
  StateWriter w;
  report.Encode(w);
  const std::string good = w.data();
  std::vector<std::string> names = Names(3000);
  const std::string before = report.RenderHtml(ContextFor(&names));

  // Every truncation.
  for (size_t size = 0; size < good.size(); size += 1 + size / 50) {
    ReplayReport target(options);
    StateReader r(absl::string_view(good).substr(0, size));
    EXPECT_EQ(target.Decode(r).code(), absl::StatusCode::kDataLoss) << size;
  }
  // A wrong magic number, version, "buckets located" flag, bucket width.
  for (size_t offset : {0, 4, 61, 62}) {
    std::string bad = good;
    bad[offset] = static_cast<char>(bad[offset] ^ 0x5a);
    ReplayReport target(options);
    StateReader r(bad);
    EXPECT_EQ(target.Decode(r).code(), absl::StatusCode::kDataLoss) << offset;
  }
  // An account peak that is not a number.
  {
    std::string bad = good;
    const size_t accounts = 62 + 3 * 8 + report.bucket_count() * 28 + 8;
    bad.replace(accounts, 4, "\xff\xff\xff\x7f");
    ReplayReport target(options);
    StateReader r(bad);
    EXPECT_EQ(target.Decode(r).code(), absl::StatusCode::kDataLoss);
  }
  // A damaged report leaves the target as it was.
  std::string bad = good;
  bad[4] = 9;  // Version.
  StateReader r(bad);
  EXPECT_EQ(report.Decode(r).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(report.RenderHtml(ContextFor(&names)), before);
}

TEST(ReplayReport, SurvivesEveryFlippedByteOfItsEncoding) {
  // Small, so that each of the many decodable damaged states is rendered.
  ReportOptions options;
  options.max_incidents = 1;
  ReplayReport report(options);
  for (int i = 0; i < 10; ++i) report.AddEvent(kMonday + i * 1000, 1 + i % 3, i);
  report.RetireAccount(2, "retired");
  report.AddAlert(MakeAlert("a-1", "account-1001", "192.0.2.1", 70, kMonday));
  report.AddAlert(MakeAlert("a-2", "account-1003", "192.0.2.3", 80, kMonday));
  report.AddAlert(MakeAlert("a-3", "account-1003", "192.0.2.3", 90, kMonday));
  StateWriter w;
  report.Encode(w);
  std::vector<std::string> names = Names(3);
  for (size_t offset = 0; offset < w.data().size(); ++offset) {
    for (const unsigned char flip : {0xff, 0x80, 0x01}) {
      std::string bad = w.data();
      bad[offset] = static_cast<char>(bad[offset] ^ flip);
      ReplayReport target(options);
      StateReader r(bad);
      // Refused, or a state that renders: never a crash (nor, under the
      // sanitizers, undefined behaviour).
      if (target.Decode(r).ok()) target.RenderHtml(ContextFor(&names));
    }
  }
}

TEST(ReplayReport, RefusesAnEncodingMadeWithOtherOptions) {
  ReplayReport report;
  report.AddEvent(kMonday, 1, 1);
  StateWriter w;
  report.Encode(w);
  ReportOptions other;
  other.max_incidents = 10;
  ReplayReport target(other);
  StateReader r(w.data());
  EXPECT_EQ(target.Decode(r).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace vigie
