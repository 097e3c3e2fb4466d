// AccountState's snapshot codec: an account round-trips bit for bit (its
// floats through the format's doubles), and every cut is refused.
#include <cstdint>
#include <string>

#include "detector/engine/entity_state.h"
#include "detector/ip_address.h"
#include "detector/stats/state_codec.h"
#include "detector/stats/window_spec.h"
#include "gtest/gtest.h"

namespace vigie {
namespace engine {
namespace {

constexpr int64_t kStart = 1646900000000;

AccountState SomeAccount(const IpAddress& login, const IpAddress& previous) {
  const WindowSpec spec;
  AccountState a;
  for (int i = 0; i < 40; ++i) {
    const int64_t t = kStart + i * 37000;
    a.lookup_counts.Add(spec, t, {1, static_cast<uint16_t>(i % 3 == 0), 0,
                                  static_cast<uint16_t>(i % 7 == 0), 0});
    a.lookup_gaps.Observe(t);
    a.hours.Observe(t);
    a.new_per_hour.Update(i % 5, false, 0.01);
  }
  a.last_volume_ratio = 0.625f;
  a.first_seen_ms = kStart - 86400000;
  a.seen = true;
  a.last_nir_prefix = 1840575;
  a.last_nir_order = 112;
  a.login_ip = login;
  a.previous_login_hash = AddressHash(previous);
  a.login_ms = kStart - 600000;
  a.login_unlikely = true;
  a.logins = 17;
  a.failures_since_success = 1;
  a.profession = 3;
  a.risk = 42.5f;
  a.distinct_origins = {2, 2, 1, 1, 3};
  a.login_country = 250;
  a.day_reported = 2021;
  a.reported_minute = 27448331;
  return a;
}

std::string Encoded(const AccountState& a) {
  StateWriter w;
  EncodeAccount(w, a);
  return w.data();
}

TEST(AccountState, SnapshotRoundTripsBitForBit) {
  const AccountState a =
      SomeAccount(*IpAddress::Parse("2001:db8::7"), IpAddress::FromV4(0x5a06ca9d));
  const std::string bytes = Encoded(a);
  StateReader r(bytes);
  AccountState back;
  ASSERT_TRUE(DecodeAccount(r, &back));
  EXPECT_EQ(Encoded(back), bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    StateReader cut(absl::string_view(bytes).substr(0, n));
    AccountState ignored;
    EXPECT_FALSE(DecodeAccount(cut, &ignored) && cut.Check("account").ok())
        << n;
  }
}

// A busy first day is not a habit of hours; two days with enough
// lookups are.
TEST(AccountState, HoursAreAHabitAfterTwoDaysAndAHundredLookups) {
  constexpr int64_t kHour = 3600000;
  const int64_t start = 1646900000000;
  AccountState a;
  a.first_seen_ms = start;
  for (int i = 0; i < 200; ++i) a.hours.Observe(start + (i % 8) * kHour);
  EXPECT_FALSE(HoursAreAHabit(a, start + 20 * kHour));
  EXPECT_TRUE(HoursAreAHabit(a, start + kHabitMs));
  AccountState quiet;
  quiet.first_seen_ms = start;
  for (int i = 0; i < 99; ++i) quiet.hours.Observe(start);
  EXPECT_FALSE(HoursAreAHabit(quiet, start + 10 * kHabitMs));
}

TEST(AccountFailuresAndExports, SnapshotRoundTripsBitForBit) {
  const WindowSpec spec;
  AccountFailuresAndExports a;
  a.failures.Add(spec, kStart, 2);
  a.failures.Add(spec, kStart + 700000, 1);
  a.exported.Add(spec, kStart + 5000, 120);
  StateWriter w;
  EncodeAccountWindows(w, a);
  const std::string bytes = w.data();
  StateReader r(bytes);
  AccountFailuresAndExports back;
  ASSERT_TRUE(DecodeAccountWindows(r, &back));
  EXPECT_EQ(back.failures.Sum(spec, WindowSpec::kHour, kStart + 700000), 3);
  EXPECT_EQ(back.exported.Sum(spec, WindowSpec::kDay, kStart + 700000), 120);
  StateWriter again;
  EncodeAccountWindows(again, back);
  EXPECT_EQ(again.data(), bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    StateReader cut(absl::string_view(bytes).substr(0, n));
    AccountFailuresAndExports ignored;
    EXPECT_FALSE(DecodeAccountWindows(cut, &ignored) &&
                 cut.Check("account windows").ok())
        << n;
  }
}

// Dropping an idle entry loses nothing: by then its windows are empty for
// any time the engine still accepts (the newest time seen minus the
// lateness).
TEST(DayWindowsIdleMs, StateIsEmptyOnceIdleThatLong) {
  const WindowSpec spec;
  AccountFailuresAndExports a;
  a.failures.Add(spec, kStart, 7);
  a.exported.Add(spec, kStart, 900);
  AddressFailures f;
  for (uint32_t id = 1; id <= 40; ++id) {
    f.failing_accounts.Add(kStart, id);
    f.unknown_accounts.Add(kStart, id);
  }
  const int64_t dropped_at = kStart + DayWindowsIdleMs(spec) + 1;
  const int64_t earliest_read = dropped_at - spec.lateness_ms();
  EXPECT_EQ(a.failures.Sum(spec, WindowSpec::kHour, earliest_read), 0);
  EXPECT_EQ(a.exported.Sum(spec, WindowSpec::kDay, earliest_read), 0);
  for (int h : {WindowSpec::kHour, WindowSpec::kDay}) {
    EXPECT_EQ(f.failing_accounts.Count(spec, h, earliest_read), 0);
    EXPECT_EQ(f.unknown_accounts.Count(spec, h, earliest_read), 0);
  }
  // While they are younger, the day windows may still hold them.
  const int64_t a_day_later = kStart + spec.horizon_ms(WindowSpec::kDay);
  EXPECT_EQ(a.exported.Sum(spec, WindowSpec::kDay, a_day_later), 900);
  EXPECT_EQ(f.failing_accounts.Count(spec, WindowSpec::kDay, a_day_later),
            32);
}

}  // namespace
}  // namespace engine
}  // namespace vigie
