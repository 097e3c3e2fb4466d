// Hardening: randomly damaged logs (flipped bytes, cuts, insertions) never
// crash a reader, never loop, and every record is either accepted with the
// reader's invariants or rejected with a located error. Run under
// --config=asan to catch memory errors.
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "detector/record_reader.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Damage(std::string bytes, std::mt19937_64& random) {
  const int edits = 1 + static_cast<int>(random() % 6);
  for (int i = 0; i < edits && !bytes.empty(); ++i) {
    size_t at = random() % bytes.size();
    switch (random() % 4) {
      case 0: bytes[at] = static_cast<char>(random()); break;
      case 1: bytes.resize(at); break;
      case 2: bytes.insert(at, 1, "\",\n\r{}\"\x80\xff\0"[random() % 10]); break;
      case 3: bytes.erase(at, 1 + random() % 8); break;
    }
  }
  return bytes;
}

void ExpectWellBehaved(const std::string& bytes, const std::string& name) {
  ReaderOptions options;
  options.max_record_bytes = 512;  // Exercise the over-long path too.
  auto reader = NewRecordReaderFromString(bytes, name, options);
  if (!reader.ok()) return;  // E.g. a gzip header too damaged to sniff.
  AccessRecord record;
  RecordError error;
  int calls = 0;
  while (true) {
    ASSERT_LT(++calls, 100000) << "reader does not terminate";
    RecordReader::Result result = (*reader)->Next(&record, &error);
    if (result == RecordReader::Result::kEnd) break;
    if (result == RecordReader::Result::kError) {
      EXPECT_NE(error.code, absl::StatusCode::kOk);
      EXPECT_FALSE(error.reason.empty());
      EXPECT_EQ(error.source, name);
      continue;
    }
    EXPECT_NE(record.time_ms, 0);
    EXPECT_FALSE(record.account.empty());
    if (record.action == Action::kLookup) {
      EXPECT_FALSE(record.subject.empty());
    }
  }
}

TEST(ReaderRobustness, DamagedLogsAreReportedNeverCrash) {
  std::mt19937_64 random(2022);
  for (const char* file : {"events.csv", "events.jsonl", "events.pb"}) {
    const std::string original =
        ReadFile(std::string("tests/data/golden/") + file);
    ASSERT_FALSE(original.empty());
    for (int i = 0; i < 3000; ++i) {
      ExpectWellBehaved(Damage(original, random), file);
      if (HasFatalFailure()) return;
    }
  }
}

TEST(ReaderRobustness, RandomBytesInEveryFormatAreReportedNeverCrash) {
  std::mt19937_64 random(97);
  for (const char* name : {"x.csv", "x.jsonl", "x.pb", "x"}) {
    for (int i = 0; i < 1000; ++i) {
      std::string bytes(random() % 300, '\0');
      for (char& c : bytes) c = static_cast<char>(random());
      ExpectWellBehaved(bytes, name);
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace vigie
