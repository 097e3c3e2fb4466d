// RecordReader::position / SeekTo: a reader opened on the same input and
// moved to where another stood continues exactly as that one would have
// (same records, same errors with the same line or record numbers), for
// every format, plain and gzip, from every cut point; plain files seek
// instead of reading; an input that changed is refused with DataLoss.
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/record_reader.h"
#include "gtest/gtest.h"
#include "tests/test_files.h"

namespace vigie {
namespace {

using testing_files::TmpPath;
using testing_files::WriteFile;

void WriteGzip(const std::string& path, const std::string& bytes) {
  ASSERT_TRUE(testing_files::WriteGzipFile(path, bytes)) << path;
}

// One Next() result as text: the record's fields or the error line.
std::string Describe(RecordReader::Result result, const AccessRecord& record,
                     const RecordError& error) {
  switch (result) {
    case RecordReader::Result::kRecord:
      return absl::StrCat("record ", record.time_ms, " ", record.account, " ",
                          record.ip.ToString(), " ",
                          static_cast<int>(record.action), " ",
                          static_cast<int>(record.outcome), " ",
                          record.subject, " ", record.records, " ",
                          record.user_agent, " ", record.service, " ",
                          record.profession);
    case RecordReader::Result::kError:
      return absl::StrCat("error ", error.ToString(), error.fatal ? " (fatal)" : "");
    case RecordReader::Result::kEnd:
      return "end";
  }
  return "";
}

// Every Next() result to the end, and the position before each.
struct Reading {
  std::vector<std::string> results;
  std::vector<ReadPosition> positions;
  // Cuts after this many results are meaningless: the reader stopped at a
  // fatal error (a replay does not resume an input it finished).
  size_t resumable = 0;
};

// Compares a resumed reading with the tail of the full one, naming the
// first difference (whole vectors are too long to read in a failure).
::testing::AssertionResult SameTail(const std::vector<std::string>& rest,
                                    const std::vector<std::string>& full,
                                    size_t cut) {
  for (size_t i = 0; cut + i < full.size() || i < rest.size(); ++i) {
    const std::string want = cut + i < full.size() ? full[cut + i] : "<none>";
    const std::string got = i < rest.size() ? rest[i] : "<none>";
    if (want != got) {
      return ::testing::AssertionFailure()
             << "cut after " << cut << " results, result " << cut + i
             << ": expected \"" << want << "\", got \"" << got << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

Reading ReadAll(RecordReader& reader) {
  Reading reading;
  AccessRecord record;
  RecordError error;
  while (true) {
    reading.positions.push_back(reader.position());
    RecordReader::Result result = reader.Next(&record, &error);
    reading.results.push_back(Describe(result, record, error));
    if (result == RecordReader::Result::kEnd) break;
    if (result == RecordReader::Result::kError && error.fatal) break;
  }
  reading.resumable = reading.results.size();
  return reading;
}

ReaderOptions SmallChunks() {
  ReaderOptions options;
  options.chunk_bytes = 4096;  // Records straddle refills.
  options.max_record_bytes = 300;
  return options;
}

// Reopens `path` at every cut and checks the rest of the reading.
void ExpectResumesFromEveryCut(const std::string& path) {
  SCOPED_TRACE(path);
  auto reader = OpenRecordReader(path, SmallChunks());
  ASSERT_TRUE(reader.ok()) << reader.status();
  const Reading full = ReadAll(**reader);
  ASSERT_GT(full.results.size(), 100u);
  for (size_t cut = 0; cut < full.resumable; cut += cut < 40 ? 1 : 7) {
    auto resumed = OpenRecordReader(path, SmallChunks());
    ASSERT_TRUE(resumed.ok());
    ASSERT_TRUE((*resumed)->SeekTo(full.positions[cut]).ok()) << cut;
    const Reading rest = ReadAll(**resumed);
    ASSERT_TRUE(SameTail(rest.results, full.results, cut));
  }
}

// 1,500 CSV records (a quoted field with a newline, a BOM, CRLF) with bad
// records of several kinds among them.
std::string CsvLog() {
  std::string csv = "\xEF\xBB\xBFtime,account,ip,action,subject,user_agent\r\n";
  for (int i = 0; i < 1500; ++i) {
    if (i % 97 == 5) {
      csv += absl::StrCat("2022-13-01T00:00:00Z,bad", i, ",192.0.2.1,login,,x\n");
    } else if (i % 131 == 7) {
      csv += "1646900000000,\"unbalanced,192.0.2.1,login,,x\n";
    } else if (i % 151 == 3) {
      csv += absl::StrCat(1646900000000 + i, ",", std::string(400, 'l'), "\n");
    } else {
      csv += absl::StrCat(1646900000000 + i * 10, ",user", i % 37,
                          ",192.0.2.", i % 250, ",lookup,18505780060",
                          1000 + i, ",\"Mozilla\n", i, "\"\r\n");
    }
  }
  return csv;
}

std::string JsonLinesLog() {
  std::string jsonl;
  for (int i = 0; i < 1500; ++i) {
    if (i % 89 == 4) {
      jsonl += "{\"@timestamp\": 5, not json\n";
    } else if (i % 101 == 9) {
      jsonl += "\n";  // Blank lines are skipped.
    } else {
      jsonl += absl::StrCat(R"({"@timestamp":)", 1646900000000 + i * 10,
                            R"(,"user":{"name":"user)", i % 41,
                            R"("},"source.ip":"2001:db8::)", i % 300,
                            R"(","event.action":"login"})", "\n");
    }
  }
  return jsonl;
}

std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

// Length-delimited AccessEvent records, some with an unknown action.
std::string BinaryLog() {
  std::string log;
  for (int i = 0; i < 1500; ++i) {
    const std::string account = absl::StrCat("user", i % 43);
    std::string message = "\x08" + Varint(1646900000000 + i * 10);
    message += "\x12" + Varint(account.size()) + account;
    message += std::string("\x1a\x04\xc0\x00\x02", 5) +
               static_cast<char>(i % 250);
    message += "\x20" + Varint(i % 113 == 2 ? 9 : 1);
    log += Varint(message.size()) + message;
  }
  return log;
}

// The log as `name`, plain and gzipped, resumed from every cut.
void ExpectPlainAndGzipResume(const std::string& name, const std::string& log) {
  WriteFile(TmpPath(name), log);
  ExpectResumesFromEveryCut(TmpPath(name));
  WriteGzip(TmpPath(name + ".gz"), log);
  ExpectResumesFromEveryCut(TmpPath(name + ".gz"));
}

TEST(ReaderResume, CsvContinuesExactlyFromEveryCut) {
  ExpectPlainAndGzipResume("resume.csv", CsvLog());
}

TEST(ReaderResume, JsonLinesContinueExactlyFromEveryCut) {
  ExpectPlainAndGzipResume("resume.jsonl", JsonLinesLog());
}

TEST(ReaderResume, BinaryContinuesExactlyFromEveryCut) {
  ExpectPlainAndGzipResume("resume.pb", BinaryLog());
}

TEST(ReaderResume, AFormatToldFromTheFirstBytesResumesToo) {
  // No telling extension: the format is sniffed again on reopening.
  WriteFile(TmpPath("resume_sniffed"), BinaryLog());
  ExpectResumesFromEveryCut(TmpPath("resume_sniffed"));
}

TEST(ReaderResume, APlainFileSeeksInsteadOfReading) {
  WriteFile(TmpPath("seek.csv"), CsvLog());
  auto reader = OpenRecordReader(TmpPath("seek.csv"), SmallChunks());
  ASSERT_TRUE(reader.ok());
  const Reading full = ReadAll(**reader);
  const ReadPosition late = full.positions[full.positions.size() - 20];
  auto resumed = OpenRecordReader(TmpPath("seek.csv"), SmallChunks());
  ASSERT_TRUE(resumed.ok());
  ASSERT_TRUE((*resumed)->SeekTo(late).ok());
  // The format sniff and the header read take one chunk (4 KiB, plus the
  // 2-byte gzip check); the rest of the way is a seek.
  EXPECT_LE((*resumed)->raw_bytes_read(), late.byte_offset);
  AccessRecord record;
  RecordError error;
  (*resumed)->Next(&record, &error);
  EXPECT_LE((*resumed)->raw_bytes_read(), late.byte_offset + 4096 + 2);
}

TEST(ReaderResume, AnInputThatEndsBeforeThePositionIsDataLoss) {
  const std::string csv = CsvLog();
  WriteFile(TmpPath("shrunk.csv"), csv);
  auto reader = OpenRecordReader(TmpPath("shrunk.csv"), SmallChunks());
  ASSERT_TRUE(reader.ok());
  const Reading full = ReadAll(**reader);
  const ReadPosition late = full.positions[full.positions.size() - 2];
  for (bool gzip : {false, true}) {
    const std::string path = TmpPath(gzip ? "shrunk.csv.gz" : "shrunk.csv");
    if (gzip) {
      WriteGzip(path, csv.substr(0, csv.size() / 2));
    } else {
      WriteFile(path, csv.substr(0, csv.size() / 2));
    }
    auto resumed = OpenRecordReader(path, SmallChunks());
    ASSERT_TRUE(resumed.ok());
    absl::Status status = (*resumed)->SeekTo(late);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << path;
    EXPECT_NE(status.message().find("the input changed"),
              absl::string_view::npos)
        << status;
  }
}

TEST(ReaderResume, ACsvWhoseHeaderChangedIsDataLoss) {
  WriteFile(TmpPath("header.csv"), CsvLog());
  auto reader = OpenRecordReader(TmpPath("header.csv"), SmallChunks());
  ASSERT_TRUE(reader.ok());
  const Reading full = ReadAll(**reader);
  std::string changed = CsvLog();
  changed.replace(changed.find("account"), 7, "acc0unt");
  WriteFile(TmpPath("header.csv"), changed);
  auto resumed = OpenRecordReader(TmpPath("header.csv"), SmallChunks());
  ASSERT_TRUE(resumed.ok());
  absl::Status status = (*resumed)->SeekTo(full.positions[50]);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("missing required column 'account'"),
            absl::string_view::npos)
      << status;
}

TEST(ReaderResume, DamagedLogsResumeLikeTheyRead) {
  // Random damage (as in reader_robustness_test) must not break resuming:
  // whatever the reader made of the bytes, it makes again from a cut.
  std::mt19937_64 random(20240607);
  const std::string logs[] = {CsvLog(), JsonLinesLog(), BinaryLog()};
  const char* names[] = {"damaged.csv", "damaged.jsonl", "damaged.pb"};
  for (int round = 0; round < 30; ++round) {
    const int which = round % 3;
    std::string bytes = logs[which];
    for (int edit = 0; edit < 4; ++edit) {
      const size_t at = random() % bytes.size();
      switch (random() % 3) {
        case 0: bytes[at] = static_cast<char>(random()); break;
        case 1: bytes.insert(at, 1, "\",\n\r{}\x80\xff"[random() % 8]); break;
        case 2: bytes.erase(at, 1 + random() % 8); break;
      }
    }
    auto reader = NewRecordReaderFromString(bytes, names[which], SmallChunks());
    ASSERT_TRUE(reader.ok());
    const Reading full = ReadAll(**reader);
    for (int k = 0; k < 5; ++k) {
      const size_t cut = random() % full.resumable;
      auto resumed =
          NewRecordReaderFromString(bytes, names[which], SmallChunks());
      ASSERT_TRUE(resumed.ok());
      ASSERT_TRUE((*resumed)->SeekTo(full.positions[cut]).ok());
      ASSERT_TRUE(SameTail(ReadAll(**resumed).results, full.results, cut))
          << names[which] << " round " << round;
    }
  }
}

}  // namespace
}  // namespace vigie
