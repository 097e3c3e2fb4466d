// End-to-end `vigie replay` (RunReplay: read, parse, pseudonymise, detect
// with the full engine, write alerts) per input format, on a simulated log
// written to a temporary directory once per size.
//
//   bazel run -c opt --config=opt //bench:replay_benchmark
//
// Arguments: benign accounts (two days of traffic each; 2,000 accounts make
// ~305,000 events), detection threads. BM_ReplayFile replays a log of the
// caller's instead (VIGIE_BENCH_LOG=path, any format; VIGIE_BENCH_CONFIG=
// a config file), so that two builds are compared on the same events
// whatever their simulators write:
//
//   VIGIE_BENCH_LOG=/tmp/events.pb bazel-bin/bench/replay_benchmark
//       --benchmark_filter=BM_ReplayFile          (one command line)
//
// Alerts go to /dev/null. The page cache holds the log after the first
// iteration, so this measures the engine and the parsers, not the disk.
#include <benchmark/benchmark.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>
#include <utility>

#include "detector/record_reader.h"
#include "detector/record_writer.h"
#include "tools/replay.h"
#include "tools/simulate/simulator.h"

namespace vigie {
namespace {

struct Log {
  std::string path;
  int64_t bytes = 0;
  int64_t events = 0;
};

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  return remove(path);
}

// A private directory for the logs, removed when the benchmark exits.
std::string TempDir() {
  static const std::string* dir = [] {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string pattern =
        std::string(base != nullptr ? base : "/tmp") + "/vigie-replay-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    auto* path = new std::string(pattern);
    std::atexit([] {
      nftw(TempDir().c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
    });
    return path;
  }();
  return *dir;
}

const char* Extension(InputFormat format) {
  switch (format) {
    case InputFormat::kCsv:
      return "csv";
    case InputFormat::kJsonLines:
      return "jsonl";
    default:
      return "pb";
  }
}

// The simulated log of `accounts` benign accounts in `format`, written once.
const Log& SimulatedLog(int accounts, InputFormat format) {
  static auto* logs = new std::map<std::pair<int, InputFormat>, Log>();
  Log& log = (*logs)[{accounts, format}];
  if (!log.path.empty()) return log;
  log.path = TempDir() + "/events-" + std::to_string(accounts) + "." +
             Extension(format);
  auto writer = OpenRecordWriter(log.path, format).value();
  simulate::SimulationOptions options;
  options.accounts = accounts;
  options.days = 2;
  options.seed = 1;
  const bool simulated =
      simulate::Simulate(options, [&](const AccessRecord& record) {
        ++log.events;
        return writer->Write(record);
      }).ok();
  if (!simulated || !writer->Close().ok()) std::abort();
  FILE* f = fopen(log.path.c_str(), "rb");
  fseek(f, 0, SEEK_END);
  log.bytes = ftell(f);
  fclose(f);
  return log;
}

void Replay(benchmark::State& state, const Log& log, int threads,
            const std::string& config_path);

void ReplayFormat(benchmark::State& state, InputFormat format) {
  Replay(state, SimulatedLog(static_cast<int>(state.range(0)), format),
         static_cast<int>(state.range(1)), "");
}

// The caller's log (VIGIE_BENCH_LOG), counted once.
void BM_ReplayFile(benchmark::State& state) {
  static const Log* log = [] {
    auto* l = new Log();
    const char* path = std::getenv("VIGIE_BENCH_LOG");
    if (path == nullptr) return l;
    l->path = path;
    auto reader = OpenRecordReader(l->path, ReaderOptions());
    if (!reader.ok()) return l;
    AccessRecord record;
    RecordError error;
    while ((*reader)->Next(&record, &error) != RecordReader::Result::kEnd) {
      ++l->events;
    }
    FILE* f = fopen(l->path.c_str(), "rb");
    fseek(f, 0, SEEK_END);
    l->bytes = ftell(f);
    fclose(f);
    return l;
  }();
  if (log->path.empty()) {
    state.SkipWithError("set VIGIE_BENCH_LOG to a log file");
    return;
  }
  const char* config = std::getenv("VIGIE_BENCH_CONFIG");
  Replay(state, *log, static_cast<int>(state.range(0)),
         config != nullptr ? config : "");
}

void Replay(benchmark::State& state, const Log& log, int threads,
            const std::string& config_path) {
  ReplayOptions options;
  options.config_path = config_path;
  options.inputs = {log.path};
  options.alerts_path = "/dev/null";
  options.progress = false;
  options.threads = threads;
  // A fixed key: the benchmark must not depend on a key file.
  const std::string key_path = TempDir() + "/pseudonym.key";
  if (access(key_path.c_str(), R_OK) != 0) {
    FILE* f = fopen(key_path.c_str(), "w");
    fputs("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
          f);
    fclose(f);
  }
  options.pseudonym_key_file = key_path;
  int64_t alerts = 0;
  for (auto _ : state) {
    ReplaySummary summary;
    absl::Status status = RunReplay(options, &summary);
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      return;
    }
    alerts = summary.alerts;
  }
  state.SetItemsProcessed(state.iterations() * log.events);
  state.SetBytesProcessed(state.iterations() * log.bytes);
  state.counters["alerts"] = static_cast<double>(alerts);
  state.counters["events"] = static_cast<double>(log.events);
}

void BM_ReplayBinary(benchmark::State& state) {
  ReplayFormat(state, InputFormat::kBinary);
}
void BM_ReplayCsv(benchmark::State& state) {
  ReplayFormat(state, InputFormat::kCsv);
}
void BM_ReplayJsonLines(benchmark::State& state) {
  ReplayFormat(state, InputFormat::kJsonLines);
}

#define VIGIE_REPLAY_SIZES(name)                                 \
  BENCHMARK(name)                                                \
      ->ArgsProduct({{200, 2000, 20000}, {1, 2}})                \
      ->Unit(benchmark::kMillisecond)                            \
      ->UseRealTime()
VIGIE_REPLAY_SIZES(BM_ReplayBinary);
VIGIE_REPLAY_SIZES(BM_ReplayCsv);
VIGIE_REPLAY_SIZES(BM_ReplayJsonLines);
BENCHMARK(BM_ReplayFile)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace vigie

BENCHMARK_MAIN();
