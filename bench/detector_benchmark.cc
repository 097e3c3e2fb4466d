// The embedded detector's cost per event (Observe), on simulated portal
// traffic already encoded into Events, with a latency histogram.
//
//   bazel run -c opt //bench:detector_benchmark
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "detector/detector.h"
#include "detector/ingest/event_encoder.h"
#include "detector/ingest/pseudonymizer.h"
#include "tools/simulate/simulator.h"

namespace vigie {
namespace {

class NullSink : public AlertSink {
 public:
  void Emit(const v1::Alert&) override { ++alerts; }
  uint64_t alerts = 0;
};

struct Workload {
  std::vector<Event> events;
  std::vector<std::string> names;
};

const Workload& SimulatedWorkload() {
  static Workload* workload = [] {
    auto* w = new Workload();
    PseudonymKey key;
    Pseudonymizer pseudonymizer(key);
    EventEncoder encoder(&pseudonymizer, EncoderOptions());
    simulate::SimulationOptions options;
    options.accounts = 2000;
    options.days = 2;
    options.seed = 1;
    (void)simulate::Simulate(options, [&](const AccessRecord& record) {
      Event e;
      encoder.Encode(record, &e);
      w->events.push_back(e);
      return absl::OkStatus();
    });
    for (uint32_t id = 0; id <= encoder.num_accounts(); ++id) {
      w->names.emplace_back(encoder.AccountName(id));
    }
    return w;
  }();
  return *workload;
}

void BM_DetectorObserve(benchmark::State& state) {
  const Workload& w = SimulatedWorkload();
  NullSink sink;
  int64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto detector =
        Detector::Create(DetectorOptions(),
                         [&w](uint32_t id) { return w.names[id]; }, &sink)
            .value();
    state.ResumeTiming();
    for (const Event& e : w.events) benchmark::DoNotOptimize(detector->Observe(e));
    events += static_cast<int64_t>(w.events.size());
  }
  state.SetItemsProcessed(events);
  state.counters["alerts"] = static_cast<double>(sink.alerts);
}

// Per-event latency percentiles over one pass (the clock's own cost, ~20 ns,
// is included).
void BM_DetectorObserveLatency(benchmark::State& state) {
  const Workload& w = SimulatedWorkload();
  NullSink sink;
  std::vector<int64_t> ns;
  ns.reserve(w.events.size());
  for (auto _ : state) {
    auto detector =
        Detector::Create(DetectorOptions(),
                         [&w](uint32_t id) { return w.names[id]; }, &sink)
            .value();
    ns.clear();
    for (const Event& e : w.events) {
      const auto start = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(detector->Observe(e));
      ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::steady_clock::now() - start)
                       .count());
    }
  }
  std::sort(ns.begin(), ns.end());
  auto at = [&ns](double q) {
    return static_cast<double>(ns[static_cast<size_t>(q * (ns.size() - 1))]);
  };
  state.counters["p50_ns"] = at(0.5);
  state.counters["p99_ns"] = at(0.99);
  state.counters["p999_ns"] = at(0.999);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(w.events.size()));
}

BENCHMARK(BM_DetectorObserve)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DetectorObserveLatency)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace vigie

BENCHMARK_MAIN();
