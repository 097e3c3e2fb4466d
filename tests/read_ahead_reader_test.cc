// ReadAheadReader yields exactly what the reader it wraps yields: the same
// records, errors and end, with the same position and byte count after
// each, over the golden logs, every malformed-input file and a larger
// generated log, with batches small enough to cut everywhere; it resumes
// after SeekTo and stops cleanly when dropped half-way.
#include "detector/ingest/read_ahead_reader.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/record_reader.h"
#include "detector/record_writer.h"
#include "gtest/gtest.h"
#include "tests/reader_steps.h"

namespace vigie {
namespace {

std::vector<std::string> TestLogs() {
  std::vector<std::string> paths = {"tests/data/golden/events.csv",
                                    "tests/data/golden/events.jsonl",
                                    "tests/data/golden/events.pb"};
  for (const std::string& path : FilesIn("tests/data/malformed/")) {
    paths.push_back(path);
  }
  return paths;
}

std::vector<std::string> Steps(RecordReader& reader,
                               size_t limit = size_t{1} << 22) {
  return ReaderSteps(reader, RawBytes::kEveryStep, limit);
}

TEST(ReadAheadReader, YieldsWhatTheWrappedReaderYieldsOnEveryTestLog) {
  ReadAheadOptions tiny;
  tiny.batch_records = 2;
  tiny.batch_bytes = 64;
  tiny.max_batches = 1;
  for (const std::string& path : TestLogs()) {
    for (const ReadAheadOptions& options : {tiny, ReadAheadOptions()}) {
      auto plain = OpenRecordReader(path, ReaderOptions());
      auto wrapped = OpenRecordReader(path, ReaderOptions());
      if (!plain.ok()) {
        EXPECT_EQ(wrapped.status(), plain.status()) << path;
        continue;
      }
      ASSERT_TRUE(wrapped.ok()) << path;
      std::unique_ptr<RecordReader> ahead =
          NewReadAheadReader(std::move(*wrapped), options);
      EXPECT_EQ(ahead->format(), (*plain)->format());
      EXPECT_EQ(ahead->source_name(), (*plain)->source_name());
      EXPECT_EQ(Steps(*ahead), Steps(**plain)) << path;
    }
  }
}

std::string WriteGeneratedLog(InputFormat format, int records) {
  const std::string path =
      absl::StrCat(getenv("TEST_TMPDIR"), "/generated.",
                   format == InputFormat::kCsv ? "csv" : "jsonl");
  auto writer = OpenRecordWriter(path, format).value();
  for (int i = 0; i < records; ++i) {
    AccessRecord r;
    r.time_ms = 1646900000000 + i * 250;
    const std::string account = absl::StrCat("dr.", i % 37);
    r.account = account;
    r.ip = IpAddress::Parse(absl::StrCat("10.0.", i % 5, ".", i % 250)).value();
    r.action = i % 9 == 0 ? Action::kLogin : Action::kLookup;
    const std::string subject = absl::StrCat("18505780060", i % 100);
    if (r.action == Action::kLookup) r.subject = subject;
    r.user_agent = "Mozilla/5.0 (X11; Linux x86_64)";
    EXPECT_TRUE(writer->Write(r).ok());
  }
  EXPECT_TRUE(writer->Close().ok());
  return path;
}

TEST(ReadAheadReader, CutsBatchesAnywhereOnALargerLog) {
  for (InputFormat format : {InputFormat::kCsv, InputFormat::kJsonLines}) {
    const std::string path = WriteGeneratedLog(format, 5000);
    for (size_t batch : {1, 7, 1024}) {
      ReadAheadOptions options;
      options.batch_records = batch;
      options.max_batches = 2;
      auto plain = OpenRecordReader(path, ReaderOptions()).value();
      auto ahead = NewReadAheadReader(
          OpenRecordReader(path, ReaderOptions()).value(), options);
      EXPECT_EQ(Steps(*ahead), Steps(*plain)) << path << " batch " << batch;
    }
  }
}

TEST(ReadAheadReader, ResumesAfterSeekToLikeTheWrappedReader) {
  const std::string path = WriteGeneratedLog(InputFormat::kCsv, 1000);
  auto first = OpenRecordReader(path, ReaderOptions()).value();
  Steps(*first, 400);
  const ReadPosition cut = first->position();
  auto plain = OpenRecordReader(path, ReaderOptions()).value();
  ASSERT_TRUE(plain->SeekTo(cut).ok());
  auto ahead = NewReadAheadReader(OpenRecordReader(path, ReaderOptions()).value());
  ASSERT_TRUE(ahead->SeekTo(cut).ok());
  EXPECT_EQ(ahead->position().byte_offset, cut.byte_offset);
  EXPECT_EQ(Steps(*ahead), Steps(*plain));
}

TEST(ReadAheadReader, StopsCleanlyWhenDroppedHalfWay) {
  const std::string path = WriteGeneratedLog(InputFormat::kJsonLines, 20000);
  for (int consumed : {0, 1, 3000}) {
    ReadAheadOptions options;
    options.batch_records = 64;
    options.max_batches = 2;
    auto ahead = NewReadAheadReader(
        OpenRecordReader(path, ReaderOptions()).value(), options);
    EXPECT_EQ(Steps(*ahead, consumed).size(), static_cast<size_t>(consumed));
    // Destroyed here, with its thread blocked on a full queue (or never
    // started): the test would hang or leak under ASan otherwise.
  }
}

}  // namespace
}  // namespace vigie
