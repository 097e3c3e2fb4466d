// ReplayReport: the cost of feeding it per event (it runs inside the replay
// loop, at millions of events a second) and of rendering the page.
//
//   bazel run -c opt //bench:replay_report_benchmark
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detector/internal/stable_hash.h"
#include "proto/alert.pb.h"
#include "tools/replay_report.h"

namespace vigie {
namespace {

constexpr int64_t kStartMs = 1646611200000;  // 2022-03-07T00:00:00Z.

// Events in time order (one every 2 ms of event time, so buckets merge as
// the benchmark runs), on `range(0)` accounts chosen at random.
void BM_ReplayReportAddEvent(benchmark::State& state) {
  const uint64_t accounts = static_cast<uint64_t>(state.range(0));
  ReplayReport report;
  uint64_t i = 0;
  for (auto _ : state) {
    const uint64_t mix = internal::SplitMix64(i);
    report.AddEvent(kStartMs + static_cast<int64_t>(i) * 2,
                    1 + static_cast<uint32_t>(mix % accounts),
                    static_cast<float>(mix >> 57));
    ++i;
  }
  benchmark::DoNotOptimize(report.events());
  state.SetItemsProcessed(state.iterations());
  state.counters["buckets"] = report.bucket_count();
}
BENCHMARK(BM_ReplayReportAddEvent)->Arg(16)->Arg(16384)->Arg(1 << 20);

// One alert (incident opened or stepped up) on one of 50,000 incidents.
void BM_ReplayReportAddAlert(benchmark::State& state) {
  ReplayReport report;
  std::vector<v1::Alert> alerts(1024);
  for (size_t k = 0; k < alerts.size(); ++k) {
    v1::Alert& alert = alerts[k];
    alert.set_rule_name("lookup_enumeration");
    alert.set_account(absl::StrCat("account.", k));
    alert.set_source_ip(absl::StrCat("192.0.2.", k % 256));
    alert.set_message("looked up 31 people new to this account in 1 min");
    alert.set_severity(2);
  }
  uint64_t i = 0;
  for (auto _ : state) {
    v1::Alert& alert = alerts[i % alerts.size()];
    const uint64_t mix = internal::SplitMix64(i);
    alert.set_incident_id(absl::StrCat("lookup_enumeration-", mix % 50000));
    alert.set_risk_score(60 + static_cast<double>(mix % 400) / 10);
    alert.set_time_ms(kStartMs + static_cast<int64_t>(i) * 1000);
    report.AddAlert(alert);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReplayReportAddAlert);

// The page for `range(0)` accounts, a week of events and 2,000 incidents.
void BM_ReplayReportRenderHtml(benchmark::State& state) {
  const uint32_t accounts = static_cast<uint32_t>(state.range(0));
  ReplayReport report;
  for (uint32_t id = 1; id <= accounts; ++id) {
    report.AddEvent(kStartMs + int64_t{id} * 7 * 86400000 / accounts, id,
                    static_cast<float>(internal::SplitMix64(id) % 1000) / 10);
  }
  for (int k = 0; k < 2000; ++k) {
    v1::Alert alert;
    alert.set_incident_id(absl::StrCat("lookup_enumeration-", k));
    alert.set_incident_state(v1::INCIDENT_OPENED);
    alert.set_rule_name("lookup_enumeration");
    alert.set_account(absl::StrCat("account.", 1 + k % accounts));
    alert.set_source_ip(absl::StrCat("192.0.2.", k % 256));
    alert.set_risk_score(60 + k % 40);
    alert.set_severity(2);
    alert.set_time_ms(kStartMs + int64_t{k} * 300000);
    alert.set_message("looked up 31 people new to this account in 1 min");
    report.AddAlert(alert);
  }
  ReportContext context;
  context.account_name = [](uint32_t id) { return absl::StrCat("account.", id); };
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string html = report.RenderHtml(context);
    bytes = html.size();
    benchmark::DoNotOptimize(html.data());
  }
  state.counters["html_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ReplayReportRenderHtml)->Arg(16)->Arg(1 << 20)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vigie

BENCHMARK_MAIN();
