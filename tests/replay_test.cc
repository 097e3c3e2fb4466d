// RunReplay end to end: alerts from the lookup-burst rule, lenient and strict
// handling of bad records, and privacy: no raw subject in the alert stream.
#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "detector/ingest/nir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/config.h"
#include "tools/replay.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;

std::string TmpPath(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A valid 15-character NIR with the given order number.
std::string Nir(int prefix, int order) {
  std::string body = absl::StrFormat("1850578%03d%03d", prefix % 1000, order);
  return absl::StrFormat("%s%02d", body, NirControlKey(body));
}

struct Log {
  std::string csv;
  std::vector<std::string> subjects;
};

// One robot account sweeping 120 sequential NIRs at two per second, and
// ten ordinary accounts looking up a handful of people each.
Log ChainedLookupLog() {
  Log log;
  log.csv = "time,account,ip,action,outcome,subject,user_agent\n";
  int64_t t = 1646900000000;
  for (int i = 0; i < 10; ++i) {
    std::string account = absl::StrCat("user", i);
    log.csv += absl::StrCat(t + i * 1000, ",", account, ",192.0.2.", i + 1,
                            ",login,success,,Mozilla/5.0\n");
    for (int j = 0; j < 5; ++j) {
      std::string nir = Nir(100 + i, j + 1);
      log.subjects.push_back(nir);
      log.csv += absl::StrCat(t + i * 1000 + (j + 1) * 60000, ",", account,
                              ",192.0.2.", i + 1, ",lookup,success,", nir,
                              ",Mozilla/5.0\n");
    }
  }
  std::vector<std::pair<int64_t, std::string>> robot;
  for (int k = 0; k < 120; ++k) {
    std::string nir = Nir(7, k + 1);
    log.subjects.push_back(nir);
    robot.emplace_back(t + 400000 + k * 500,
                       absl::StrCat(",dr.victim,203.0.113.7,lookup,",
                                    k % 10 == 0 ? "not_found" : "success",
                                    ",", nir, ",Mozilla/5.0\n"));
  }
  // Keep the file in time order: robot lookups start after the others.
  for (const auto& [time, rest] : robot) {
    log.csv += absl::StrCat(time, rest);
  }
  return log;
}

TEST(RunReplay, RaisesOneIncidentForAChainedLookupRobot) {
  Log log = ChainedLookupLog();
  std::ofstream(TmpPath("chained.csv")) << log.csv;
  ReplayOptions options;
  options.inputs = {TmpPath("chained.csv")};
  options.alerts_path = TmpPath("chained_alerts.jsonl");
  ReplaySummary summary;
  ASSERT_TRUE(RunReplay(options, &summary).ok());
  EXPECT_EQ(summary.events, 10 + 50 + 120);
  EXPECT_EQ(summary.rejected, 0);
  EXPECT_EQ(summary.incidents, 1);
  std::string alerts = ReadFile(options.alerts_path);
  std::vector<std::string> lines =
      absl::StrSplit(alerts, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 1u);
  EXPECT_THAT(lines[0],
              HasSubstr("\"rule\":{\"name\":\"lookup_enumeration\"}"));
  EXPECT_THAT(lines[0], HasSubstr("\"user\":{\"name\":\"dr.victim\"}"));
  EXPECT_THAT(lines[0], HasSubstr("\"source\":{\"ip\":\"203.0.113.7\"}"));
  EXPECT_THAT(lines[0], HasSubstr("\"state\":\"opened\""));
  // A new account has no history: judged on the cold-start floor (20 new
  // people a minute, with the minute's 1.5x margin: 30). Just above it, the
  // sequential sweep and the machine-regular timing tip it over.
  EXPECT_THAT(lines[0],
              HasSubstr("looked up 31 people new to this account in 1 min "
                        "(usual at most 30)"));
  EXPECT_THAT(lines[0], HasSubstr("followed the previous NIR in sequence"));
  EXPECT_THAT(lines[0], HasSubstr("lookups machine-regular"));
  // The 31st robot lookup: 30 records exposed before the alert.
  EXPECT_THAT(lines[0],
              HasSubstr("\"@timestamp\":\"2022-03-10T08:20:15.000Z\""));
}

TEST(RunReplay, AlertStreamHoldsNoRawSubject) {
  Log log = ChainedLookupLog();
  std::ofstream(TmpPath("privacy.csv")) << log.csv;
  ReplayOptions options;
  options.inputs = {TmpPath("privacy.csv")};
  options.alerts_path = TmpPath("privacy_alerts.jsonl");
  ReplaySummary summary;
  ASSERT_TRUE(RunReplay(options, &summary).ok());
  std::string alerts = ReadFile(options.alerts_path);
  ASSERT_FALSE(alerts.empty());
  for (const std::string& subject : log.subjects) {
    EXPECT_EQ(alerts.find(subject), std::string::npos);
    // Nor the 13-digit body or the 10-character prefix.
    EXPECT_EQ(alerts.find(subject.substr(0, 13)), std::string::npos);
    EXPECT_EQ(alerts.find(subject.substr(0, 10)), std::string::npos);
  }
  EXPECT_EQ(FormatReplaySummary(summary).find(log.subjects[0].substr(0, 10)),
            std::string::npos);
}

// Writes `csv` to NAME.csv; options that replay it into NAME_alerts.jsonl.
ReplayOptions ReplayOf(const std::string& name, const std::string& csv) {
  std::ofstream(TmpPath(name + ".csv")) << csv;
  ReplayOptions options;
  options.inputs = {TmpPath(name + ".csv")};
  options.alerts_path = TmpPath(name + "_alerts.jsonl");
  return options;
}

bool HasTemporaryFile(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return false;
  bool found = false;
  while (dirent* entry = readdir(d)) {
    // PATH.tmp-XXXXXX: the report's temporary before its rename.
    if (absl::StrContains(entry->d_name, ".tmp-")) found = true;
  }
  closedir(d);
  return found;
}

TEST(RunReplay, WritesAnHtmlReportOfTheRunWithoutAnySubject) {
  Log log = ChainedLookupLog();
  ReplayOptions options = ReplayOf("report", log.csv);
  options.report_path = TmpPath("report.html");
  ReplaySummary summary;
  ASSERT_TRUE(RunReplay(options, &summary).ok());
  const std::string html = ReadFile(options.report_path);
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr(">dr.victim<"));
  EXPECT_THAT(html, HasSubstr(">203.0.113.7<"));
  EXPECT_THAT(html, HasSubstr("lookup_enumeration-000001"));
  EXPECT_THAT(html, HasSubstr("<div class=\"v\">180</div>"));  // Events.
  EXPECT_THAT(html, HasSubstr("2022-03-10 08:13:20"));  // First event, UTC.
  EXPECT_THAT(html, HasSubstr("report.csv"));
  EXPECT_TRUE(absl::EndsWith(html, "</html>\n"));
  // Privacy: the log's subjects (nor their 13-digit bodies or 10-character
  // prefixes) never reach the page.
  for (const std::string& subject : log.subjects) {
    EXPECT_EQ(html.find(subject.substr(0, 10)), std::string::npos) << subject;
  }
  EXPECT_FALSE(HasTemporaryFile(std::getenv("TEST_TMPDIR")));
  EXPECT_THAT(FormatReplaySummary(summary),
              HasSubstr("report: " + options.report_path));
}

TEST(RunReplay, WritesTheReportInBaselineModeToo) {
  Log log = ChainedLookupLog();
  ReplayOptions options = ReplayOf("baseline_report", log.csv);
  options.report_path = TmpPath("baseline_report.html");
  options.mode = "baseline";
  ReplaySummary summary;
  ASSERT_TRUE(RunReplay(options, &summary).ok());
  const std::string html = ReadFile(options.report_path);
  EXPECT_THAT(html, HasSubstr("rules baseline"));
  EXPECT_THAT(html, HasSubstr(">dr.victim<"));  // The lookup_burst rule.
  for (const std::string& subject : log.subjects) {
    EXPECT_EQ(html.find(subject.substr(0, 10)), std::string::npos) << subject;
  }
}

TEST(RunReplay, AReportPathInAMissingDirectoryFailsBeforeReplaying) {
  ReplayOptions options = ReplayOf("nodir", ChainedLookupLog().csv);
  options.report_path = TmpPath("no/such/dir/report.html");
  ReplaySummary summary;
  const absl::Status status = RunReplay(options, &summary);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr(TmpPath("no/such/dir/report.html")));
  EXPECT_EQ(summary.events, 0);
  options.report_path = "-";
  EXPECT_EQ(RunReplay(options, &summary).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RunReplay, AFailedRunLeavesTheReportAsItWas) {
  ReplayOptions options =
      ReplayOf("failing",
               "time,account,ip,action\n"
               "2022-03-10T08:00:00Z,a,192.0.2.1,login\n"
               "2022-03-10T08:00:01Z,a,192.0.2.300,login\n");
  std::ofstream(TmpPath("kept.html")) << "an earlier report";
  options.report_path = TmpPath("kept.html");
  options.strict = true;
  ReplaySummary summary;
  EXPECT_EQ(RunReplay(options, &summary).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFile(TmpPath("kept.html")), "an earlier report");
  EXPECT_FALSE(HasTemporaryFile(std::getenv("TEST_TMPDIR")));
}

TEST(RunReplay, LenientModeCountsAndSkipsBadRecords) {
  std::string csv =
      "time,account,ip,action,subject\n"
      "2022-03-10T08:00:00Z,a,192.0.2.1,login,\n"
      "2022-13-10T08:00:01Z,a,192.0.2.1,login,\n"
      "2022-03-10T08:00:02Z,a,192.0.2.1,lookup,\n"
      "2022-03-10T08:00:03Z,a,192.0.2.1,lookup,185057800608491\n";
  std::ofstream(TmpPath("bad.csv")) << csv;
  ReplayOptions options;
  options.inputs = {TmpPath("bad.csv")};
  options.alerts_path = TmpPath("bad_alerts.jsonl");
  ReplaySummary summary;
  ASSERT_TRUE(RunReplay(options, &summary).ok());
  EXPECT_EQ(summary.events, 2);
  EXPECT_EQ(summary.rejected, 2);
  EXPECT_EQ(summary.rejected_by_kind["field 'time': month out of range"].count,
            1);
  EXPECT_EQ(summary.rejected_by_kind["field 'subject': missing on a lookup"]
                .count,
            1);
  std::string text = FormatReplaySummary(summary);
  EXPECT_THAT(text, HasSubstr(absl::StrCat(
                        TmpPath("bad.csv"),
                        ":3: field 'time': \"2022-13-10T08:00:01Z\": month out "
                        "of range")));
  EXPECT_THAT(text, HasSubstr("rejected: 2"));
}

// A log in a format Vigie was not told about (here local times without
// a zone; then times in epoch seconds) must not pass for a quiet one:
// with every record rejected the run fails, its summary saying why; with
// the seconds read as milliseconds, the summary's event time shows 1970.
TEST(RunReplay, ARunThatAcceptsNoRecordFailsAndTheSummaryShowsTheTimeSpan) {
  ReplayOptions all_rejected = ReplayOf(
      "local_times",
      "time,account,ip,action\n2022-03-10 08:15:01,dr.a,192.0.2.1,login\n"
      "2022-03-10 08:16:01,dr.a,192.0.2.1,login\n");
  ReplaySummary summary;
  const absl::Status status = RunReplay(all_rejected, &summary);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("no record accepted: all 2 were rejected"));
  EXPECT_THAT(FormatReplaySummary(summary),
              HasSubstr("event time: none (no record accepted)"));

  ReplayOptions seconds = ReplayOf(
      "seconds",
      "time,account,ip,action\n1646906400,dr.a,192.0.2.1,login\n"
      "1646996400,dr.a,192.0.2.1,login\n");
  ReplaySummary read_as_ms;
  ASSERT_TRUE(RunReplay(seconds, &read_as_ms).ok());
  EXPECT_THAT(FormatReplaySummary(read_as_ms),
              HasSubstr("event time: 1970-01-20T01:28:26Z to "
                        "1970-01-20T01:29:56Z (2 min)\n  note: every event "
                        "is before 1990: times in epoch seconds read as "
                        "milliseconds?"));
}

TEST(RunReplay, StrictModeStopsAtTheFirstBadRecord) {
  std::ofstream(TmpPath("strict.csv"))
      << "time,account,ip,action\n"
         "2022-03-10T08:00:00Z,a,192.0.2.1,login\n"
         "2022-03-10T08:00:01Z,a,192.0.2.300,login\n"
         "2022-03-10T08:00:02Z,a,192.0.2.1,login\n";
  ReplayOptions options;
  options.inputs = {TmpPath("strict.csv")};
  options.alerts_path = TmpPath("strict_alerts.jsonl");
  options.strict = true;
  ReplaySummary summary;
  absl::Status status = RunReplay(options, &summary);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            absl::StrCat(TmpPath("strict.csv"),
                         ":3: field 'ip': \"192.0.2.300\": not an IPv4 or "
                         "IPv6 address"));
  EXPECT_EQ(summary.events, 1);
}

TEST(RunReplay, MergesInputsInTimeOrder) {
  std::ofstream(TmpPath("a.csv")) << "time,account,ip,action\n"
                                     "1000,a,192.0.2.1,login\n"
                                     "3000,a,192.0.2.1,logout\n";
  std::ofstream(TmpPath("b.jsonl"))
      << R"({"@timestamp":2000,"user.name":"b","source.ip":"192.0.2.2","event.action":"login"})"
      << "\n";
  ReplayOptions options;
  options.inputs = {TmpPath("a.csv"), TmpPath("b.jsonl")};
  options.alerts_path = TmpPath("merge_alerts.jsonl");
  ReplaySummary summary;
  ASSERT_TRUE(RunReplay(options, &summary).ok());
  EXPECT_EQ(summary.events, 3);
  EXPECT_EQ(summary.accounts, 2);
}

TEST(RunReplay, ReportsAnInputCutShortAsDataLoss) {
  // A binary record announcing 100 bytes, holding 3.
  std::ofstream(TmpPath("cut.pb"), std::ios::binary) << "\x64\x08\x01\x12";
  ReplayOptions options;
  options.inputs = {TmpPath("cut.pb")};
  options.alerts_path = TmpPath("cut_alerts.jsonl");
  ReplaySummary summary;
  absl::Status status = RunReplay(options, &summary);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("truncated record: 100 bytes announced, 3 present"));
}

TEST(RunReplay, WritesTheReportWhenAnInputWasCutShortAndSaysSo) {
  std::ofstream(TmpPath("whole.csv")) << "time,account,ip,action\n"
                                         "1000,a,192.0.2.1,login\n";
  std::ofstream(TmpPath("cut_report.pb"), std::ios::binary)
      << "\x64\x08\x01\x12";
  ReplayOptions options;
  options.inputs = {TmpPath("whole.csv"), TmpPath("cut_report.pb")};
  options.alerts_path = TmpPath("cut_report_alerts.jsonl");
  options.report_path = TmpPath("cut_report.html");
  ReplaySummary summary;
  EXPECT_EQ(RunReplay(options, &summary).code(), absl::StatusCode::kDataLoss);
  const std::string html = ReadFile(options.report_path);
  EXPECT_THAT(html, HasSubstr("Input cut short"));
  EXPECT_THAT(html, HasSubstr("truncated record: 100 bytes announced"));
}

TEST(RunReplay, CountsEventsLaterThanTheAllowedLateness) {
  std::ofstream(TmpPath("late.csv")) << "time,account,ip,action\n"
                                        "100000,a,192.0.2.1,login\n"
                                        "96000,a,192.0.2.1,logout\n"
                                        "94000,b,192.0.2.1,login\n"
                                        "200000,b,192.0.2.1,logout\n";
  ReplayOptions options;
  options.inputs = {TmpPath("late.csv")};
  options.alerts_path = TmpPath("late_alerts.jsonl");
  ReplaySummary summary;
  ASSERT_TRUE(RunReplay(options, &summary).ok());
  EXPECT_EQ(summary.events, 4);
  EXPECT_EQ(summary.late_events, 1);  // 6 s late; the 4 s one is fine.
  EXPECT_THAT(FormatReplaySummary(summary), HasSubstr("late: 1 events"));
}

TEST(RunReplay, MissingInputIsNotFound) {
  ReplayOptions options;
  options.inputs = {TmpPath("does-not-exist.csv")};
  options.alerts_path = TmpPath("x.jsonl");
  ReplaySummary summary;
  EXPECT_EQ(RunReplay(options, &summary).code(), absl::StatusCode::kNotFound);
}

TEST(RunReplay, BadConfigurationIsInvalidArgumentWithItsLocation) {
  std::ofstream(TmpPath("bad.conf")) << "lookup_burst { window_seconds: -5 }\n";
  std::ofstream(TmpPath("syntax.conf")) << "lookup_burst { nonsense: 1 }\n";
  std::ofstream(TmpPath("ok.csv")) << "time,account,ip,action\n";
  ReplayOptions options;
  options.inputs = {TmpPath("ok.csv")};
  options.alerts_path = TmpPath("y.jsonl");
  options.config_path = TmpPath("bad.conf");
  ReplaySummary summary;
  absl::Status status = RunReplay(options, &summary);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("window_seconds"));
  options.config_path = TmpPath("syntax.conf");
  status = RunReplay(options, &summary);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr(TmpPath("syntax.conf") + ":1:"));
}

}  // namespace
}  // namespace vigie

namespace vigie {
namespace {

TEST(DetectorOptionsFromConfig, ReadsTheEngineSectionAndRejectsBadNetworks) {
  absl::StatusOr<v1::DetectorConfig> config = ParseDetectorConfig(
      "engine { alert_threshold: 70 allowlisted_accounts: \"svc\" "
      "allowlisted_networks: \"193.48.0.0/16\" "
      "allowlisted_networks: \"2001:db8::/32\" }",
      "test.conf");
  ASSERT_TRUE(config.ok()) << config.status();
  absl::StatusOr<DetectorOptions> options = DetectorOptionsFromConfig(*config);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->alert_threshold, 70);
  ASSERT_EQ(options->allowlisted_networks.size(), 2u);
  EXPECT_EQ(options->allowlisted_networks[0].prefix_length, 16);
  EXPECT_EQ(options->allowlisted_networks[1].prefix_length, 32);
  for (const char* bad : {"193.48.0.0/33", "hospital", "10.0.0.0/x"}) {
    v1::DetectorConfig c;
    c.mutable_engine()->add_allowlisted_networks(bad);
    absl::Status status = DetectorOptionsFromConfig(c).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("engine.allowlisted_networks"));
  }
  v1::DetectorConfig zero;
  zero.mutable_engine()->set_alert_threshold(0);
  EXPECT_EQ(DetectorOptionsFromConfig(zero).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Risk tiers: the tier that opens incidents sets the threshold; a tier
  // and a threshold together, or an unknown tier, are refused by name.
  v1::DetectorConfig medium;
  medium.mutable_engine()->set_incident_tier("medium");
  EXPECT_EQ(DetectorOptionsFromConfig(medium)->alert_threshold, 45);
  v1::DetectorConfig both = medium;
  both.mutable_engine()->set_alert_threshold(70);
  EXPECT_THAT(std::string(DetectorOptionsFromConfig(both).status().message()),
              HasSubstr("not both"));
  v1::DetectorConfig hosting;
  hosting.mutable_engine()->add_hosting_asns(64500);
  EXPECT_EQ(DetectorOptionsFromConfig(hosting)->hosting_asns,
            std::vector<uint32_t>{64500});
  hosting.mutable_engine()->add_hosting_asns(0);
  EXPECT_THAT(
      std::string(DetectorOptionsFromConfig(hosting).status().message()),
      HasSubstr("engine.hosting_asns"));
  v1::DetectorConfig unknown;
  unknown.mutable_engine()->set_incident_tier("severe");
  EXPECT_THAT(
      std::string(DetectorOptionsFromConfig(unknown).status().message()),
      HasSubstr("engine.incident_tier"));
  // The printed defaults parse and give the built-in options.
  absl::StatusOr<v1::DetectorConfig> defaults =
      ParseDetectorConfig(DefaultConfigText(), "defaults");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  absl::StatusOr<DetectorOptions> d = DetectorOptionsFromConfig(*defaults);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->alert_threshold, DetectorOptions().alert_threshold);
  EXPECT_EQ(d->cold_start_new_per_hour, DetectorOptions().cold_start_new_per_hour);
}

// The location database: the default file when the configuration names
// none and it is there (the caller says once when it is not), "none" to
// go without, any other path as given.
TEST(ResolveLocationDatabase, DefaultWhenPresentNoneOnRequest) {
  v1::EngineConfig unset;
  EXPECT_TRUE(ResolveLocationDatabase(&unset, "/var/lib/location/database.db"));
  EXPECT_EQ(unset.location_database(), "/var/lib/location/database.db");
  v1::EngineConfig missing;
  EXPECT_FALSE(ResolveLocationDatabase(&missing, "/nonexistent/location.db"));
  EXPECT_EQ(missing.location_database(), "");
  v1::EngineConfig none;
  none.set_location_database("none");
  EXPECT_TRUE(ResolveLocationDatabase(&none, "/var/lib/location/database.db"));
  EXPECT_EQ(none.location_database(), "");
  v1::EngineConfig mine;
  mine.set_location_database("/srv/geo/location.db");
  EXPECT_TRUE(ResolveLocationDatabase(&mine, "/var/lib/location/database.db"));
  EXPECT_EQ(mine.location_database(), "/srv/geo/location.db");
}

TEST(ParseByteSize, ReadsSuffixesAsPowersOf1024) {
  EXPECT_EQ(ParseByteSize("1048576").value(), 1048576);
  EXPECT_EQ(ParseByteSize("256M").value(), int64_t{256} << 20);
  EXPECT_EQ(ParseByteSize("2G").value(), int64_t{2} << 30);
  EXPECT_EQ(ParseByteSize("512KiB").value(), int64_t{512} << 10);
  EXPECT_EQ(ParseByteSize("3mb").value(), int64_t{3} << 20);
  for (const char* bad : {"", "M", "12Q", "-5M", "1.5G", "99999999999999999T"}) {
    EXPECT_EQ(ParseByteSize(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(RunReplay, AMemoryLimitForgetsIdleAccountsButKeepsDetecting) {
  Log log = ChainedLookupLog();
  // Many more idle accounts than fit in 1 MiB of account state.
  std::string csv = "time,account,ip,action,outcome,subject,user_agent\n";
  for (int i = 0; i < 3000; ++i) {
    csv += absl::StrCat(1646890000000 + i, ",idle", i, ",192.0.2.9,lookup,",
                        "success,", Nir(200 + i % 500, 1 + i % 900),
                        ",Mozilla/5.0\n");
  }
  csv += log.csv.substr(log.csv.find('\n') + 1);
  std::ofstream(TmpPath("memory.csv")) << csv;
  ReplayOptions options;
  options.inputs = {TmpPath("memory.csv")};
  options.alerts_path = TmpPath("memory_alerts.jsonl");
  options.memory_limit = "1M";
  ReplaySummary summary;
  ASSERT_TRUE(RunReplay(options, &summary).ok());
  EXPECT_GT(summary.evicted_accounts, 0u);
  EXPECT_LE(summary.state_bytes, summary.memory_limit_bytes);
  EXPECT_EQ(summary.incidents, 1);
  EXPECT_THAT(FormatReplaySummary(summary), HasSubstr("accounts' state evicted"));
  options.memory_limit = "1K";
  EXPECT_EQ(RunReplay(options, &summary).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigie

namespace vigie {
namespace {

// Alerts, scores and report into TAG.jsonl, TAG.csv and TAG.html, with one
// pseudonymisation key for every run. Runs compared byte for byte must share
// it: without a key file each run draws an ephemeral key, and the subjects'
// pseudonyms pick the novelty filter's false positives and the sampled peer
// learning, so two runs could differ by one "new person" (seen once on a
// fresh machine, a lookup new in one run and not in the other).
void SetOutputs(const std::string& tag, ReplayOptions* options) {
  options->alerts_path = TmpPath(tag + ".jsonl");
  options->scores_path = TmpPath(tag + ".csv");
  options->report_path = TmpPath(tag + ".html");
  static const std::string* key_file = [] {
    auto* path = new std::string(TmpPath("shared.key"));
    std::ofstream(*path) << std::string(64, 'b') << "\n";
    return path;
  }();
  options->pseudonym_key_file = *key_file;
}

TEST(RunReplay, ThePipelinedRunWritesExactlyWhatASingleThreadWrites) {
  // Alerts, scores and report.
  // Enough events for many batches, a robot, and account-name recycling
  // under a small memory limit.
  Log log = ChainedLookupLog();
  std::string csv = "time,account,ip,action,outcome,subject,user_agent\n";
  for (int i = 0; i < 30000; ++i) {
    csv += absl::StrCat(1646880000000 + i * 300, ",user", i % 5000,
                        ",192.0.2.", i % 200, ",lookup,success,",
                        Nir(300 + i % 400, 1 + i % 900), ",Mozilla/5.0\n");
  }
  csv += log.csv.substr(log.csv.find('\n') + 1);
  std::ofstream(TmpPath("pipeline.csv")) << csv;
  for (const char* mode : {"vigie", "baseline"}) {
    std::string outputs[2];
    for (int pipelined = 0; pipelined < 2; ++pipelined) {
      ReplayOptions options;
      options.inputs = {TmpPath("pipeline.csv")};
      SetOutputs(absl::StrCat("pipe_", pipelined), &options);
      options.mode = mode;
      options.memory_limit = "1M";  // 1,365 names: ids get recycled.
      options.pipeline = pipelined == 1;
      ReplaySummary summary;
      ASSERT_TRUE(RunReplay(options, &summary).ok()) << mode;
      EXPECT_EQ(summary.events, 30000 + 180);
      outputs[pipelined] = ReadFile(options.alerts_path) +
                           (std::string(mode) == "vigie"
                                ? ReadFile(options.scores_path)
                                : std::string()) +
                           ReadFile(options.report_path);
    }
    EXPECT_FALSE(outputs[0].empty()) << mode;
    EXPECT_EQ(outputs[0], outputs[1]) << mode;
  }
}

// Under a small memory limit, long account names are dropped from the
// dictionary to make room for new ones (at 1 MiB, 64 KiB of them: 697
// names of 30 characters). A password guesser fails 12 times on an
// account; 696 others fill the dictionary; a name of 3,000 characters
// then drops 33 of them, the victim first, and the ids it does not take
// wait for the next new names, short ones. The victim's state goes with
// its name: the account that takes its id logs in without "a success
// after 12 failures".
TEST(RunReplay, ADroppedAccountNameLeavesItsStateToNoOne) {
  std::string csv = "time,account,ip,action,outcome\n";
  int64_t t = 1646906400000;
  const std::string victim = absl::StrFormat("victim.%023d", 0);
  for (int i = 0; i < 12; ++i) {
    csv += absl::StrCat(t++, ",", victim, ",192.0.2.1,login,failure\n");
  }
  auto login = [&](const std::string& account, int i) {
    csv += absl::StrCat(t, ",", account, ",198.51.", i / 256, ".", i % 256,
                        ",login,success\n");
    t += 1000;
  };
  for (int i = 0; i < 696; ++i) login(absl::StrFormat("other.%024d", i), i);
  login(std::string(3000, 'h'), 700);
  for (int i = 0; i < 40; ++i) login(absl::StrCat("short.", i), 800 + i);
  std::ofstream(TmpPath("dropped.csv")) << csv;
  ReplayOptions options;
  options.inputs = {TmpPath("dropped.csv")};
  SetOutputs("dropped", &options);
  options.memory_limit = "1M";
  ReplaySummary summary;
  ASSERT_TRUE(RunReplay(options, &summary).ok());
  EXPECT_EQ(summary.overflowed_account_names, 33u);
  const std::string alerts = ReadFile(options.alerts_path);
  EXPECT_NE(alerts.find(victim), std::string::npos);
  EXPECT_EQ(alerts.find("short."), std::string::npos) << alerts;
}

// A JSON Lines log parsed in chunks on 2 or 8 threads gives the alerts,
// scores and report of one parsed on a single thread, and of no pipeline.
TEST(RunReplay, JsonLinesParsedInChunksWriteExactlyWhatOneThreadWrites) {
  std::string jsonl;
  for (int i = 0; i < 30000; ++i) {
    // A robot's chained lookups among the people's, and now and then a
    // bad line, so that errors cross chunk edges too.
    const bool robot = i >= 20000 && i % 10 == 0;
    if (i % 997 == 0) {
      jsonl += "{\"@timestamp\": not json\n";
      continue;
    }
    jsonl += absl::StrFormat(
        "{\"@timestamp\":%d,\"user\":{\"name\":\"%s\"},"
        "\"source\":{\"ip\":\"192.0.2.%d\"},\"event\":{\"action\":"
        "\"lookup\",\"outcome\":\"success\"},\"vigie\":{\"subject\":"
        "\"%s\"}}\n",
        int64_t{1646880000000} + i * 300,
        robot ? std::string("robot") : absl::StrCat("user", i % 3000),
        robot ? 99 : i % 200,
        robot ? Nir(7, 1 + (i - 20000) / 10) : Nir(300 + i % 400, 1 + i % 900));
  }
  std::ofstream(TmpPath("chunks.jsonl")) << jsonl;
  std::string outputs[4];
  const int parse_threads[4] = {1, 1, 2, 8};
  for (int run = 0; run < 4; ++run) {
    ReplayOptions options;
    options.inputs = {TmpPath("chunks.jsonl")};
    SetOutputs(absl::StrCat("chunks_", run), &options);
    options.pipeline = run > 0;
    options.parse_threads = parse_threads[run];
    ReplaySummary summary;
    ASSERT_TRUE(RunReplay(options, &summary).ok()) << run;
    EXPECT_EQ(summary.events, 30000 - 31);
    outputs[run] = ReadFile(options.alerts_path) +
                   ReadFile(options.scores_path) +
                   ReadFile(options.report_path);
  }
  EXPECT_THAT(ReadFile(TmpPath("chunks_0.jsonl")), HasSubstr("robot"));
  for (int run = 1; run < 4; ++run) EXPECT_EQ(outputs[run], outputs[0]) << run;
}

}  // namespace
}  // namespace vigie
