// End-to-end `vigie replay` (RunReplay: read, parse, pseudonymise, detect
// with the full engine, write alerts) per input format, on a simulated log
// written to a temporary directory once per size.
//
//   bazel run -c opt --config=opt //bench:replay_benchmark
//
// Arguments: benign accounts (two days of traffic each; 2,000 accounts make
// ~305,000 events), detection threads. Alerts go to /dev/null. The page
// cache holds the log after the first iteration, so this measures the
// engine and the parsers, not the disk.
#include <benchmark/benchmark.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>
#include <utility>

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

void ReplayFormat(benchmark::State& state, InputFormat format) {
  const Log& log = SimulatedLog(static_cast<int>(state.range(0)), format);
  ReplayOptions options;
  options.inputs = {log.path};
  options.alerts_path = "/dev/null";
  options.progress = false;
  options.threads = static_cast<int>(state.range(1));
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

}  // namespace
}  // namespace vigie

BENCHMARK_MAIN();
