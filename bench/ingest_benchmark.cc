// Ingestion throughput per format: records/s and MB/s for reading a
// generated access log from memory (no disk), and the cost of encoding
// records into hot-path Events (interning, pseudonymising subjects).
//
//   bazel run -c opt //bench:ingest_benchmark
//
// The log is generated once per size with a fixed seed: 70% lookups with
// NIR subjects, logins, exports, a few failures; 2,000 accounts, IPv4 and
// IPv6 addresses, realistic user agents.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "detector/ingest/event_encoder.h"
#include "detector/ingest/pseudonymizer.h"
#include "detector/record_reader.h"
#include "detector/record_writer.h"

namespace vigie {
namespace {

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The generated log in every format.
struct Log {
  std::string csv;
  std::string jsonl;
  std::string binary;
};

const Log& GeneratedLog(int64_t events) {
  static auto* logs = new std::map<int64_t, Log>();
  auto it = logs->find(events);
  if (it != logs->end()) return it->second;
  Log& log = (*logs)[events];
  auto csv = NewStringRecordWriter(&log.csv, InputFormat::kCsv);
  auto jsonl = NewStringRecordWriter(&log.jsonl, InputFormat::kJsonLines);
  auto binary = NewStringRecordWriter(&log.binary, InputFormat::kBinary);
  const char* agents[] = {
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
      "like Gecko) Chrome/99.0.4844.51 Safari/537.36",
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 12_2_1) AppleWebKit/605.1.15 "
      "(KHTML, like Gecko) Version/15.3 Safari/605.1.15",
      "Mozilla/5.0 (X11; Linux x86_64; rv:98.0) Gecko/20100101 Firefox/98.0"};
  const char* professions[] = {"gp", "pharmacist", "nurse", "hospital_desk"};
  uint64_t state = 42;
  int64_t time_ms = 1646900000000;
  std::string account;
  std::string subject;
  for (int64_t i = 0; i < events; ++i) {
    uint64_t r = SplitMix(state);
    time_ms += static_cast<int64_t>(r % 50);
    int account_id = static_cast<int>((r >> 8) % 2000);
    account = absl::StrFormat("user%06d", account_id);
    AccessRecord record;
    record.time_ms = time_ms;
    record.account = account;
    record.ip = (account_id % 5 == 0)
                    ? IpAddress::FromHalves(0x20010db800000000ull | account_id,
                                            account_id)
                    : IpAddress::FromV4(0xc0000200u + (account_id % 250));
    uint64_t kind = (r >> 24) % 100;
    record.action = kind < 70   ? Action::kLookup
                    : kind < 90 ? Action::kLogin
                    : kind < 95 ? Action::kExport
                                : Action::kLogout;
    record.outcome = ((r >> 32) % 50 == 0) ? Outcome::kFailure
                     : ((r >> 32) % 50 == 1) ? Outcome::kNotFound
                                             : Outcome::kSuccess;
    if (record.action == Action::kLookup) {
      subject = absl::StrFormat("1%02d%02d%02d%03d%03d%02d", 40 + r % 60,
                                1 + (r >> 10) % 12, 1 + (r >> 14) % 95,
                                1 + (r >> 20) % 999, 1 + (r >> 30) % 999,
                                1 + (r >> 40) % 97);
      record.subject = subject;
    }
    if (record.action == Action::kExport) {
      record.has_records = true;
      record.records = 1 + (r >> 40) % 500;
    }
    record.user_agent = agents[account_id % 3];
    record.service = record.action == Action::kExport ? "export"
                                                      : "patient_lookup";
    record.profession = professions[account_id % 4];
    (void)csv->Write(record);
    (void)jsonl->Write(record);
    (void)binary->Write(record);
  }
  (void)csv->Close();
  (void)jsonl->Close();
  (void)binary->Close();
  return log;
}

const std::string& LogIn(const Log& log, InputFormat format) {
  switch (format) {
    case InputFormat::kCsv: return log.csv;
    case InputFormat::kJsonLines: return log.jsonl;
    default: return log.binary;
  }
}

void ReadFormat(benchmark::State& state, InputFormat format,
                int parse_threads = 1) {
  const std::string& bytes = LogIn(GeneratedLog(state.range(0)), format);
  ReaderOptions options;
  options.format = format;
  options.parse_threads = parse_threads;
  int64_t records = 0;
  for (auto _ : state) {
    // The reader takes its own copy of the log: not part of reading.
    state.PauseTiming();
    auto reader = NewRecordReaderFromString(bytes, "bench", options);
    state.ResumeTiming();
    AccessRecord record;
    RecordError error;
    while ((*reader)->Next(&record, &error) == RecordReader::Result::kRecord) {
      benchmark::DoNotOptimize(record.time_ms);
      ++records;
    }
  }
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          bytes.size());
}

void BM_ReadCsv(benchmark::State& state) { ReadFormat(state, InputFormat::kCsv); }
void BM_ReadJsonLines(benchmark::State& state) {
  ReadFormat(state, InputFormat::kJsonLines);
}
// JSON Lines cut into chunks parsed on two threads (--parse-threads 2):
// wall-clock time, the consumer included.
void BM_ReadJsonLinesTwoThreads(benchmark::State& state) {
  ReadFormat(state, InputFormat::kJsonLines, 2);
}
void BM_ReadBinary(benchmark::State& state) {
  ReadFormat(state, InputFormat::kBinary);
}

// Reading plus encoding into Events: what replay pays before detection.
void BM_ReadAndEncodeBinary(benchmark::State& state) {
  const std::string& bytes = GeneratedLog(state.range(0)).binary;
  ReaderOptions options;
  options.format = InputFormat::kBinary;
  PseudonymKey key;
  Pseudonymizer pseudonymizer(key);
  int64_t records = 0;
  for (auto _ : state) {
    state.PauseTiming();
    EventEncoder encoder(&pseudonymizer, EncoderOptions());
    auto reader = NewRecordReaderFromString(bytes, "bench", options);
    state.ResumeTiming();
    AccessRecord record;
    RecordError error;
    Event event;
    while ((*reader)->Next(&record, &error) == RecordReader::Result::kRecord) {
      encoder.Encode(record, &event);
      benchmark::DoNotOptimize(event.subject);
      ++records;
    }
  }
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          bytes.size());
}

void BM_PseudonymizeSubject(benchmark::State& state) {
  PseudonymKey key;
  Pseudonymizer pseudonymizer(key);
  const std::string subject = "185057800608491";
  for (auto _ : state) {
    benchmark::DoNotOptimize(pseudonymizer.Subject(subject));
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ReadCsv)->RangeMultiplier(8)->Range(1 << 14, 1 << 20)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadJsonLines)->RangeMultiplier(8)->Range(1 << 14, 1 << 20)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadJsonLinesTwoThreads)->Arg(1 << 20)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadBinary)->RangeMultiplier(8)->Range(1 << 14, 1 << 20)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadAndEncodeBinary)->RangeMultiplier(8)->Range(1 << 14, 1 << 20)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PseudonymizeSubject);

}  // namespace
}  // namespace vigie

BENCHMARK_MAIN();
