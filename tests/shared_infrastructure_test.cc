// The shared-infrastructure signal keeps an address's accounts inline
// while it has had one and in a side table from the second, only while the
// address is young: its scores must be those of one full RecentDistinct
// per address kept forever, through late events, idle gaps past the side
// table's TTL, addresses growing old and the stream's own first day.
#include "detector/signals/shared_infrastructure.h"

#include <map>
#include <random>

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
#include "detector/event.h"
#include "detector/ip_address.h"
#include "detector/stats/entity_table.h"
#include "detector/stats/recent_distinct.h"
#include "detector/stats/window_spec.h"
#include "gtest/gtest.h"
#include "tests/address_test_events.h"

namespace vigie {
namespace {

using Sets = EntityTable<IpAddress, engine::AddressAccounts>;
constexpr int64_t kMinuteMs = 60 * 1000;
constexpr int64_t kHourMs = 60 * kMinuteMs;

Sets MakeSets(const DetectorOptions& options) {
  EntityTableOptions table;
  table.max_bytes = 1 << 20;
  table.ttl = absl::Milliseconds(
      engine::WindowsIdleMs(options.windows, WindowSpec::kHour));
  return Sets::Create(table).value();
}

Event Login(int64_t time_ms, uint32_t account, uint32_t v4) {
  return LoginFrom(time_ms, account, v4, Outcome::kSuccess);
}

// The signal as it was before: every address's accounts in a full set,
// kept and added to for as long as the address is.
struct Reference {
  RecentDistinct<engine::kAddressAccountsTracked> accounts;
  int64_t first_seen_ms = 0;
  bool seen = false;

  double Score(const Event& e, int64_t stream_start_ms,
               const DetectorOptions& options) {
    if (!seen) {
      seen = true;
      first_seen_ms = e.time_ms;
    }
    accounts.Add(e.time_ms, e.account);
    if (e.time_ms - first_seen_ms >= kSharedUseYoungMs) return 0;
    if (e.time_ms - stream_start_ms < kSharedUseYoungMs) return 0;
    const int n = accounts.Count(options.windows, WindowSpec::kHour, e.time_ms);
    const int threshold = options.accounts_per_new_ip_hour;
    return n >= threshold ? 50 + 10 * (n - threshold) : 0;
  }
};

TEST(SharedUse, ScoresAsOneFullSetPerAddressWouldThroughLateEventsAndGaps) {
  DetectorOptions options;
  options.windows = LongLatenessWindows();
  const int64_t lateness = options.windows.lateness_ms();
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    SCOPED_TRACE(seed);
    // At 1 a lone account alerts by itself, so its minute counts too.
    options.accounts_per_new_ip_hour = 1 + seed % 3;
    std::mt19937 rng(seed);
    Sets sets = MakeSets(options);
    std::map<uint32_t, engine::AddressState> states;
    std::map<uint32_t, Reference> references;
    int64_t watermark = 1'700'000'000'000 + seed * 7919;
    const int64_t stream_start = watermark;
    int scored = 0;
    int widened = 0;
    for (int i = 0; i < 6000; ++i) {
      // Mostly seconds apart, sometimes an idle hour or three (past the
      // side table's TTL), often late by up to the lateness.
      const int64_t time = NextEventTime(rng, 30'000, kHourMs, 3 * kHourMs,
                                         lateness, &watermark);
      // Ten addresses: the low ones shared by up to six accounts, the
      // high ones by one or two; a few new addresses over time.
      const uint32_t address =
          std::uniform_int_distribution<uint32_t>(0, 9)(rng) + i / 1500 * 10;
      const uint32_t accounts = address % 10 < 3 ? 6 : address % 10 < 6 ? 2 : 1;
      const uint32_t account =
          1 + std::uniform_int_distribution<uint32_t>(0, accounts - 1)(rng) +
          address * 10;
      const Event e = Login(time, account, 0x0a000000 + address);
      const double expected =
          references[address].Score(e, stream_start, options);
      engine::AddressState& state = states[address];
      const SignalScore got =
          ObserveSharedUse(e, stream_start, options, state, sets);
      ASSERT_EQ(got.score, expected) << "event " << i;
      if (expected > 0) ++scored;
      if (state.accounts_in_table) ++widened;
    }
    EXPECT_GT(scored, 0);   // The comparison reached alerting counts,
    EXPECT_GT(widened, 0);  // through the side table,
    // and the side table keeps nothing for addresses a day old or idle.
    Event late = Login(watermark + 2 * kSharedUseYoungMs, 1, 0x0a000000);
    ObserveSharedUse(late, stream_start, options, states[0], sets);
    sets.ExpireIdle(late.time_ms);
    EXPECT_EQ(sets.size(), 0u);
  }
}

TEST(SharedUse, KeepsASetOnlyFromAYoungAddresssSecondAccount) {
  DetectorOptions options;
  Sets sets = MakeSets(options);
  const int64_t t0 = 1'700'000'000'000;
  engine::AddressState alone;
  engine::AddressState shared;
  for (int i = 0; i < 5; ++i) {
    ObserveSharedUse(Login(t0 + i * kMinuteMs, 1, 0x0a000001), t0, options,
                     alone, sets);
  }
  EXPECT_FALSE(alone.accounts_in_table);
  EXPECT_EQ(sets.size(), 0u);
  ObserveSharedUse(Login(t0, 2, 0x0a000002), t0, options, shared, sets);
  ObserveSharedUse(Login(t0 + kMinuteMs, 3, 0x0a000002), t0, options, shared,
                   sets);
  EXPECT_TRUE(shared.accounts_in_table);
  EXPECT_EQ(sets.size(), 1u);
  // Once no accepted event can find it young, its set goes.
  ObserveSharedUse(Login(t0 + kSharedUseYoungMs +
                             options.windows.lateness_ms(),
                         2, 0x0a000002),
                   t0, options, shared, sets);
  EXPECT_FALSE(shared.accounts_in_table);
  EXPECT_EQ(sets.size(), 0u);
}

TEST(SharedUse, ALateLoginJustUnderADayOldStillReadsEveryAccount) {
  DetectorOptions options;  // 5 s lateness.
  options.accounts_per_new_ip_hour = 3;
  Sets sets = MakeSets(options);
  const int64_t t0 = 1'700'000'000'000;
  const int64_t born = t0 + kSharedUseYoungMs;  // After the stream's day.
  engine::AddressState ip;
  ObserveSharedUse(Login(born, 9, 0x0a000001), t0, options, ip, sets);
  for (uint32_t account = 1; account <= 3; ++account) {
    ObserveSharedUse(Login(born + kSharedUseYoungMs - 40 * kMinuteMs + account,
                           account, 0x0a000001),
                     t0, options, ip, sets);
  }
  // A day and a second old: not scored, but the engine still accepts an
  // event 4 s earlier, which finds the address young.
  EXPECT_EQ(ObserveSharedUse(Login(born + kSharedUseYoungMs + 1000, 1,
                                   0x0a000001),
                             t0, options, ip, sets)
                .score,
            0);
  const SignalScore late = ObserveSharedUse(
      Login(born + kSharedUseYoungMs - 3000, 4, 0x0a000001), t0, options, ip,
      sets);
  EXPECT_EQ(late.score, 60);  // Accounts 1 to 4 within the hour.
}

TEST(SharedUse, ALoneAccountKeepsItsNewestMinuteThroughALateLogin) {
  DetectorOptions options;
  options.accounts_per_new_ip_hour = 1;
  Sets sets = MakeSets(options);
  const int64_t t0 = 1'700'000'000'000 / (10 * kMinuteMs) * (10 * kMinuteMs);
  const int64_t bucket = t0 + kSharedUseYoungMs;  // A 10-minute bucket.
  engine::AddressState ip;
  ObserveSharedUse(Login(bucket + 2000, 1, 0x0a000001), t0, options, ip, sets);
  // Late, into the bucket before.
  ObserveSharedUse(Login(bucket - 2000, 1, 0x0a000001), t0, options, ip, sets);
  // An hour later the window starts at `bucket`: the newest login is in
  // it, the late one is not. (Another account reads the count.)
  engine::AddressState copy = ip;
  const SignalScore later = ObserveSharedUse(
      Login(bucket + kHourMs + 5 * kMinuteMs, 2, 0x0a000001), t0, options,
      copy, sets);
  EXPECT_EQ(later.score, 60);  // Accounts 1 and 2, threshold 1.
}

TEST(SharedUse, AStaleSetLeftByAnEvictedAddressIsNotReused) {
  DetectorOptions options;
  options.accounts_per_new_ip_hour = 3;
  Sets sets = MakeSets(options);
  const int64_t t0 = 1'700'000'000'000;
  const int64_t day = kSharedUseYoungMs;
  engine::AddressState first;
  for (uint32_t account = 1; account <= 5; ++account) {
    ObserveSharedUse(Login(t0 + day + account, account, 0x0a000001), t0,
                     options, first, sets);
  }
  ASSERT_EQ(sets.size(), 1u);
  // The address's state is evicted and it comes back: a fresh state, its
  // old set still in the side table. Two accounts are two, not seven.
  engine::AddressState again;
  ObserveSharedUse(Login(t0 + day + 10, 6, 0x0a000001), t0, options, again,
                   sets);
  const SignalScore two = ObserveSharedUse(
      Login(t0 + day + 11, 7, 0x0a000001), t0, options, again, sets);
  EXPECT_EQ(two.score, 0);
  const SignalScore three = ObserveSharedUse(
      Login(t0 + day + 12, 8, 0x0a000001), t0, options, again, sets);
  EXPECT_EQ(three.score, 50);
}

}  // namespace
}  // namespace vigie
