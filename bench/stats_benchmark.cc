// The statistics core: nanoseconds per update and bytes per entity.
//
//   bazel run -c opt //bench:stats_benchmark
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "detector/internal/huge_pages.h"
#include "detector/internal/stable_hash.h"
#include "detector/ip_address.h"
#include "detector/stats/entity_table.h"
#include "detector/stats/hyperloglog.h"
#include "detector/stats/novelty_filter.h"
#include "detector/stats/online_covariance.h"
#include "detector/stats/quantile_sketch.h"
#include "detector/stats/recent_distinct.h"
#include "detector/stats/regularity.h"
#include "detector/stats/running_moments.h"
#include "detector/stats/windowed_distinct.h"
#include "detector/stats/windowed_sum.h"

namespace vigie {
namespace {

uint64_t Mix(uint64_t x) { return internal::SplitMix64(x); }

void BM_WindowedSumAdd(benchmark::State& state) {
  WindowSpec spec;
  WindowedSum<uint32_t> sum;
  int64_t t = 0;
  for (auto _ : state) {
    t += 1500;
    sum.Add(spec, t, 1);
    benchmark::DoNotOptimize(sum.Sum(spec, 1, t));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = sizeof(sum);
}

// Distinct people per account: `range(0)` distinct subjects cycling, one
// lookup every 2 s, with a 10-minute count after each.
void BM_WindowedDistinctAdd(benchmark::State& state) {
  WindowSpec spec;
  WindowedDistinct::Options options;
  WindowedDistinct distinct;
  const uint64_t distinct_items = state.range(0);
  int64_t t = 0;
  uint64_t i = 0;
  for (auto _ : state) {
    t += 2000;
    distinct.Add(spec, options, t, Mix(i++ % distinct_items));
    if (distinct.exact()) benchmark::DoNotOptimize(distinct.Count(spec, 1, t));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = distinct.bytes();
  state.counters["exact"] = distinct.exact();
}

// An address's failing accounts (credential stuffing): a new name every
// 5 s into the 32 kept, then the counts a failed login reads (10 minutes,
// 1 hour, 1 day).
void BM_RecentDistinctAddAndCount(benchmark::State& state) {
  WindowSpec spec;
  RecentDistinct<32> failing;
  int64_t t = 1646900000000;
  uint32_t id = 1;
  for (auto _ : state) {
    t += 5000;
    failing.Add(t, id++);
    for (int h : {WindowSpec::kTenMinutes, WindowSpec::kHour, WindowSpec::kDay}) {
      benchmark::DoNotOptimize(failing.Count(spec, h, t));
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_HyperLogLogAdd(benchmark::State& state) {
  HyperLogLog hll;
  uint64_t i = 0;
  for (auto _ : state) hll.Add(Mix(i++));
  benchmark::DoNotOptimize(hll.Estimate());
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = hll.bytes();
}

void BM_NoveltyTestAndInsert(benchmark::State& state) {
  auto filter = NoveltyFilter::Create(NoveltyFilter::Options()).value();
  uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(filter->TestAndInsert(i % 4096, Mix(i)));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = filter->bytes();
}

void BM_RunningMomentsAndEwma(benchmark::State& state) {
  RunningMoments m;
  Ewma e;
  double x = 1;
  for (auto _ : state) {
    x = x * 1.0000001 + 0.5;
    m.Update(x);
    e.Update(x, false, 0.05);
    benchmark::DoNotOptimize(e.ZScore(x));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = sizeof(m) + sizeof(e);
}

void BM_QuantileSketchAdd(benchmark::State& state) {
  std::mt19937_64 random(1);
  std::lognormal_distribution<double> dist(3, 1);
  std::vector<double> xs(4096);
  for (double& x : xs) x = dist(random);
  QuantileSketch q;
  size_t i = 0;
  for (auto _ : state) q.Add(xs[i++ & 4095]);
  benchmark::DoNotOptimize(q.Quantile(0.99));
  state.SetItemsProcessed(state.iterations());
}

void BM_OnlineCovarianceUpdate(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  OnlineCovariance c(d);
  std::vector<double> x(d);
  uint64_t i = 0;
  for (auto _ : state) {
    for (int j = 0; j < d; ++j) x[j] = static_cast<double>(Mix(i + j) % 1000);
    ++i;
    c.Update(x);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MahalanobisDistance(benchmark::State& state) {
  const int d = static_cast<int>(state.range(0));
  OnlineCovariance c(d);
  std::vector<double> x(d);
  for (uint64_t i = 0; i < 1000; ++i) {
    for (int j = 0; j < d; ++j) x[j] = static_cast<double>(Mix(i * 31 + j) % 1000);
    c.Update(x);
  }
  for (auto _ : state) benchmark::DoNotOptimize(c.Distance(x));
  state.SetItemsProcessed(state.iterations());
}

void BM_RegularityAndHourProfile(benchmark::State& state) {
  GapRegularity g;
  HourProfile p;
  int64_t t = 0;
  for (auto _ : state) {
    t += 1000 + static_cast<int64_t>(Mix(t) % 3000);
    g.Observe(t);
    p.Observe(t);
    benchmark::DoNotOptimize(g.CoefficientOfVariation());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = sizeof(g) + sizeof(p);
}

// An address spray into a 64 MiB table: every insert evicts.
void BM_EntityTableSpray(benchmark::State& state) {
  EntityTableOptions options;
  options.max_bytes = size_t{64} << 20;
  using Table = EntityTable<IpAddress, WindowedSum<uint32_t>>;
  Table table = Table::Create(options).value();
  WindowSpec spec;
  uint64_t i = 0;
  for (auto _ : state) {
    const IpAddress ip = IpAddress::FromHalves(0x20010db800000000ull, Mix(i));
    table.FindOrCreate(ip, static_cast<int64_t>(i)).Add(spec, i, 1);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_entity"] = table.bytes_per_entity();
  state.counters["table_bytes"] = table.bytes();
}

// Seeing entities already in a table, at random, as the engine sees its
// accounts: range(0) entities of 64 bytes, range(1) 1 for a table with a
// TTL (a recency list: each sighting splices the entity to the front,
// writing two other entities' links) or 0 for one without (CLOCK: it sets
// a bit). Both find the entity and write its state; the difference is
// what keeping the eviction order costs once the table outgrows the
// caches.
void BM_EntityTableSighting(benchmark::State& state) {
  struct State64 {
    uint64_t hits = 0;
    uint64_t rest[7] = {};
  };
  const uint32_t entities = static_cast<uint32_t>(state.range(0));
  EntityTableOptions options;
  options.max_bytes = size_t{entities} * 160 + (size_t{1} << 20);
  if (state.range(1) != 0) options.ttl = absl::Hours(24 * 365);
  using Table = EntityTable<uint32_t, State64>;
  Table table = Table::Create(options).value();
  for (uint32_t k = 1; k <= entities; ++k) table.FindOrCreate(k, 0);
  uint64_t i = 0;
  for (auto _ : state) {
    const uint32_t key = 1 + static_cast<uint32_t>(Mix(i) % entities);
    ++table.FindOrCreate(key, static_cast<int64_t>(i)).hits;
    ++i;
  }
  if (table.size() != entities || table.evictions() != 0) {
    state.SkipWithError("the table evicted: size it larger");
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_entity"] = table.bytes_per_entity();
}

// What the machine gives rather than what the engine does: the latency of
// one random read from memory, each read's address being the value the
// previous one returned, so none overlaps. The engine's tables are read at
// random (one line per event and table, prefetched where the order allows),
// so figures from two machines compare only next to this one. Over
// state.range(0) MiB, huge pages advised as for the engine's tables; the
// pointers form one cycle through every word (Sattolo's shuffle), so the
// chase never settles into a part that fits the caches.
void BM_MemoryLatency(benchmark::State& state) {
  const size_t words = (size_t{1} << 20) * state.range(0) / sizeof(uint64_t);
  std::vector<uint64_t> next;
  next.reserve(words);
  internal::AdviseHugePages(next.data(), words * sizeof(uint64_t));
  next.resize(words);
  for (size_t i = 0; i < words; ++i) next[i] = i;
  uint64_t seed = 1;
  for (size_t i = words - 1; i > 0; --i) {
    const size_t j = Mix(seed++) % i;  // j < i: one cycle through all.
    std::swap(next[i], next[j]);
  }
  uint64_t at = 0;
  for (auto _ : state) {
    at = next[at];
    benchmark::DoNotOptimize(at);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(words * sizeof(uint64_t));
}

BENCHMARK(BM_WindowedSumAdd);
BENCHMARK(BM_WindowedDistinctAdd)->Arg(16)->Arg(1000)->Arg(1 << 20);
BENCHMARK(BM_RecentDistinctAddAndCount);
BENCHMARK(BM_HyperLogLogAdd);
BENCHMARK(BM_NoveltyTestAndInsert);
BENCHMARK(BM_RunningMomentsAndEwma);
BENCHMARK(BM_QuantileSketchAdd);
BENCHMARK(BM_OnlineCovarianceUpdate)->Arg(8);
BENCHMARK(BM_MahalanobisDistance)->Arg(8);
BENCHMARK(BM_RegularityAndHourProfile);
BENCHMARK(BM_EntityTableSpray);
BENCHMARK(BM_EntityTableSighting)
    ->ArgsProduct({{20000, 2000000}, {0, 1}});
BENCHMARK(BM_MemoryLatency)->Arg(1)->Arg(4)->Arg(16)->Arg(512);

}  // namespace
}  // namespace vigie

BENCHMARK_MAIN();
