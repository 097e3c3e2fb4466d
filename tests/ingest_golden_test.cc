// Golden tests: the same eight events written as CSV, ECS JSON Lines (nested
// and dotted keys) and binary read back as identical records and identical
// hot-path Events, also with CRLF line ends and gzip compression.
#include <zlib.h>

#include <cstdlib>
#include <random>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "detector/ingest/event_encoder.h"
#include "detector/ingest/pseudonymizer.h"
#include "detector/record_reader.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

struct Expected {
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
};

const char kFirefox[] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/98.0";

std::vector<Expected> Golden() {
  return {
      {1646900102123, "dr.martin", "192.0.2.10", Action::kLogin,
       Outcome::kSuccess, "", false, 0, kFirefox, "portal", "gp"},
      {1646900105000, "dr.martin", "192.0.2.10", Action::kLookup,
       Outcome::kSuccess, "185057800608491", true, 1, kFirefox,
       "patient_lookup", "gp"},
      {1646900160000, "dr.martin", "192.0.2.10", Action::kLookup,
       Outcome::kNotFound, "2 85 05 2A 001 001 85", true, 0, kFirefox,
       "patient_lookup", "gp"},
      {1646900220500, "pharma, \"centre\"", "2001:db8::7", Action::kExport,
       Outcome::kSuccess, "", true, 1200, "curl/7.88", "export",
       "pharmacist"},
      {1646900280000, "pharma, \"centre\"", "2001:db8::7", Action::kLogin,
       Outcome::kFailure, "", false, 0, "", "", "pharmacist"},
      {1646900340999, "svc.batch", "198.51.100.1", Action::kPasswordReset,
       Outcome::kSuccess, "", false, 0, "", "", ""},
      {1646900400000, "svc.batch", "198.51.100.1", Action::kMfa,
       Outcome::kFailure, "", false, 0, "", "", ""},
      {1646900460000, "svc.batch", "198.51.100.1", Action::kLogout,
       Outcome::kSuccess, "", false, 0, "", "", ""},
  };
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string Gzip(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = data.size();
  stream.next_out = reinterpret_cast<Bytef*>(&out[0]);
  stream.avail_out = out.size();
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// Reads every record of `bytes`, checks it against the golden table and
// returns the encoded Events.
std::vector<Event> CheckAgainstGolden(const std::string& bytes,
                                      const std::string& name,
                                      ReaderOptions options = ReaderOptions()) {
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      NewRecordReaderFromString(bytes, name, options);
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return {};
  PseudonymKey key;
  for (int i = 0; i < 32; ++i) key.bytes[i] = static_cast<uint8_t>(i);
  Pseudonymizer pseudonymizer(key);
  EventEncoder encoder(&pseudonymizer, EncoderOptions());
  std::vector<Expected> golden = Golden();
  std::vector<Event> events;
  AccessRecord record;
  RecordError error;
  size_t i = 0;
  while (true) {
    RecordReader::Result result = (*reader)->Next(&record, &error);
    if (result == RecordReader::Result::kEnd) break;
    EXPECT_EQ(result, RecordReader::Result::kRecord) << error.ToString();
    if (result != RecordReader::Result::kRecord) continue;
    EXPECT_LT(i, golden.size()) << name;
    if (i >= golden.size()) break;
    const Expected& e = golden[i];
    SCOPED_TRACE(name + " record " + std::to_string(i + 1));
    EXPECT_EQ(record.time_ms, e.time_ms);
    EXPECT_EQ(record.account, e.account);
    EXPECT_EQ(record.ip.ToString(), e.ip);
    EXPECT_EQ(record.action, e.action);
    EXPECT_EQ(record.outcome, e.outcome);
    EXPECT_EQ(record.subject, e.subject);
    EXPECT_EQ(record.has_records, e.has_records);
    EXPECT_EQ(record.records, e.records);
    EXPECT_EQ(record.user_agent, e.user_agent);
    EXPECT_EQ(record.service, e.service);
    EXPECT_EQ(record.profession, e.profession);
    Event event;
    encoder.Encode(record, &event);
    events.push_back(event);
    ++i;
  }
  EXPECT_EQ(i, golden.size()) << name;
  return events;
}

void ExpectSameEvents(const std::vector<Event>& a, const std::vector<Event>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(a[i].time_ms, b[i].time_ms);
    EXPECT_EQ(a[i].ip, b[i].ip);
    EXPECT_EQ(a[i].subject, b[i].subject);
    EXPECT_EQ(a[i].user_agent_hash, b[i].user_agent_hash);
    EXPECT_EQ(a[i].account, b[i].account);
    EXPECT_EQ(a[i].service, b[i].service);
    EXPECT_EQ(a[i].profession, b[i].profession);
    EXPECT_EQ(a[i].nir_prefix, b[i].nir_prefix);
    EXPECT_EQ(a[i].nir_order, b[i].nir_order);
    EXPECT_EQ(a[i].records, b[i].records);
    EXPECT_EQ(a[i].has_records, b[i].has_records);
    EXPECT_EQ(a[i].action, b[i].action);
    EXPECT_EQ(a[i].outcome, b[i].outcome);
    EXPECT_EQ(a[i].subject_flags, b[i].subject_flags);
  }
}

const char kGolden[] = "tests/data/golden/";

TEST(IngestGolden, CsvMatchesTheGoldenTable) {
  CheckAgainstGolden(ReadFile(std::string(kGolden) + "events.csv"),
                     "events.csv");
}

TEST(IngestGolden, JsonLinesMatchesTheGoldenTable) {
  CheckAgainstGolden(ReadFile(std::string(kGolden) + "events.jsonl"),
                     "events.jsonl");
}

TEST(IngestGolden, BinaryMatchesTheGoldenTable) {
  CheckAgainstGolden(ReadFile(std::string(kGolden) + "events.pb"),
                     "events.pb");
}

TEST(IngestGolden, AllFormatsGiveIdenticalEvents) {
  std::vector<Event> csv = CheckAgainstGolden(
      ReadFile(std::string(kGolden) + "events.csv"), "events.csv");
  std::vector<Event> json = CheckAgainstGolden(
      ReadFile(std::string(kGolden) + "events.jsonl"), "events.jsonl");
  std::vector<Event> binary = CheckAgainstGolden(
      ReadFile(std::string(kGolden) + "events.pb"), "events.pb");
  ExpectSameEvents(csv, json);
  ExpectSameEvents(csv, binary);
}

TEST(IngestGolden, CrlfLineEndsReadTheSame) {
  std::string csv = ReadFile(std::string(kGolden) + "events.csv");
  std::string json = ReadFile(std::string(kGolden) + "events.jsonl");
  ExpectSameEvents(
      CheckAgainstGolden(csv, "a.csv"),
      CheckAgainstGolden(absl::StrReplaceAll(csv, {{"\n", "\r\n"}}), "b.csv"));
  ExpectSameEvents(
      CheckAgainstGolden(json, "a.jsonl"),
      CheckAgainstGolden(absl::StrReplaceAll(json, {{"\n", "\r\n"}}),
                         "b.jsonl"));
}

TEST(IngestGolden, GzipInputIsReadTransparentlyInEveryFormat) {
  for (const char* name : {"events.csv", "events.jsonl", "events.pb"}) {
    std::string plain = ReadFile(std::string(kGolden) + name);
    std::string compressed = Gzip(plain);
    // Two gzip members back to back read as their concatenation.
    ExpectSameEvents(CheckAgainstGolden(plain, name),
                     CheckAgainstGolden(compressed, std::string(name) + ".gz"));
  }
}

TEST(IngestGolden, TinyChunksGiveTheSameRecords) {
  // Records straddle every possible chunk boundary.
  ReaderOptions options;
  options.chunk_bytes = 1;  // Raised to the 4 KiB minimum; use small data.
  for (const char* name : {"events.csv", "events.jsonl", "events.pb"}) {
    std::string plain = ReadFile(std::string(kGolden) + name);
    std::string repeated;
    for (int i = 0; i < 40; ++i) repeated += plain;
    absl::StatusOr<std::unique_ptr<RecordReader>> reader =
        NewRecordReaderFromString(repeated, name, options);
    ASSERT_TRUE(reader.ok());
    AccessRecord record;
    RecordError error;
    int records = 0;
    int errors = 0;
    while (true) {
      RecordReader::Result result = (*reader)->Next(&record, &error);
      if (result == RecordReader::Result::kEnd) break;
      if (result == RecordReader::Result::kError) {
        ++errors;  // Repeated CSV headers are rejected as records.
        continue;
      }
      ++records;
    }
    EXPECT_EQ(records, 8 * 40) << name;
    EXPECT_EQ(errors, std::string(name) == "events.csv" ? 39 : 0) << name;
  }
}

// CSV text fields with every quoting the format allows (commas, doubled
// quotes, CR and LF inside quotes, quotes where none are needed, CRLF line
// ends) read back as written, and a rejected record is reported at the
// line it starts on, in chunks large and small.
TEST(IngestGolden, CsvFieldsReadBackWhateverTheirQuoting) {
  std::mt19937_64 random(7);
  const std::vector<std::string> pieces = {
      "dr", ".", "martin", " ", ",", "\"", "é", "x", "Mozilla/5.0", ";",
      "(KHTML, like Gecko)", "\r", "\n", "0123456789abcdef0123"};
  auto text = [&](int max_pieces, bool allow_line_breaks) {
    std::string out;
    const int n = 1 + static_cast<int>(random() % max_pieces);
    for (int i = 0; i < n; ++i) {
      const std::string& piece = pieces[random() % pieces.size()];
      if (!allow_line_breaks && (piece == "\r" || piece == "\n")) continue;
      out += piece;
    }
    return out.empty() ? std::string("a") : out;
  };
  auto field = [&](const std::string& value) {
    const bool needs_quotes =
        value.find_first_of(",\"\r\n") != std::string::npos;
    if (!needs_quotes && random() % 4 != 0) return value;
    return "\"" + absl::StrReplaceAll(value, {{"\"", "\"\""}}) + "\"";
  };
  struct Written {
    std::string account, user_agent, service;
    int64_t line = 0;
    bool bad = false;
  };
  std::string csv = "time,account,ip,action,outcome,user_agent,service\n";
  std::vector<Written> written;
  int64_t line = 2;
  for (int i = 0; i < 3000; ++i) {
    Written w;
    // Account names and services stay on one line; user agents may not.
    w.account = text(4, false);
    w.user_agent = text(6, true);
    w.service = text(2, false);
    w.bad = random() % 40 == 0;
    w.line = line;
    const std::string eol = random() % 5 == 0 ? "\r\n" : "\n";
    const std::string record =
        std::string(w.bad ? "yesterday" : "2022-03-10T08:00:00Z") + "," +
        field(w.account) + ",192.0.2.1,login,success," +
        field(w.user_agent) + "," + field(w.service) + eol;
    line += std::count(record.begin(), record.end(), '\n');
    csv += record;
    written.push_back(std::move(w));
  }
  for (const size_t chunk : {size_t{1}, size_t{1} << 20}) {
    ReaderOptions options;
    options.chunk_bytes = chunk;  // 1 is raised to the 4 KiB minimum.
    absl::StatusOr<std::unique_ptr<RecordReader>> reader =
        NewRecordReaderFromString(csv, "fields.csv", options);
    ASSERT_TRUE(reader.ok()) << reader.status();
    AccessRecord record;
    RecordError error;
    for (const Written& w : written) {
      const RecordReader::Result result = (*reader)->Next(&record, &error);
      if (w.bad) {
        ASSERT_EQ(result, RecordReader::Result::kError) << "line " << w.line;
        EXPECT_EQ(error.position, w.line);
        EXPECT_EQ(error.field, "time");
        continue;
      }
      ASSERT_EQ(result, RecordReader::Result::kRecord)
          << "line " << w.line << ": " << error.reason;
      EXPECT_EQ(record.account, w.account) << "line " << w.line;
      EXPECT_EQ(record.user_agent, w.user_agent) << "line " << w.line;
      EXPECT_EQ(record.service, w.service) << "line " << w.line;
    }
    EXPECT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kEnd);
  }
}

// The JSON Lines reader trusts simdjson for UTF-8 (it does not check the
// texts again): escapes must decode to valid UTF-8 or the line is refused.
TEST(IngestGolden, JsonLinesEscapesDecodeToValidUtf8OrAreRefused) {
  auto line = [](const std::string& name) {
    return "{\"@timestamp\":\"2022-03-10T08:00:00Z\",\"user\":{\"name\":\"" +
           name +
           "\"},\"source\":{\"ip\":\"192.0.2.1\"},"
           "\"event\":{\"action\":\"login\"}}\n";
  };
  const std::string jsonl = line("a\\ud83d\\ude00") +  // A surrogate pair.
                            line("b\\ud800") +          // A lone high one.
                            line("c\\udc00x") +         // A lone low one.
                            line("d\\u00e9\\n") +       // é and a newline.
                            line("e\xff");              // Not UTF-8 at all.
  for (const int threads : {1, 2}) {
    ReaderOptions options;
    options.parse_threads = threads;
    absl::StatusOr<std::unique_ptr<RecordReader>> reader =
        NewRecordReaderFromString(jsonl, "escapes.jsonl", options);
    ASSERT_TRUE(reader.ok()) << reader.status();
    AccessRecord record;
    RecordError error;
    ASSERT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kRecord);
    EXPECT_EQ(record.account, "a\xf0\x9f\x98\x80");
    for (const int64_t bad_line : {2, 3}) {
      ASSERT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kError);
      EXPECT_EQ(error.position, bad_line);
      EXPECT_NE(error.reason.find("invalid JSON"), std::string::npos)
          << error.reason;
    }
    ASSERT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kRecord);
    EXPECT_EQ(record.account, "d\xc3\xa9\n");
    ASSERT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kError);
    EXPECT_EQ(error.position, 5);
    EXPECT_EQ(error.reason, "invalid UTF-8");
    EXPECT_EQ((*reader)->Next(&record, &error), RecordReader::Result::kEnd);
  }
}

TEST(IngestGolden, FormatIsSniffedWhenTheNameSaysNothing) {
  for (const char* name : {"events.csv", "events.jsonl", "events.pb"}) {
    std::string plain = ReadFile(std::string(kGolden) + name);
    absl::StatusOr<std::unique_ptr<RecordReader>> reader =
        NewRecordReaderFromString(plain, "no_extension", ReaderOptions());
    ASSERT_TRUE(reader.ok());
    InputFormat expected = InputFormatFromPath(name);
    EXPECT_EQ((*reader)->format(), expected) << name;
  }
}

}  // namespace
}  // namespace vigie
