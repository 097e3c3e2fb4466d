// AccountState's snapshot codec: the current format round-trips, and an
// account written before the login addresses became fingerprints (format
// 4, whole addresses) reads back as the same state.
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
  a.login_ip = AddressFingerprint(login);
  a.previous_login_ip = AddressFingerprint(previous);
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

// The account as format 4 wrote it, field by field.
std::string EncodedAsVersion4(const AccountState& a, const IpAddress& login,
                              const IpAddress& previous) {
  StateWriter w;
  w.Put<uint8_t>(4);
  a.lookup_counts.Encode(w);
  a.lookup_gaps.Encode(w);
  a.hours.Encode(w);
  a.new_per_hour.Encode(w);
  w.Put<double>(a.last_volume_ratio);
  w.Put(a.first_seen_ms);
  w.Put<uint8_t>(a.seen);
  w.Put(a.last_nir_prefix);
  w.Put(a.last_nir_order);
  for (const IpAddress& ip : {login, previous}) {
    w.Put(ip.hi());
    w.Put(ip.lo());
  }
  w.Put(a.login_ms);
  w.Put<uint8_t>(a.login_ip_new);
  w.Put(a.logins);
  w.Put(a.failures_since_success);
  a.failures.Encode(w);
  a.exported.Encode(w);
  w.Put(a.profession);
  w.Put<double>(a.risk);
  for (uint16_t n : a.distinct_origins) w.Put(n);
  w.Put(a.login_country);
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

TEST(AccountState, Version4WithWholeAddressesReadsAsFingerprints) {
  const IpAddress login = *IpAddress::Parse("2001:db8:85a3::8a2e:370:7334");
  const IpAddress previous = IpAddress::FromV4(0xc0000201);
  const AccountState a = SomeAccount(login, previous);
  const std::string old = EncodedAsVersion4(a, login, previous);
  StateReader r(old);
  AccountState back;
  ASSERT_TRUE(DecodeAccount(r, &back));
  EXPECT_EQ(back.login_ip, AddressFingerprint(login));
  EXPECT_EQ(back.previous_login_ip, AddressFingerprint(previous));
  EXPECT_EQ(Encoded(back), Encoded(a));
}

// IPv4 addresses differ only in their low half, where the fingerprint is
// a bijection: no two share one, neighbours included.
TEST(AccountState, IPv4FingerprintsAreExact) {
  EXPECT_NE(AddressFingerprint(IpAddress::FromV4(0x0a000002)),
            AddressFingerprint(IpAddress::FromV4(0x0a000003)));
  EXPECT_NE(AddressFingerprint(IpAddress()),
            AddressFingerprint(IpAddress::FromV4(0)));
  for (uint32_t v4 = 0; v4 < 100000; ++v4) {
    ASSERT_EQ(AddressFingerprint(IpAddress::FromV4(v4)) ^
                  AddressFingerprint(IpAddress::FromV4(0)),
              v4);
  }
}

}  // namespace
}  // namespace engine
}  // namespace vigie
