// InputMapping and TimeFormat (detector/input_mapping.h): a portal's own
// CSV columns, spellings and times, read by the CSV reader as Vigie's
// events; every misconfiguration refused with what is wrong; a time in
// the wrong unit refused with the unit it looks like; no subject in any
// error.
#include "detector/input_mapping.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/ingest/time_format.h"
#include "detector/record_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;

int64_t Parse(EventTimeParser& parser, absl::string_view text) {
  absl::StatusOr<int64_t> ms = parser.Parse(text);
  EXPECT_TRUE(ms.ok()) << text << ": " << ms.status();
  return ms.ok() ? *ms : -1;
}

std::string Refusal(EventTimeParser& parser, absl::string_view text) {
  absl::StatusOr<int64_t> ms = parser.Parse(text);
  EXPECT_FALSE(ms.ok()) << text;
  return std::string(ms.status().message());
}

TEST(TimeFormat, ReadsTheWordsPatternsAndZones) {
  EXPECT_EQ(TimeFormat::Parse("", "").value().kind,
            TimeFormat::Kind::kRfc3339OrEpochMillis);
  EXPECT_EQ(TimeFormat::Parse("EPOCH_S", "utc").value().kind,
            TimeFormat::Kind::kEpochSeconds);
  EXPECT_EQ(TimeFormat::Parse("epoch_us", "").value().kind,
            TimeFormat::Kind::kEpochMicros);
  const TimeFormat paris =
      TimeFormat::Parse("%Y-%m-%d %H:%M:%S", "Europe/Paris").value();
  EXPECT_EQ(paris.kind, TimeFormat::Kind::kPattern);
  EXPECT_EQ(paris.FormatName(), "%Y-%m-%d %H:%M:%S");
  EXPECT_EQ(paris.zone_name, "Europe/Paris");
  EXPECT_TRUE(TimeFormat::Parse("%d/%m/%Y %H:%M", "+05:30").ok());

  EXPECT_THAT(TimeFormat::Parse("seconds", "").status().message(),
              HasSubstr("expected rfc3339, epoch_s, epoch_ms, epoch_us"));
  EXPECT_THAT(TimeFormat::Parse("%H:%M", "Mars/Olympus").status().message(),
              HasSubstr("time zone \"Mars/Olympus\""));
  EXPECT_THAT(TimeFormat::Parse("epoch_s", "Europe/Paris").status().message(),
              HasSubstr("epoch times are UTC"));
}

TEST(TimeFormat, EpochUnitsSaidExplicitlyAndTheirImplausibleValues) {
  EventTimeParser seconds(TimeFormat::Parse("epoch_s", "").value());
  EXPECT_EQ(Parse(seconds, "1646900102"), 1646900102000);
  EXPECT_EQ(Parse(seconds, "1646900102.1239"), 1646900102123);
  EXPECT_EQ(Refusal(seconds, "1646900102123"),
            "implausible as epoch seconds, outside 1990..2099 "
            "(milliseconds?)");
  EXPECT_EQ(Refusal(seconds, "99999999999999999999"), "not epoch seconds");
  EXPECT_EQ(Refusal(seconds, "2022-03-10"), "not epoch seconds");

  EventTimeParser millis(TimeFormat::Parse("epoch_ms", "").value());
  EXPECT_EQ(Parse(millis, "1646900102123"), 1646900102123);
  EXPECT_THAT(Refusal(millis, "1646900102"), HasSubstr("(seconds?)"));
  EXPECT_THAT(Refusal(millis, "1646900102123456"),
              HasSubstr("(microseconds?)"));

  EventTimeParser micros(TimeFormat::Parse("epoch_us", "").value());
  EXPECT_EQ(Parse(micros, "1646900102123456"), 1646900102123);
  EXPECT_THAT(Refusal(micros, "1646900102123"), HasSubstr("(milliseconds?)"));
}

TEST(TimeFormat, PatternsReadLocalTimesInTheirZone) {
  EventTimeParser paris(
      TimeFormat::Parse("%Y-%m-%d %H:%M:%S", "Europe/Paris").value());
  // Winter (UTC+1) and summer (UTC+2) time.
  EXPECT_EQ(Parse(paris, "2022-03-10 08:15:01"), 1646896501000);
  EXPECT_EQ(Parse(paris, "2022-07-10 08:15:01"), 1657433701000);
  EXPECT_EQ(Refusal(paris, "10/03/2022 08:15"),
            "does not match the time format \"%Y-%m-%d %H:%M:%S\"");

  EventTimeParser fraction(
      TimeFormat::Parse("%d/%m/%Y %H:%M:%E3S", "+01:00").value());
  EXPECT_EQ(Parse(fraction, "10/03/2022 08:15:01.250"), 1646896501250);
}

TEST(InputMapping, RefusesWhatCannotBeRead) {
  InputMapping mapping;
  EXPECT_TRUE(mapping.SetColumn("account", "user").ok());
  EXPECT_THAT(std::string(mapping.SetColumn("acount", "x").message()),
              HasSubstr("unknown field \"acount\""));
  EXPECT_THAT(std::string(mapping.SetColumn("subject", " USER ").message()),
              HasSubstr("given to both 'account' and 'subject'"));
  // A field's own name is taken while that field is not mapped elsewhere.
  EXPECT_THAT(std::string(mapping.SetColumn("subject", "ip").message()),
              HasSubstr("given to both 'ip' and 'subject'"));
  EXPECT_THAT(std::string(mapping.SetColumn("time", "").message()),
              HasSubstr("empty column name"));

  EXPECT_TRUE(mapping.AddActionSpelling("VIEW_PATIENT", "lookup").ok());
  EXPECT_TRUE(mapping.AddActionSpelling("view_patient", "LOOKUP").ok());
  EXPECT_THAT(
      std::string(mapping.AddActionSpelling("view_patient", "export").message()),
      HasSubstr("maps to both lookup and export"));
  EXPECT_THAT(std::string(mapping.AddActionSpelling("READ", "view").message()),
              HasSubstr("\"view\" is not an action"));
  EXPECT_THAT(std::string(mapping.AddOutcomeSpelling("KO", "bad").message()),
              HasSubstr("\"bad\" is not an outcome"));

  EXPECT_EQ(mapping.ActionOf(" View_Patient "), Action::kLookup);
  EXPECT_EQ(mapping.ActionOf("LOGIN"), Action::kLogin);
  EXPECT_EQ(mapping.ActionOf("browse"), std::nullopt);
  EXPECT_EQ(ActionIgnoringCase("Password_Reset"), Action::kPasswordReset);
  EXPECT_EQ(OutcomeIgnoringCase("NOT_FOUND"), Outcome::kNotFound);
}

std::vector<std::string> Read(const std::string& text,
                              std::shared_ptr<const InputMapping> mapping,
                              const std::string& name = "portal.csv") {
  ReaderOptions options;
  options.mapping = std::move(mapping);
  std::unique_ptr<RecordReader> reader =
      NewRecordReaderFromString(text, name, options).value();
  std::vector<std::string> out;
  AccessRecord r;
  RecordError error;
  while (true) {
    const RecordReader::Result result = reader->Next(&r, &error);
    if (result == RecordReader::Result::kEnd) break;
    out.push_back(result == RecordReader::Result::kRecord
                      ? absl::StrCat(r.time_ms, " ", r.account, " ",
                                     ActionName(r.action), " ",
                                     OutcomeName(r.outcome), " ", r.subject)
                      : error.ToString());
  }
  return out;
}

std::shared_ptr<const InputMapping> PortalMapping() {
  InputMapping mapping;
  EXPECT_TRUE(mapping.SetColumn("time", "Timestamp").ok());
  EXPECT_TRUE(mapping.SetColumn("account", "user").ok());
  EXPECT_TRUE(mapping.SetColumn("ip", "src_ip").ok());
  EXPECT_TRUE(mapping.SetColumn("action", "event").ok());
  EXPECT_TRUE(mapping.SetColumn("outcome", "status").ok());
  EXPECT_TRUE(mapping.SetColumn("subject", "patient_id").ok());
  EXPECT_TRUE(mapping.AddActionSpelling("VIEW_PATIENT", "lookup").ok());
  EXPECT_TRUE(mapping.AddOutcomeSpelling("KO", "failure").ok());
  mapping.time = TimeFormat::Parse("%Y-%m-%d %H:%M:%S", "UTC").value();
  return std::make_shared<const InputMapping>(std::move(mapping));
}

TEST(InputMapping, ThePortalsOwnCsvReadsAsEvents) {
  const std::string csv =
      "timestamp,user,src_ip,event,status,patient_id\n"
      "2022-03-10 08:15:01,dr.martin,192.0.2.10,LOGIN,success,\n"
      "2022-03-10 08:15:09,dr.martin,192.0.2.10,VIEW_PATIENT,ko,"
      "185057800608436\n"
      "2022-03-10 08:15:10,dr.martin,192.0.2.10,BROWSE,success,"
      "185057800608436\n"
      "10/03/2022,dr.martin,192.0.2.10,view_patient,success,"
      "185057800608436\n";
  EXPECT_THAT(
      Read(csv, PortalMapping()),
      ::testing::ElementsAre(
          "1646900101000 dr.martin login success ",
          "1646900109000 dr.martin lookup failure 185057800608436",
          "portal.csv:4: field 'action': \"BROWSE\": unknown action "
          "(expected login, lookup, export, logout, password_reset or mfa)",
          "portal.csv:5: field 'time': \"10/03/2022\": does not match the "
          "time format \"%Y-%m-%d %H:%M:%S\""));
  // Without the mapping, the header names no field Vigie knows.
  EXPECT_THAT(Read(csv, nullptr)[0],
              HasSubstr("header: missing required column 'time'"));
}

// In JSON Lines a column is a key path, dotted for nested objects; errors
// name the field as the log spells it.
TEST(InputMapping, JsonLinesKeysAreMappedToo) {
  InputMapping mapping;
  ASSERT_TRUE(mapping.SetColumn("time", "ts").ok());
  ASSERT_TRUE(mapping.SetColumn("account", "actor.login").ok());
  ASSERT_TRUE(mapping.SetColumn("ip", "client.address").ok());
  ASSERT_TRUE(mapping.SetColumn("action", "type").ok());
  ASSERT_TRUE(mapping.AddActionSpelling("AUTH", "login").ok());
  mapping.time = TimeFormat::Parse("epoch_s", "").value();
  EXPECT_THAT(
      Read("{\"ts\": \"1646900102.5\", \"actor\": {\"login\": \"dr.a\"}, "
           "\"client\": {\"address\": \"192.0.2.1\"}, \"type\": \"auth\"}\n"
           "{\"ts\": 1646900103, \"actor\": {\"login\": \"dr.a\"}, "
           "\"client\": {\"address\": \"192.0.2.1\"}, \"type\": \"browse\"}\n",
           std::make_shared<const InputMapping>(std::move(mapping)),
           "idp.jsonl"),
      ::testing::ElementsAre(
          "1646900102500 dr.a login success ",
          "idp.jsonl:2: field 'type': \"browse\": unknown action (expected "
          "login, lookup, export, logout, password_reset or mfa)"));
}

TEST(InputMapping, AMissingMappedColumnIsNamedWithItsField) {
  const std::vector<std::string> read =
      Read("time,user,src_ip,event\n", PortalMapping());
  ASSERT_EQ(read.size(), 1u);
  EXPECT_THAT(read[0], HasSubstr("header: missing required column "
                                 "'timestamp' (the mapping's 'time')"));
}

TEST(InputMapping, ASubjectIsNeverQuotedInAnError) {
  InputMapping mapping;
  ASSERT_TRUE(mapping.SetColumn("subject", "nir").ok());
  const std::vector<std::string> read = Read(
      "time,account,ip,action,nir\n"
      "2022-03-10T08:15:01Z,dr.martin,192.0.2.10,lookup,1850578006084\xff\n",
      std::make_shared<const InputMapping>(std::move(mapping)));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_THAT(read[0], HasSubstr("field 'subject': invalid UTF-8"));
  EXPECT_THAT(read[0], ::testing::Not(HasSubstr("1850578006084")));
}

}  // namespace
}  // namespace vigie
