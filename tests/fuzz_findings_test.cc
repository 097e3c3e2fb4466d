// Regression tests from fuzzing (tests/data/fuzz_findings/: each input as
// it was found): every one must end, be refused with a clear error, or be
// read as documented, and never hang, crash or allocate from a count it
// cannot back.
#include <sys/resource.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/detector.h"
#include "detector/ingest/byte_source.h"
#include "detector/ingest/event_encoder.h"
#include "detector/ingest/readers.h"
#include "detector/ingest/pseudonymizer.h"
#include "detector/record_reader.h"
#include "detector/stats/novelty_filter.h"
#include "detector/stats/quantile_sketch.h"
#include "detector/stats/state_codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/replay_report.h"
#include "tools/replay_report_internal.h"

namespace vigie {
namespace {

using ::testing::HasSubstr;

std::string Finding(const std::string& name) {
  std::ifstream in(absl::StrCat("tests/data/fuzz_findings/", name),
                   std::ios::binary);
  EXPECT_TRUE(in) << name;
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class NullSink : public AlertSink {
 public:
  void Emit(const v1::Alert&) override {}
};

// The fuzzing harness's detector, which took the snapshots: 2 shards,
// 4,096 novelty pairs, 2 MiB of state.
absl::Status Restore(const std::string& snapshot) {
  static NullSink sink;
  DetectorOptions options;
  options.shards = 2;
  options.novelty_capacity = 4096;
  options.max_state_bytes = size_t{2} << 20;
  std::unique_ptr<Detector> detector =
      Detector::Create(options, [](uint32_t) { return ""; }, &sink).value();
  return detector->RestoreState(snapshot);
}

// 13 bytes that look like the start of a binary record whose second field
// tag runs past the record's length: sniffing wrapped around and spun
// forever. Now the input is not binary, is read as CSV and ends.
TEST(FuzzFindings, SniffingAFieldPastTheRecordsLengthEnds) {
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      NewRecordReaderFromString(Finding("sniff_hang.bin"), "<stdin>",
                                ReaderOptions());
  ASSERT_TRUE(reader.ok()) << reader.status();
  AccessRecord record;
  RecordError error;
  int results = 0;
  while ((*reader)->Next(&record, &error) != RecordReader::Result::kEnd) {
    ASSERT_LT(++results, 10);
  }
}

// A snapshot whose watermark is the smallest int64: restoring it made the
// lateness arithmetic overflow. Times outside the years 0000-9999 are
// refused.
TEST(FuzzFindings, ASnapshotWithAWatermarkOutOfRangeIsRefused) {
  const absl::Status status = Restore(Finding("watermark_min.snapshot"));
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status.ToString();
  EXPECT_THAT(status.message(), HasSubstr("engine")) << status.ToString();
}

int64_t PeakRssKib() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// A 9-byte section claiming 2^32 known accounts sized a 512 MiB set
// before reading one bit. The count must fit in the bytes that follow.
TEST(FuzzFindings, AKnownAccountsCountBeyondItsBytesIsRefused) {
  const int64_t before = PeakRssKib();
  const absl::Status status = Restore(Finding("known_accounts_4g.snapshot"));
  EXPECT_LT(PeakRssKib() - before, 64 * 1024);  // Not the 512 MiB it asks.
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status.ToString();
  EXPECT_THAT(status.message(), HasSubstr("known accounts"))
      << status.ToString();
}

// A report state (as a checkpoint holds it) with an account's peak risk
// of 7.9e27: it was restored, and the risk histogram's bin, computed by a
// cast that overflowed, indexed far outside it when the page was drawn.
// A risk is 0 to 100.
TEST(FuzzFindings, AReportStateWithARiskAbove100IsRefused) {
  ReplayReport report;
  const std::string state = Finding("report_huge_peak_risk.report_state");
  StateReader r(state);
  const absl::Status status = report.Decode(r);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status.ToString();
  EXPECT_EQ(report_internal::RiskBin(7.9e27), 19);
  EXPECT_EQ(report_internal::RiskBin(100), 19);
  EXPECT_EQ(report_internal::RiskBin(99.9), 19);
  EXPECT_EQ(report_internal::RiskBin(4.9), 0);
}

// A report with no account yet, saved and restored: its empty section
// handed memcpy two null pointers (UBSan, under --config=asan).
TEST(FuzzFindings, AnEmptyReportRestores) {
  ReplayReport empty;
  StateWriter w;
  empty.Encode(w);
  ReplayReport restored;
  StateReader r(w.data());
  EXPECT_TRUE(restored.Decode(r).ok());
}

// A decoded novelty filter claiming 2^36 pairs in one block: its false
// positive rate summed over 7e10 loads (and cast them to int). A block
// holds at most as many pairs as a half has bits.
TEST(FuzzFindings, ANoveltyFilterWithMorePairsThanBitsIsRefused) {
  NoveltyFilter::Options options;
  options.capacity = 64;
  std::string bytes = NoveltyFilter::Create(options).value()->Serialize();
  const uint64_t capacity = uint64_t{1} << 36;
  std::memcpy(&bytes[5], &capacity, sizeof(capacity));  // After "VNOV", 3.
  const absl::StatusOr<std::unique_ptr<NoveltyFilter>> filter =
      NoveltyFilter::Deserialize(bytes);
  EXPECT_EQ(filter.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(filter.status().message(), HasSubstr("more pairs than bits"));
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// A binary log whose records each carry another unknown action number put
// the number in the error's reason: 3 million reasons, each a row of the
// summary, took 1.7 GB. The reason is fixed text (the number is its
// value), and a summary keeps at most kMaxErrorKinds kinds apart.
TEST(FuzzFindings, ErrorKindsAreFixedTextsAndBounded) {
  std::string log;
  for (uint64_t action = 100; action < 5100; ++action) {
    std::string record;
    record += '\x08';  // time
    PutVarint(1646900000000 + action, &record);
    record += "\x12\x01" "a";  // account
    record += std::string("\x1a\x04\xc0\x00\x02\x01", 6);  // 192.0.2.1
    record += '\x20';  // action
    PutVarint(action, &record);
    PutVarint(record.size(), &log);
    log += record;
  }
  absl::StatusOr<std::unique_ptr<RecordReader>> reader =
      NewRecordReaderFromString(log, "many.pb", ReaderOptions());
  ASSERT_TRUE(reader.ok()) << reader.status();
  AccessRecord record;
  RecordError error;
  std::map<std::string, int64_t> by_kind;
  int errors = 0;
  while ((*reader)->Next(&record, &error) != RecordReader::Result::kEnd) {
    ++errors;
    ++ErrorKindSlot(by_kind, error);
  }
  EXPECT_EQ(errors, 5000);
  ASSERT_EQ(by_kind.size(), 1u);
  EXPECT_EQ(by_kind.begin()->first, "field 'action': unknown action");
  EXPECT_THAT(error.ToString(), HasSubstr("\"5099\": unknown action"));

  // However many kinds a reader could make, the summary keeps a bounded
  // number apart.
  std::map<std::string, int64_t> many;
  for (int i = 0; i < 1000; ++i) {
    RecordError e;
    e.reason = absl::StrCat("reason ", i);
    ++ErrorKindSlot(many, e);
  }
  EXPECT_EQ(many.size(), kMaxErrorKinds + 1);
  EXPECT_EQ(many[kOtherErrorKinds], 1000 - static_cast<int64_t>(kMaxErrorKinds));
}

// Everything a byte source hands out before its error, read `pieces` at a
// time (cycling through them), and the error.
std::pair<std::string, absl::Status> Drain(ByteSource& source,
                                           const std::vector<size_t>& pieces) {
  std::string out;
  char buffer[1 << 16];
  for (size_t i = 0;; ++i) {
    const absl::StatusOr<size_t> n =
        source.Read(buffer, pieces[i % pieces.size()]);
    if (!n.ok()) return {out, n.status()};
    if (*n == 0) return {out, absl::OkStatus()};
    out.append(buffer, *n);
  }
}

// A truncated .gz read in short pieces lost its last good line before the
// "truncated" error: the source called the stream truncated as soon as the
// compressed input ran out, before asking zlib for the output it still
// held. Whatever the read sizes, the same bytes come out before the error.
TEST(FuzzFindings, ATruncatedGzipGivesEverythingBeforeTheCutWhateverTheReads) {
  const std::string gz = Finding("gzip_truncation_loss.csv.gz");
  std::unique_ptr<ByteSource> whole = MemoryByteSource(gz);
  const auto [all, whole_error] = Drain(*whole, {1 << 16});
  EXPECT_EQ(whole_error.code(), absl::StatusCode::kDataLoss);
  std::vector<size_t> pieces;
  for (size_t n = 1; n <= 37; ++n) pieces.push_back(n);
  std::unique_ptr<ByteSource> short_reads = MemoryByteSource(gz);
  const auto [some, short_error] = Drain(*short_reads, pieces);
  EXPECT_EQ(short_error.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(some.size(), all.size());
  EXPECT_TRUE(some == all);
}

// A source that hands its bytes out in pieces of 1, 2, ..., `cycle` bytes,
// as a pipe may.
class PiecesSource : public ByteSource {
 public:
  PiecesSource(std::string bytes, size_t cycle)
      : bytes_(std::move(bytes)), cycle_(cycle) {}
  absl::StatusOr<size_t> Read(char* buffer, size_t size) override {
    const size_t n =
        std::min({size, bytes_.size() - pos_, reads_++ % cycle_ + 1});
    std::memcpy(buffer, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t raw_bytes_read() const override { return pos_; }

 private:
  std::string bytes_;
  size_t cycle_;
  size_t pos_ = 0;
  size_t reads_ = 0;
};

// Each error as "line: kind", and the count of records.
std::vector<std::string> Outcome(RecordReader& reader) {
  std::vector<std::string> out;
  AccessRecord record;
  RecordError error;
  int records = 0;
  while (true) {
    const RecordReader::Result result = reader.Next(&record, &error);
    if (result == RecordReader::Result::kEnd) break;
    if (result == RecordReader::Result::kRecord) {
      ++records;
    } else {
      out.push_back(absl::StrCat(error.position, ": ", error.Kind()));
    }
  }
  out.push_back(absl::StrCat(records, " records"));
  return out;
}

using ReaderFactory = std::unique_ptr<RecordReader> (*)(
    std::unique_ptr<InputBuffer>, std::string, const ReaderOptions&);

// Reads `bytes` whole, then in pieces of 1, 7, 37 and 4,096 bytes through
// windows from 64 bytes to 1 MiB, for three longest-record limits: every
// read must give the same records and errors at the same lines.
std::vector<std::string> ExpectSameWhateverTheReads(const std::string& bytes,
                                                    const std::string& name,
                                                    ReaderFactory reader) {
  std::vector<std::string> default_outcome;
  for (size_t max_record : {size_t{1024}, size_t{4096}, size_t{65536}}) {
    ReaderOptions options;
    options.max_record_bytes = max_record;
    std::unique_ptr<RecordReader> whole =
        NewRecordReaderFromString(bytes, name, options).value();
    const std::vector<std::string> expected = Outcome(*whole);
    if (max_record == ReaderOptions().max_record_bytes) {
      default_outcome = expected;
    }
    for (size_t cycle : {1, 7, 37, 4096}) {
      for (size_t window : {size_t{64}, size_t{4096}, max_record + 1,
                            size_t{1} << 20}) {
        auto input = std::make_unique<InputBuffer>(
            std::make_unique<PiecesSource>(bytes, cycle), window,
            std::max(window, 4096 + max_record + 64));
        EXPECT_EQ(Outcome(*reader(std::move(input), name, options)), expected)
            << name << ": longest " << max_record << ", pieces of " << cycle
            << ", window " << window;
      }
    }
  }
  return default_outcome;
}

// The same malformed JSON line got another reason depending on where the
// read window ended: the parser looked past it into whatever followed in
// the window. Any reads and two parse threads now give the same errors,
// and the truncated last line of trunc_last.jsonl the same as that of its
// control.
TEST(FuzzFindings, AJsonLinesErrorIsTheSameWhereverReadsEnd) {
  std::map<std::string, std::vector<std::string>> last_lines;
  for (const std::string name :
       {"jsonl_reason_depends_on_buffer_1.jsonl",
        "jsonl_reason_depends_on_buffer_2.jsonl", "trunc_last.jsonl",
        "trunc_last_ctrl.jsonl"}) {
    const std::string bytes = Finding(name);
    const std::vector<std::string> expected = ExpectSameWhateverTheReads(
        bytes, name, &ingest_internal::NewJsonLinesReader);
    ReaderOptions threads;
    threads.parse_threads = 2;
    threads.chunk_bytes = 4096;
    std::unique_ptr<RecordReader> parallel =
        NewRecordReaderFromString(bytes, name, threads).value();
    EXPECT_EQ(Outcome(*parallel), expected) << name << " on two threads";
    last_lines[name] = expected;
  }
  EXPECT_EQ(last_lines["trunc_last.jsonl"],
            last_lines["trunc_last_ctrl.jsonl"]);
}

// A CSV record with more columns than allowed that is also longer than
// the longest record accepted got "more than 1024 columns" when the window
// held its 1,025th field and "record longer than" when it did not. Now the
// verdict is that of the record's first max_record_bytes bytes, whatever
// the window and the reads.
TEST(FuzzFindings, ACsvErrorIsTheSameWhateverTheWindow) {
  std::unique_ptr<ByteSource> gz =
      MemoryByteSource(Finding("csv_reason_depends_on_window.csv.gz"));
  const std::string bytes = Drain(*gz, {1 << 16}).first;
  ASSERT_GT(bytes.size(), 40000u);
  ExpectSameWhateverTheReads(bytes, "window.csv",
                             &ingest_internal::NewCsvReader);
}

// 18 bytes of encoder state (a checkpoint's) claiming 2^32 - 1 account
// names: the dictionary reserved 128 GiB before reading one and aborted
// with bad_alloc. The count must fit in the bytes that follow. The finding
// is in the dictionaries' first format, now refused as such; the same
// claim in the current one is refused as damaged.
TEST(FuzzFindings, ADictionaryCountBeyondItsBytesIsRefused) {
  static PseudonymKey key;
  static Pseudonymizer pseudonymizer(key);
  EventEncoder encoder(&pseudonymizer, EncoderOptions());
  const std::string state = Finding("interner_reserve.encoder_state");
  StateReader r(state);
  const absl::Status status = encoder.Restore(r);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition)
      << status.ToString();

  StateWriter w;
  w.Put<uint8_t>(1);           // The encoder's format.
  w.Put<uint8_t>(2);           // The dictionary's.
  w.Put<uint32_t>(~0u);        // Bound on names.
  w.Put<uint64_t>(0);          // On long names' bytes.
  w.Put<uint64_t>(0);          // Recycled so far.
  w.Put<uint32_t>(~0u);        // Names that follow: none do.
  StateReader current(w.data());
  const absl::Status refused = encoder.Restore(current);
  EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused.ToString();
}

// An encoded quantile sketch (after the harness's one selector byte)
// whose accuracy is a denormal: the buckets' ratio rounds to 1, an index
// is log(x) / 0, and its NaN was cast to int. Accuracies outside
// kMinAccuracy..kMaxAccuracy are refused.
TEST(FuzzFindings, ASketchWithAnAccuracyNoBucketCanHaveIsRefused) {
  const std::string input = Finding("codecs_quantile_tiny_alpha.min.bin");
  StateReader r(absl::string_view(input).substr(1));
  const absl::StatusOr<QuantileSketch> sketch = QuantileSketch::Decode(r);
  EXPECT_EQ(sketch.status().code(), absl::StatusCode::kDataLoss)
      << sketch.status().ToString();
}

}  // namespace
}  // namespace vigie
