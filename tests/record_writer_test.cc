// Round trips: every field survives writing in any format and reading back;
// canonical CSV -> binary -> CSV and -> JSON Lines -> CSV are byte-identical.
#include <cstdlib>
#include <string>
#include <vector>

#include "detector/record_reader.h"
#include "detector/record_writer.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

struct OwnedRecord {
  int64_t time_ms;
  std::string account;
  std::string ip;
  Action action;
  Outcome outcome;
  std::string subject;
  bool has_records;
  uint64_t records;
  std::string user_agent;
  std::string service;
  std::string profession;

  AccessRecord View() const {
    AccessRecord r;
    r.time_ms = time_ms;
    r.account = account;
    r.ip = IpAddress::Parse(ip).value();
    r.action = action;
    r.outcome = outcome;
    r.subject = subject;
    r.has_records = has_records;
    r.records = records;
    r.user_agent = user_agent;
    r.service = service;
    r.profession = profession;
    return r;
  }
};

std::vector<OwnedRecord> NastyRecords() {
  std::vector<OwnedRecord> records = {
      {1646900102123, "dr.martin", "192.0.2.10", Action::kLogin,
       Outcome::kSuccess, "", false, 0, "Mozilla/5.0", "portal", "gp"},
      {1646900105000, "comma, \"quoted\"\nnewline", "2001:db8::1",
       Action::kLookup, Outcome::kNotFound, "1 85 05 2A 001 001 85", true, 0,
       "agent, with \"quotes\"\r\nand CRLF", "svc\ttab", "prof"},
      {-86400000, "1969", "::", Action::kExport, Outcome::kFailure, "",
       true, 18446744073709551615ull, "", "", ""},
      {253402300799999, "élodie.Ω", "::ffff:203.0.113.9",
       Action::kPasswordReset, Outcome::kSuccess, "Ünïcödé-id ✓", false, 0,
       "emoji 😀", "", "pharmacist"},
      {1, "a", "255.255.255.255", Action::kMfa, Outcome::kFailure, "", false,
       0, "", "", ""},
      {1646900200000, "b", "fe80::abcd:1234", Action::kLogout,
       Outcome::kSuccess, "", true, 42, "\\backslash\\", "s", ""},
  };
  return records;
}

std::vector<AccessRecord> ReadBack(const std::string& bytes,
                                   const std::string& name,
                                   std::vector<std::string>* storage) {
  auto reader = NewRecordReaderFromString(bytes, name, ReaderOptions());
  EXPECT_TRUE(reader.ok()) << reader.status();
  std::vector<AccessRecord> out;
  if (!reader.ok()) return out;
  AccessRecord record;
  RecordError error;
  while (true) {
    RecordReader::Result result = (*reader)->Next(&record, &error);
    if (result == RecordReader::Result::kEnd) break;
    EXPECT_EQ(result, RecordReader::Result::kRecord) << error.ToString();
    if (result != RecordReader::Result::kRecord) continue;
    // Copy the views: they die with the next call.
    for (absl::string_view* field :
         {&record.account, &record.subject, &record.user_agent,
          &record.service, &record.profession}) {
      storage->emplace_back(*field);
    }
    out.push_back(record);
    size_t n = storage->size();
    out.back().account = (*storage)[n - 5];
    out.back().subject = (*storage)[n - 4];
    out.back().user_agent = (*storage)[n - 3];
    out.back().service = (*storage)[n - 2];
    out.back().profession = (*storage)[n - 1];
  }
  return out;
}

std::string Write(const std::vector<OwnedRecord>& records, InputFormat format) {
  std::string out;
  auto writer = NewStringRecordWriter(&out, format);
  for (const OwnedRecord& r : records) EXPECT_TRUE(writer->Write(r.View()).ok());
  EXPECT_TRUE(writer->Close().ok());
  return out;
}

class RoundTripTest : public ::testing::TestWithParam<InputFormat> {};

TEST_P(RoundTripTest, EveryFieldSurvives) {
  std::vector<OwnedRecord> records = NastyRecords();
  // The storage vector must not reallocate while views point into it.
  std::vector<std::string> storage;
  storage.reserve(1000);
  const char* name = GetParam() == InputFormat::kCsv         ? "x.csv"
                     : GetParam() == InputFormat::kJsonLines ? "x.jsonl"
                                                             : "x.pb";
  std::vector<AccessRecord> back =
      ReadBack(Write(records, GetParam()), name, &storage);
  ASSERT_EQ(back.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    SCOPED_TRACE(i);
    const OwnedRecord& want = records[i];
    const AccessRecord& got = back[i];
    EXPECT_EQ(got.time_ms, want.time_ms);
    EXPECT_EQ(got.account, want.account);
    EXPECT_EQ(got.ip, IpAddress::Parse(want.ip).value());
    EXPECT_EQ(got.action, want.action);
    EXPECT_EQ(got.outcome, want.outcome);
    EXPECT_EQ(got.subject, want.subject);
    EXPECT_EQ(got.has_records, want.has_records);
    EXPECT_EQ(got.records, want.records);
    EXPECT_EQ(got.user_agent, want.user_agent);
    EXPECT_EQ(got.service, want.service);
    EXPECT_EQ(got.profession, want.profession);
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTripTest,
                         ::testing::Values(InputFormat::kCsv,
                                           InputFormat::kJsonLines,
                                           InputFormat::kBinary));

// Converts `bytes` (named `name`) into `format` through the reader.
std::string Convert(const std::string& bytes, const std::string& name,
                    InputFormat format) {
  std::string out;
  auto writer = NewStringRecordWriter(&out, format);
  auto reader = NewRecordReaderFromString(bytes, name, ReaderOptions());
  EXPECT_TRUE(reader.ok());
  AccessRecord record;
  RecordError error;
  while ((*reader)->Next(&record, &error) == RecordReader::Result::kRecord) {
    EXPECT_TRUE(writer->Write(record).ok());
  }
  EXPECT_TRUE(writer->Close().ok());
  return out;
}

TEST(RoundTrip, CanonicalCsvThroughBinaryAndJsonIsByteIdentical) {
  const std::string csv = Write(NastyRecords(), InputFormat::kCsv);
  const std::string binary = Convert(csv, "a.csv", InputFormat::kBinary);
  EXPECT_EQ(Convert(binary, "b.pb", InputFormat::kCsv), csv);
  const std::string json = Convert(csv, "a.csv", InputFormat::kJsonLines);
  EXPECT_EQ(Convert(json, "b.jsonl", InputFormat::kCsv), csv);
  EXPECT_EQ(Convert(json, "b.jsonl", InputFormat::kBinary), binary);
}

TEST(RoundTrip, GzipFilesRoundTripThroughOpenRecordWriter) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  ASSERT_NE(tmp, nullptr);
  std::vector<OwnedRecord> records = NastyRecords();
  for (const char* ext : {".csv.gz", ".jsonl.gz", ".pb.gz"}) {
    std::string path = std::string(tmp) + "/events" + ext;
    auto writer = OpenRecordWriter(path, InputFormat::kAuto);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (const OwnedRecord& r : records) ASSERT_TRUE((*writer)->Write(r.View()).ok());
    ASSERT_TRUE((*writer)->Close().ok());
    auto reader = OpenRecordReader(path, ReaderOptions());
    ASSERT_TRUE(reader.ok());
    AccessRecord record;
    RecordError error;
    size_t count = 0;
    while ((*reader)->Next(&record, &error) == RecordReader::Result::kRecord) {
      EXPECT_EQ(record.time_ms, records[count].time_ms) << ext;
      EXPECT_EQ(record.account, records[count].account) << ext;
      ++count;
    }
    EXPECT_EQ(count, records.size()) << ext;
  }
}

TEST(RecordWriter, RefusesAnOutputWhoseFormatCannotBeTold) {
  auto writer = OpenRecordWriter("/tmp/whatever.txt", InputFormat::kAuto);
  EXPECT_EQ(writer.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RecordWriter, ReportsAMissingDirectoryAsNotFound) {
  auto writer =
      OpenRecordWriter("/nonexistent-dir/x.csv", InputFormat::kAuto);
  EXPECT_EQ(writer.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace vigie
