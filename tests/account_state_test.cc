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
  a.failures.Add(spec, kStart, 2);
  a.exported.Add(spec, kStart + 5000, 120);
  a.last_volume_ratio = 0.625f;
  a.first_seen_ms = kStart - 86400000;
  a.seen = true;
  a.last_nir_prefix = 1840575;
  a.last_nir_order = 112;
  a.login_ip = login;
  a.previous_login_ip = previous;
  a.login_ms = kStart - 600000;
  a.login_ip_new = true;
  a.logins = 17;
  a.failures_since_success = 1;
  a.profession = 3;
  a.risk = 42.5f;
  a.distinct_origins = {2, 2, 1, 1, 3};
  a.login_country = 250;
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

}  // namespace
}  // namespace engine
}  // namespace vigie
