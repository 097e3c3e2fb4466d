// The parallel JSON Lines reader (ReaderOptions::parse_threads > 1) yields
// exactly what the one-thread reader yields: the same records, errors and
// end, at the same positions, on every JSON Lines test log and on a
// generated log full of chunk-edge cases (over-long lines longer than the
// input window, blank lines, CRLF, no final newline, bad lines), with
// chunks as small as the reader allows; also through a truncated gzip
// stream, after SeekTo, and when dropped half-way.
#include <zlib.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "detector/record_reader.h"
#include "gtest/gtest.h"
#include "tests/reader_steps.h"

namespace vigie {
namespace {

std::vector<std::string> Steps(RecordReader& reader,
                               size_t limit = size_t{1} << 22) {
  return ReaderSteps(reader, RawBytes::kAtEnd, limit);
}

ReaderOptions Options(int threads, size_t max_record_bytes = 64 * 1024) {
  ReaderOptions options;
  options.format = InputFormat::kJsonLines;
  options.chunk_bytes = 1;  // Raised to the 4 KiB minimum: many chunks.
  options.max_record_bytes = max_record_bytes;
  options.parse_threads = threads;
  return options;
}

std::vector<std::string> JsonLinesTestLogs() {
  std::vector<std::string> paths = {"tests/data/golden/events.jsonl"};
  for (const std::string& path : FilesIn("tests/data/malformed/")) {
    if (absl::EndsWith(path, ".jsonl")) paths.push_back(path);
  }
  return paths;
}

TEST(ParallelJsonLinesReader, YieldsWhatOneThreadYieldsOnEveryTestLog) {
  for (const std::string& path : JsonLinesTestLogs()) {
    auto one = OpenRecordReader(path, Options(1));
    ASSERT_TRUE(one.ok()) << path;
    const std::vector<std::string> expected = Steps(**one);
    for (int threads : {2, 3, 8}) {
      auto many = OpenRecordReader(path, Options(threads));
      ASSERT_TRUE(many.ok()) << path;
      EXPECT_EQ((*many)->format(), InputFormat::kJsonLines);
      EXPECT_EQ(Steps(**many), expected) << path << ", " << threads;
    }
  }
}

// Lines of every kind the reader must cut around. With max_record_bytes
// 600 and the 4 KiB minimum chunk, some lines do not fit in the input
// window at all.
std::string EdgeCaseLog(uint64_t seed, bool final_newline) {
  std::mt19937_64 random(seed);
  std::string log;
  for (int i = 0; i < 4000; ++i) {
    const int kind = static_cast<int>(random() % 100);
    const std::string eol = random() % 7 == 0 ? "\r\n" : "\n";
    if (kind < 5) {
      log += random() % 2 ? eol : "  \t" + eol;  // Blank.
    } else if (kind < 9) {
      // Over-long: a little or far (up to ~12 KiB) beyond the limit.
      const size_t size = 600 + random() % (random() % 2 ? 50 : 12000);
      log += "{\"@timestamp\":\"2022-03-10T08:00:00Z\",\"pad\":\"" +
             std::string(size, 'x') + "\"}" + eol;
    } else if (kind < 13) {
      log += "{\"@timestamp\": not json" + eol;
    } else if (kind < 15) {
      log += "{\"@timestamp\":\"2022-03-10T08:00:00Z\",\"user\":{\"name\":"
             "\"a\"},\"user.name\":\"b\"}" + eol;  // Duplicate field.
    } else {
      log += absl::StrCat(
          "{\"@timestamp\":\"2022-03-10T08:", 10 + i % 50, ":00Z\",",
          "\"user\":{\"name\":\"dr.", i % 41, "\"},\"source\":{\"ip\":\"10.0.",
          i % 7, ".", i % 200, "\"},\"event\":{\"action\":\"lookup\"},",
          "\"vigie\":{\"subject\":\"1850578006", 100000 + i, "\"}}", eol);
    }
  }
  if (!final_newline) {
    log += "{\"@timestamp\":\"2022-03-10T09:00:00Z\",\"user\":{\"name\":\"last\"}}";
  }
  return log;
}

TEST(ParallelJsonLinesReader, CutsAroundEveryKindOfLine) {
  for (uint64_t seed : {1, 2, 3}) {
    for (bool final_newline : {true, false}) {
      const std::string log = EdgeCaseLog(seed, final_newline);
      auto one = NewRecordReaderFromString(log, "edge.jsonl", Options(1, 600));
      ASSERT_TRUE(one.ok());
      const std::vector<std::string> expected = Steps(**one);
      for (int threads : {2, 5}) {
        auto many =
            NewRecordReaderFromString(log, "edge.jsonl", Options(threads, 600));
        ASSERT_TRUE(many.ok());
        EXPECT_EQ(Steps(**many), expected)
            << "seed " << seed << ", " << threads << " threads";
      }
    }
  }
}

std::string Gzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A stream that fails part-way: both readers give the records before the
// failure, then the same fatal error at the same line, then the end.
TEST(ParallelJsonLinesReader, ReportsAFailingInputLikeOneThread) {
  const std::string compressed = Gzip(EdgeCaseLog(4, true));
  for (size_t cut : {compressed.size() / 3, compressed.size() * 9 / 10}) {
    const std::string truncated = compressed.substr(0, cut);
    auto one =
        NewRecordReaderFromString(truncated, "cut.jsonl.gz", Options(1, 600));
    ASSERT_TRUE(one.ok());
    const std::vector<std::string> expected = Steps(**one);
    ASSERT_GE(expected.size(), 2u);
    EXPECT_TRUE(absl::StrContains(expected[expected.size() - 2], "|1|"))
        << "ends with a fatal error: " << expected[expected.size() - 2];
    auto many =
        NewRecordReaderFromString(truncated, "cut.jsonl.gz", Options(3, 600));
    ASSERT_TRUE(many.ok());
    EXPECT_EQ(Steps(**many), expected) << "cut at " << cut;
  }
}

TEST(ParallelJsonLinesReader, ResumesAfterSeekToLikeOneThread) {
  const std::string log = EdgeCaseLog(5, true);
  auto first = NewRecordReaderFromString(log, "edge.jsonl", Options(1, 600));
  ASSERT_TRUE(first.ok());
  for (size_t steps : {1, 500, 2500}) {
    Steps(**first, steps);
    const ReadPosition cut = (*first)->position();
    auto one = NewRecordReaderFromString(log, "edge.jsonl", Options(1, 600));
    auto many = NewRecordReaderFromString(log, "edge.jsonl", Options(4, 600));
    ASSERT_TRUE(one.ok() && many.ok());
    ASSERT_TRUE((*one)->SeekTo(cut).ok());
    ASSERT_TRUE((*many)->SeekTo(cut).ok());
    EXPECT_EQ((*many)->position().byte_offset, cut.byte_offset);
    EXPECT_EQ((*many)->position().line_or_record, cut.line_or_record);
    EXPECT_EQ(Steps(**many), Steps(**one)) << "after " << steps << " steps";
  }
}

TEST(ParallelJsonLinesReader, StopsCleanlyWhenDroppedHalfWay) {
  const std::string log = EdgeCaseLog(6, true);
  for (size_t steps : {0, 1, 100}) {
    auto many = NewRecordReaderFromString(log, "edge.jsonl", Options(8, 600));
    ASSERT_TRUE(many.ok());
    Steps(**many, steps);
  }  // Each reader joins its threads here.
}

TEST(ParallelJsonLinesReader, RejectsABadThreadCount) {
  for (int threads : {0, -1, 65}) {
    EXPECT_FALSE(
        NewRecordReaderFromString("{}\n", "x.jsonl", Options(threads)).ok());
  }
}

}  // namespace
}  // namespace vigie
