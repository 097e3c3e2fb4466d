// The embedded detector's promise to a portal backend: once an account, an
// address and their pairing are known, scoring an event allocates nothing
// from the heap, whatever its kind and whatever the engine's minute-by-
// minute peer refreshes and daily generations do. Only new entities and
// alerts actually written may allocate.
//
// The binary's operator new counts allocations (tests/heap_counter.h);
// the count is taken only around Observe.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "detector/detector.h"
#include "gtest/gtest.h"
#include "tests/heap_counter.h"
#include "tools/simulate/encoded_traffic.h"

namespace vigie {
namespace {

class CountingSink : public AlertSink {
 public:
  void Emit(const v1::Alert&) override { ++alerts; }
  uint64_t alerts = 0;
};

using Workload = simulate::EncodedTraffic;

Workload SimulatedTraffic() {
  simulate::SimulationOptions options;
  options.accounts = 400;
  options.days = 3;
  options.seed = 5;
  absl::StatusOr<Workload> traffic = simulate::SimulateEncoded(options);
  EXPECT_TRUE(traffic.ok()) << traffic.status();
  return traffic.ok() ? *std::move(traffic) : Workload();
}

TEST(DetectorAllocation, KnownEntitiesAreScoredWithoutAllocating) {
  const Workload w = SimulatedTraffic();
  ASSERT_GT(w.events.size(), 20000u);
  CountingSink sink;
  auto detector =
      Detector::Create(DetectorOptions(),
                       [&w](uint32_t id) { return w.names[id]; }, &sink)
          .value();
  // Two days warm the engine up: entities, both generations of the peer
  // sketches, the batch buffers.
  constexpr int64_t kDayMs = 24 * 3600 * 1000;
  const int64_t warm_until = w.events.front().time_ms + 2 * kDayMs;
  // What the engine already holds for an event: its account and address,
  // and for a login the (address, account) pair in the address's windows
  // (a pair last seen more than a day ago has left them and is new again;
  // the address's distinct-account sets are hash sets that may grow).
  using Pair = std::tuple<uint64_t, uint64_t, uint32_t, bool>;
  std::set<uint32_t> accounts;
  std::set<std::pair<uint64_t, uint64_t>> addresses;
  std::map<Pair, int64_t> logins;  // -> last seen.
  uint64_t steady_events = 0;
  uint64_t allocating_steady_events = 0;
  std::map<Action, uint64_t> allocating_by_action;
  for (const Event& e : w.events) {
    bool known = accounts.count(e.account) > 0 &&
                 addresses.count({e.ip.hi(), e.ip.lo()}) > 0;
    accounts.insert(e.account);
    addresses.insert({e.ip.hi(), e.ip.lo()});
    if (e.action == Action::kLogin) {
      const Pair pair{e.ip.hi(), e.ip.lo(), e.account,
                      e.outcome == Outcome::kSuccess};
      auto it = logins.find(pair);
      known = known && it != logins.end() &&
              e.time_ms - it->second < kDayMs - 3600 * 1000;
      logins[pair] = e.time_ms;
    }
    const uint64_t alerts_before = sink.alerts;
    HeapCounter::StartCounting();
    detector->Observe(e);
    const uint64_t allocations = HeapCounter::StopCounting();
    const bool wrote_alert = sink.alerts != alerts_before;
    if (e.time_ms < warm_until || !known || wrote_alert) continue;
    ++steady_events;
    if (allocations > 0) {
      ++allocating_steady_events;
      ++allocating_by_action[e.action];
    }
  }
  EXPECT_GT(steady_events, 10000u);
  EXPECT_GT(sink.alerts, 0u);  // Alerts were written along the way.
  EXPECT_EQ(allocating_steady_events, 0u)
      << "allocating events by action: lookups "
      << allocating_by_action[Action::kLookup] << ", logins "
      << allocating_by_action[Action::kLogin] << ", exports "
      << allocating_by_action[Action::kExport];
}

// The counter itself works: a detector's creation allocates.
TEST(DetectorAllocation, TheCounterSeesAllocations) {
  CountingSink sink;
  HeapCounter::StartCounting();
  auto detector = Detector::Create(
      DetectorOptions(), [](uint32_t) { return std::string(); }, &sink);
  const uint64_t allocations = HeapCounter::StopCounting();
  ASSERT_TRUE(detector.ok());
  EXPECT_GT(allocations, 0u);
}

}  // namespace
}  // namespace vigie
