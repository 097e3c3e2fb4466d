// An address's failure sets start few (4 accounts) and are widened before
// anything is pushed out of them: its spray and stuffing scores must be
// those of one wide AddressFailures per address, through late events,
// gaps past the tables' TTL and thresholds low enough to alert while the
// sets are still few.
#include <map>
#include <random>
#include <set>

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
#include "detector/event.h"
#include "detector/ip_address.h"
#include "detector/signals/credential_attacks.h"
#include "detector/stats/entity_table.h"
#include "detector/stats/window_spec.h"
#include "gtest/gtest.h"
#include "tests/address_test_events.h"

namespace vigie {
namespace {

using FewSets = EntityTable<IpAddress, engine::AddressFewFailures>;
using WideSets = EntityTable<IpAddress, engine::AddressFailures>;
constexpr int64_t kHourMs = 3600 * 1000;

template <typename Table>
Table MakeTable(const DetectorOptions& options) {
  EntityTableOptions table;
  table.max_bytes = 4 << 20;
  table.ttl = absl::Milliseconds(engine::DayWindowsIdleMs(options.windows));
  return Table::Create(table).value();
}

Event FailedLogin(int64_t time_ms, uint32_t account, uint32_t v4) {
  return LoginFrom(time_ms, account, v4, Outcome::kFailure);
}

TEST(AddressFailures, FewSetsScoreAsWideOnesWouldThroughLateEventsAndGaps) {
  DetectorOptions options;
  options.windows = LongLatenessWindows();
  const int64_t lateness = options.windows.lateness_ms();
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(seed);
    std::mt19937 rng(seed);
    // Thresholds at, below and above the few sets' four accounts.
    options.failing_accounts_per_ip_hour = 2 + seed % 5;
    options.failing_accounts_per_ip_day = 3 + seed % 7;
    FewSets few = MakeTable<FewSets>(options);
    WideSets wide = MakeTable<WideSets>(options);
    std::map<uint32_t, engine::AddressFailures> reference;
    std::set<uint32_t> known;  // Accounts seen to log in.
    int64_t watermark = 1'700'000'000'000 + seed * 7919;
    int scored = 0;
    int widened_max = 0;
    for (int i = 0; i < 6000; ++i) {
      // Gaps now and then past the TTL (32 h with this lateness).
      const int64_t time = NextEventTime(rng, 60'000, kHourMs, 40 * kHourMs,
                                         lateness, &watermark);
      // Addresses 0-3 spray up to 12 names, 4-7 fail 3, the rest 1 or 2.
      const uint32_t address = std::uniform_int_distribution<uint32_t>(0, 11)(rng);
      const uint32_t names = address < 4 ? 12 : address < 8 ? 3 : 1 + address % 2;
      const uint32_t account =
          1 + address * 100 +
          std::uniform_int_distribution<uint32_t>(0, names - 1)(rng);
      if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) known.insert(account);
      const bool is_known = known.count(account) > 0;
      const Event e = FailedLogin(time, account, 0x0a000000 + address);
      const double expected =
          ObserveAddressFailure(e, is_known, options, reference[address])
              .score;
      const SignalScore got =
          ObserveAddressFailure(e, is_known, options, few, wide);
      ASSERT_EQ(got.score, expected) << "event " << i;
      if (expected > 0) ++scored;
      widened_max = std::max(widened_max, static_cast<int>(wide.size()));
    }
    EXPECT_GT(scored, 0);
    EXPECT_GT(widened_max, 0);
    // No address is in both tables; none failing at most four names is
    // wide.
    for (uint32_t address = 0; address < 12; ++address) {
      const IpAddress ip = IpAddress::FromV4(0x0a000000 + address);
      EXPECT_FALSE(few.Find(ip) != nullptr && wide.Find(ip) != nullptr);
      if (address >= 4) {
        EXPECT_EQ(wide.Find(ip), nullptr) << address;
      }
    }
  }
}

TEST(AddressFailures, AnAddressIsWidenedAtItsFifthFailingName) {
  DetectorOptions options;
  FewSets few = MakeTable<FewSets>(options);
  WideSets wide = MakeTable<WideSets>(options);
  const int64_t t0 = 1'700'000'000'000;
  for (uint32_t account = 1; account <= 4; ++account) {
    ObserveAddressFailure(FailedLogin(t0 + account, account, 0x0a000001), false,
                          options, few, wide);
    ObserveAddressFailure(FailedLogin(t0 + account, 1, 0x0a000001), false,
                          options, few, wide);
  }
  EXPECT_EQ(few.size(), 1u);
  EXPECT_EQ(wide.size(), 0u);
  ObserveAddressFailure(FailedLogin(t0 + 9, 5, 0x0a000001), false, options,
                        few, wide);
  EXPECT_EQ(few.size(), 0u);
  ASSERT_EQ(wide.size(), 1u);
  EXPECT_EQ(wide.Find(IpAddress::FromV4(0x0a000001))
                ->failing_accounts.Count(options.windows, WindowSpec::kHour,
                                         t0 + 9),
            5);
}

}  // namespace
}  // namespace vigie
