// The malformed-input corpus (tests/data/malformed/): one file per failure
// kind. Each test asserts the exact error (code and message) and that
// lenient reading skips exactly the bad record and keeps the others.
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/record_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

constexpr char kDir[] = "tests/data/malformed/";

struct ReadOutcome {
  std::vector<int64_t> record_times;
  std::vector<RecordError> errors;
};

ReadOutcome ReadAll(const std::string& name,
                    ReaderOptions options = ReaderOptions()) {
  ReadOutcome outcome;
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      OpenRecordReader(absl::StrCat(kDir, name), options);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return outcome;
  AccessRecord record;
  RecordError error;
  for (int guard = 0; guard < 100000; ++guard) {
    RecordReader::Result result = (*reader)->Next(&record, &error);
    if (result == RecordReader::Result::kEnd) break;
    if (result == RecordReader::Result::kError) {
      outcome.errors.push_back(error);
    } else {
      outcome.record_times.push_back(record.time_ms);
    }
  }
  return outcome;
}

struct Case;
std::string CaseName(const ::testing::TestParamInfo<Case>& info);

struct Case {
  const char* file;
  absl::StatusCode code;
  const char* message;  // Without the directory prefix.
  int records;          // Accepted in lenient mode.
  bool fatal;
};

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.file;
  for (char& ch : name) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

class MalformedCorpusTest : public ::testing::TestWithParam<Case> {};

TEST_P(MalformedCorpusTest, ReportsTheExactErrorAndSkipsOnlyThatRecord) {
  const Case& c = GetParam();
  ReadOutcome outcome = ReadAll(c.file);
  ASSERT_EQ(outcome.errors.size(), 1u) << c.file;
  const RecordError& error = outcome.errors[0];
  EXPECT_EQ(error.code, c.code) << c.file;
  EXPECT_EQ(error.ToString(), absl::StrCat(kDir, c.message));
  EXPECT_EQ(error.ToStatus().code(), c.code);
  EXPECT_EQ(error.fatal, c.fatal);
  EXPECT_EQ(static_cast<int>(outcome.record_times.size()), c.records)
      << c.file;
}

// Every corpus CSV has a header, valid lines 2, 3, 5, 6 and the bad line 4.
INSTANTIATE_TEST_SUITE_P(
    Csv, MalformedCorpusTest,
    ::testing::Values(
        Case{"bad_time.csv", absl::StatusCode::kInvalidArgument,
             "bad_time.csv:4: field 'time': \"yesterday\": not an RFC 3339 "
             "time or epoch milliseconds",
             4, false},
        // Epoch milliseconds are any integer: beyond the years 0000 to
        // 9999 the engine's time arithmetic could overflow.
        Case{"time_out_of_range.csv", absl::StatusCode::kInvalidArgument,
             "time_out_of_range.csv:4: field 'time': "
             "\"-9999999999999999\": outside the years 0000 to 9999 (UTC)",
             4, false},
        Case{"month_out_of_range.csv", absl::StatusCode::kInvalidArgument,
             "month_out_of_range.csv:4: field 'time': "
             "\"2022-13-01T00:00:00Z\": month out of range",
             4, false},
        Case{"day_out_of_range.csv", absl::StatusCode::kInvalidArgument,
             "day_out_of_range.csv:4: field 'time': "
             "\"2023-02-29T10:00:00Z\": day out of range",
             4, false},
        Case{"bad_ip.csv", absl::StatusCode::kInvalidArgument,
             "bad_ip.csv:4: field 'ip': \"192.0.2.256\": not an IPv4 or IPv6 "
             "address",
             4, false},
        Case{"unknown_action.csv", absl::StatusCode::kInvalidArgument,
             "unknown_action.csv:4: field 'action': \"delete\": unknown "
             "action (expected login, lookup, export, logout, password_reset "
             "or mfa)",
             4, false},
        Case{"unknown_outcome.csv", absl::StatusCode::kInvalidArgument,
             "unknown_outcome.csv:4: field 'outcome': \"maybe\": unknown "
             "outcome (expected success, failure or not_found)",
             4, false},
        Case{"missing_subject.csv", absl::StatusCode::kInvalidArgument,
             "missing_subject.csv:4: field 'subject': missing on a lookup", 4,
             false},
        Case{"missing_account.csv", absl::StatusCode::kInvalidArgument,
             "missing_account.csv:4: field 'account': missing required value",
             4, false},
        Case{"unbalanced_quote.csv", absl::StatusCode::kInvalidArgument,
             "unbalanced_quote.csv:4: unbalanced quote", 4, false},
        Case{"wrong_column_count.csv", absl::StatusCode::kInvalidArgument,
             "wrong_column_count.csv:4: 8 columns: wrong column count: "
             "expected 7",
             4, false},
        Case{"invalid_utf8.csv", absl::StatusCode::kInvalidArgument,
             "invalid_utf8.csv:4: field 'user_agent': invalid UTF-8", 4,
             false},
        Case{"bad_records.csv", absl::StatusCode::kInvalidArgument,
             "bad_records.csv:3: field 'records': \"1e6\": not a "
             "non-negative integer",
             2, false},
        Case{"missing_required_column.csv",
             absl::StatusCode::kInvalidArgument,
             "missing_required_column.csv:1: header: missing required column "
             "'ip'",
             0, true},
        Case{"empty.csv", absl::StatusCode::kInvalidArgument,
             "empty.csv:1: empty input: expected a header row", 0, true},
        // A 1 MiB line (stored compressed: 1 KiB on disk).
        Case{"long_line.csv.gz", absl::StatusCode::kInvalidArgument,
             "long_line.csv.gz:3: record longer than 65536 bytes", 2, false}),
    CaseName);

TEST(MalformedCsv, AByteOrderMarkIsSkippedInAFileNamedCsv) {
  // Opened by name (no format sniffing), the first read returns only the
  // two bytes of the gzip check.
  const std::string path =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/bom.csv");
  std::ofstream(path) << "\xEF\xBB\xBFtime,account,ip,action\n"
                         "1000,a,192.0.2.1,login\n";
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      OpenRecordReader(path, ReaderOptions());
  ASSERT_TRUE(reader.ok());
  AccessRecord record;
  RecordError error;
  ASSERT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kRecord)
      << error.ToString();
  EXPECT_EQ(record.time_ms, 1000);
}

TEST(MalformedCsv, AnOverLongRecordIsRejectedEvenWhenItFitsInTheWindow) {
  // The whole file fits in one chunk: the limit must hold anyway, or the
  // verdict would depend on where chunks end (and a resumed replay could
  // report the record differently).
  const std::string csv = absl::StrCat(
      "time,account,ip,action\n1000,a,192.0.2.1,login\n2000,",
      std::string(400, 'x'), ",192.0.2.1,login\n3000,a,192.0.2.1,login\n");
  ReaderOptions options;
  options.max_record_bytes = 300;
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      NewRecordReaderFromString(csv, "long.csv", options);
  ASSERT_TRUE(reader.ok());
  AccessRecord record;
  RecordError error;
  std::vector<std::string> results;
  while (true) {
    RecordReader::Result result = (*reader)->Next(&record, &error);
    if (result == RecordReader::Result::kEnd) break;
    results.push_back(result == RecordReader::Result::kRecord
                          ? absl::StrCat(record.time_ms)
                          : error.ToString());
  }
  EXPECT_THAT(results,
              ::testing::ElementsAre(
                  "1000", "long.csv:3: record longer than 300 bytes", "3000"));
}

TEST(MalformedCsv, HeaderOnlyFileHasNoRecordsAndNoError) {
  ReadOutcome outcome = ReadAll("header_only.csv");
  EXPECT_TRUE(outcome.errors.empty());
  EXPECT_TRUE(outcome.record_times.empty());
}

TEST(MalformedCsv, AMegabyteLineIsRejectedAndReadingResumesAfterIt) {
  std::string text = "time,account,ip,action\n";
  text += "2022-03-10T08:15:02Z,a,192.0.2.1,login\n";
  text += "2022-03-10T08:15:03Z," + std::string(1 << 20, 'x') +
          ",192.0.2.1,login\n";
  text += "2022-03-10T08:15:04Z,b,192.0.2.1,login\n";
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      NewRecordReaderFromString(text, "long.csv", ReaderOptions());
  ASSERT_TRUE(reader.ok());
  AccessRecord record;
  RecordError error;
  ASSERT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kRecord);
  EXPECT_EQ(record.account, "a");
  ASSERT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kError);
  EXPECT_EQ(error.code, absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error.ToString(), "long.csv:3: record longer than 65536 bytes");
  EXPECT_FALSE(error.fatal);
  ASSERT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kRecord);
  EXPECT_EQ(record.account, "b");
  EXPECT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kEnd);
}

TEST(MalformedCsv, AMegabyteJsonLineIsRejectedAndReadingResumesAfterIt) {
  std::string good =
      R"({"@timestamp":"2022-03-10T08:15:02Z","user.name":"a","source.ip":"192.0.2.1","event.action":"login"})";
  std::string text = good + "\n{\"x\":\"" + std::string(1 << 20, 'x') +
                     "\"}\n" + good + "\n";
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      NewRecordReaderFromString(text, "long.jsonl", ReaderOptions());
  ASSERT_TRUE(reader.ok());
  AccessRecord record;
  RecordError error;
  ASSERT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kRecord);
  ASSERT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kError);
  EXPECT_EQ(error.ToString(), "long.jsonl:2: record longer than 65536 bytes");
  ASSERT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kRecord);
  EXPECT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kEnd);
}

TEST(MalformedCsv, TruncatedGzipKeepsTheRecordsBeforeTheCutAndFailsFatally) {
  ReadOutcome outcome = ReadAll("truncated_gzip.csv.gz");
  ASSERT_EQ(outcome.errors.size(), 1u);
  const RecordError& error = outcome.errors[0];
  EXPECT_EQ(error.code, absl::StatusCode::kDataLoss);
  EXPECT_TRUE(error.fatal);
  EXPECT_THAT(error.ToString(),
              ::testing::MatchesRegex(
                  "tests/data/malformed/truncated_gzip.csv.gz:[0-9]+: "
                  "truncated gzip stream \\(the file ends inside compressed "
                  "data\\)"));
  // Half of the compressed file holds a good share of the 205 records.
  EXPECT_GT(outcome.record_times.size(), 20u);
  EXPECT_LT(outcome.record_times.size(), 205u);
}

// Every corpus JSON Lines file has valid lines 1, 2, 4 and the bad line 3.
INSTANTIATE_TEST_SUITE_P(
    JsonLines, MalformedCorpusTest,
    ::testing::Values(
        Case{"bad_json.jsonl", absl::StatusCode::kInvalidArgument,
             "bad_json.jsonl:3: invalid JSON: JSON document ended early in "
             "the middle of an object or array.",
             3, false},
        Case{"not_an_object.jsonl", absl::StatusCode::kInvalidArgument,
             "not_an_object.jsonl:3: not a JSON object", 3, false},
        Case{"duplicate_field.jsonl", absl::StatusCode::kInvalidArgument,
             "duplicate_field.jsonl:3: field 'user.name': duplicate field", 3,
             false},
        Case{"wrong_type.jsonl", absl::StatusCode::kInvalidArgument,
             "wrong_type.jsonl:3: field 'user.name': expected a string", 3,
             false},
        Case{"month_out_of_range.jsonl", absl::StatusCode::kInvalidArgument,
             "month_out_of_range.jsonl:3: field '@timestamp': "
             "\"2022-13-01T00:00:00Z\": month out of range",
             3, false},
        Case{"invalid_utf8.jsonl", absl::StatusCode::kInvalidArgument,
             "invalid_utf8.jsonl:3: invalid UTF-8", 3, false}),
    CaseName);

}  // namespace
}  // namespace vigie

namespace vigie {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Binary, MalformedCorpusTest,
    ::testing::Values(
        Case{"truncated_record.pb", absl::StatusCode::kDataLoss,
             "truncated_record.pb: record 4: truncated record: 26 bytes "
             "announced, 21 present",
             3, true},
        Case{"oversized_length.pb", absl::StatusCode::kDataLoss,
             "oversized_length.pb: record 4: record length 4294967296 exceeds "
             "the limit of 65536 bytes",
             3, true},
        Case{"bad_ip_length.pb", absl::StatusCode::kInvalidArgument,
             "bad_ip_length.pb: record 2: field 'ip': \"3 bytes\": expected 4 "
             "or 16 bytes",
             3, false},
        Case{"unknown_action.pb", absl::StatusCode::kInvalidArgument,
             "unknown_action.pb: record 2: field 'action': \"17\": unknown "
             "action",
             3, false},
        Case{"missing_subject.pb", absl::StatusCode::kInvalidArgument,
             "missing_subject.pb: record 2: field 'subject': missing on a "
             "lookup",
             3, false},
        Case{"invalid_utf8.pb", absl::StatusCode::kInvalidArgument,
             "invalid_utf8.pb: record 2: field 'account': invalid UTF-8", 3,
             false},
        Case{"time_out_of_range.pb", absl::StatusCode::kInvalidArgument,
             "time_out_of_range.pb: record 2: field 'time': "
             "\"-9223372036854775807\": outside the years 0000 to 9999 (UTC)",
             3, false}),
    CaseName);

}  // namespace
}  // namespace vigie
