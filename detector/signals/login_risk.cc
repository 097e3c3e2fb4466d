#include "detector/signals/login_risk.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "detector/geo/country_positions.h"
#include "detector/geo/hosting_networks.h"
#include "detector/geo/location_database.h"

namespace vigie {
namespace {

// The key an address (or network) is remembered under for an account: the
// login and session checks must agree on it. Never 0 (0 = "absent").
uint64_t OriginKey(const IpAddress& ip) {
  return (ip.hi() * 0x9e3779b97f4a7c15ull ^ ip.lo()) | 1;
}

constexpr NoveltyScope kScopes[engine::kLoginFeatureCount] = {
    NoveltyScope::kAddress, NoveltyScope::kNetwork, NoveltyScope::kAs,
    NoveltyScope::kCountry, NoveltyScope::kUserAgent};

// 35 when going from one country to the other in `elapsed_ms` (at least a
// minute) is faster than `max_kmh` by the country-distance table.
void AddImpossibleTravel(uint16_t from, uint16_t to, int64_t elapsed_ms,
                         double max_kmh, SignalScore* s) {
  const std::optional<double> km = TravelDistanceKm(from, to);
  const double hours = std::max<double>(elapsed_ms, 60 * 1000) / 3600000.0;
  if (km && *km > 0 && *km / hours > max_kmh) {
    s->Add(35, Evidence{Feature::kImpossibleTravel, *km / hours, max_kmh,
                        elapsed_ms});
  }
}

// Prefetches the novelty blocks of the login's non-zero keys.
void PrefetchNovelty(const engine::LoginKeys& keys, uint32_t account,
                     const NoveltyFilter& novelty) {
  for (int k = 0; k < engine::kLoginFeatureCount; ++k) {
    if (keys[k] == 0) continue;
    novelty.Prefetch(ScopeOf(kScopes[k], account), keys[k]);
  }
}

}  // namespace

uint64_t AsKey(uint32_t asn) {
  return asn == 0 ? 0 : (uint64_t{1} << 40) | asn;
}

uint64_t CountryKey(uint16_t country) {
  return country == 0 ? 0 : (uint64_t{2} << 40) | country;
}

uint64_t ScopeOf(NoveltyScope scope, uint32_t account) {
  return (static_cast<uint64_t>(scope) << 32) | account;
}

void PrefetchLogin(const Event& e, const NoveltyFilter& novelty,
                   const engine::LoginPopulation& population) {
  // Without a location, LoginKeysOf leaves the AS and country keys 0.
  const engine::LoginKeys keys = LoginKeysOf(e, 0, 0);
  PrefetchNovelty(keys, e.account, novelty);
  for (int k = 0; k < engine::kLoginFeatureCount; ++k) {
    if (keys[k] != 0) population.Prefetch(k, keys[k]);
  }
}

engine::LoginKeys LoginKeysOf(const Event& e, uint16_t country, uint32_t asn) {
  engine::LoginKeys keys;
  keys[engine::kLoginAddress] = OriginKey(e.ip);
  keys[engine::kLoginNetwork] = OriginKey(e.ip.Network());
  keys[engine::kLoginAs] = AsKey(asn);
  keys[engine::kLoginCountry] = CountryKey(country);
  keys[engine::kLoginAgent] = e.user_agent_hash;
  return keys;
}

SignalScore ObserveSuccessfulLogin(const Event& e,
                                   const DetectorOptions& options,
                                   const LoginOrigin& origin,
                                   NoveltyFilter& novelty,
                                   engine::AccountState& a,
                                   double* log10_ratio) {
  SignalScore s;
  const bool experienced =
      a.logins >= static_cast<uint32_t>(options.logins_before_novelty);
  // Novelty of each feature for this account, and the account's side of
  // the likelihood ratio (before this login is counted).
  bool is_new[engine::kLoginFeatureCount] = {};
  const double n = a.logins;
  double ratio = 0;
  // Ten novelty blocks (five features, two generations) are far apart in
  // memory: asking for all of them first overlaps their cache misses.
  PrefetchNovelty(origin.keys, e.account, novelty);
  for (int k = 0; k < engine::kLoginFeatureCount; ++k) {
    const uint64_t key = origin.keys[k];
    if (key == 0) continue;
    is_new[k] = novelty.TestAndInsert(ScopeOf(kScopes[k], e.account), key);
    const int next = engine::NextLevel(k);
    const double m = next >= 0 && origin.keys[next] != 0
                         ? std::max<double>(1, a.distinct_origins[next])
                         : 1.0;
    const double count =
        is_new[k] ? 0 : n / std::max<double>(1, a.distinct_origins[k]);
    ratio += origin.population[k] -
             std::log10(engine::SmoothedProbability(count, n, m));
    if (is_new[k] && a.distinct_origins[k] < UINT16_MAX) {
      ++a.distinct_origins[k];
    }
  }
  *log10_ratio =
      experienced ? ratio : std::numeric_limits<double>::quiet_NaN();
  // Novelty is nested (a new country is a new AS, network and address):
  // one fact, "somewhere new", scored by how deep it goes, 10 a level.
  if (experienced && is_new[engine::kLoginAddress]) {
    s.Add(10, Evidence{Feature::kNewIpForAccount, 1, 0, 0});
    if (is_new[engine::kLoginNetwork]) {
      s.Add(10, Evidence{Feature::kNewNetworkForAccount, 1, 0, 0});
    }
    if (is_new[engine::kLoginAs]) {
      s.Add(10, Evidence{Feature::kNewAsForAccount,
                         static_cast<double>(origin.asn), 0, 0});
    }
    if (is_new[engine::kLoginCountry]) {
      s.Add(10, Evidence{Feature::kNewCountryForAccount,
                         static_cast<double>(origin.country), 0, 0});
    }
    if (is_new[engine::kLoginAgent]) {
      s.Add(10, Evidence{Feature::kNewUserAgentForAccount, 1, 0, 0});
    }
  }
  if (experienced && origin.ratio_warm && ratio > origin.ratio_top) {
    s.Add(std::min(30.0, 10 * (ratio - origin.ratio_top)),
          Evidence{Feature::kUnusualOrigin, ratio, origin.ratio_top, 0});
  }
  // An hour the account almost never works at (the lookups' cue): not
  // evidence against the login itself, but it makes the session's later
  // exports riskier (RiskySession).
  const int hour = HourProfile::HourOf(e.time_ms);
  const double hour_points =
      experienced && engine::HoursAreAHabit(a, e.time_ms) &&
              a.hours.SurpriseAround(hour) >= 7
          ? 10
          : 0;
  // Impossible travel since the previous login.
  if (a.logins > 0 && origin.country != 0 && a.login_country != 0) {
    AddImpossibleTravel(a.login_country, origin.country,
                        e.time_ms - a.login_ms, options.max_travel_kmh, &s);
  }
  if (origin.country != 0) a.login_country = origin.country;
  // A new session: timing regularity is measured within it, not across the
  // night before.
  a.lookup_gaps = GapRegularity();
  a.previous_login_hash = a.logins > 0 ? engine::AddressHash(a.login_ip) : 0;
  a.login_ip = e.ip;
  a.session_asn = origin.asn;
  a.login_ms = e.time_ms;
  a.login_risk =
      static_cast<uint8_t>(std::clamp(s.score + hour_points, 0.0, 100.0));
  // What later lookups of the session count as "from somewhere unusual":
  // an origin less likely for this account than 99% of the portal's
  // benign logins are for theirs. A new network is not that for an
  // account behind a carrier's NAT, which gets a new one every time; a
  // provider and a network an account never used are. Until the portal
  // has that percentile, a network the account never used.
  a.login_unlikely =
      experienced && (origin.ratio_warm ? ratio > origin.ratio_p99
                                        : is_new[engine::kLoginNetwork]);
  ++a.logins;
  return s;
}

namespace {

// The block an address's neighbours share: /24 for IPv4, /64 for IPv6 (an
// interface's temporary addresses, RFC 8981, stay inside its /64).
bool SameBlock(const IpAddress& a, const IpAddress& b) {
  if (a.is_v4() != b.is_v4()) return false;
  if (a.is_v4()) return (a.lo() >> 8) == (b.lo() >> 8);
  return a.hi() == b.hi();
}

// Points for how rare the network is among the portal's `logins`: none
// from 1% of them up, 10 a decade below, at most 30. A share below 1 in
// `logins` cannot be told from it (an AS not seen yet in a young
// population may be common), so it counts as 1 in `logins`.
double RarityPoints(double share, uint64_t logins) {
  if (logins == 0) return 0;
  const double floor = 1.0 / static_cast<double>(logins);
  return std::clamp(10 * (-std::log10(std::max(share, floor)) - 2), 0.0,
                    30.0);
}

}  // namespace

SignalScore ObserveSessionActivity(const Event& e,
                                   const SessionContext& context,
                                   NoveltyFilter& novelty,
                                   engine::AccountState& a) {
  SignalScore s;
  if (a.logins == 0 || e.ip == a.login_ip ||
      engine::AddressHash(e.ip) == a.previous_login_hash) {
    return s;  // The session's address, or its other session's.
  }
  // Within the session's own block: a NAT pool's neighbour, a new
  // temporary IPv6 address. The session follows it.
  if (SameBlock(e.ip, a.login_ip)) {
    a.login_ip = e.ip;
    return s;
  }
  Location where;
  if (context.locations != nullptr) where = context.locations->Lookup(e.ip);
  const uint32_t account = e.account;
  const bool new_ip = !novelty.Contains(
      ScopeOf(NoveltyScope::kAddress, account), OriginKey(e.ip));
  const bool known =
      !new_ip ||
      novelty.Contains(ScopeOf(NoveltyScope::kNetwork, account),
                       OriginKey(e.ip.Network())) ||
      (where.asn != 0 &&
       (where.asn == a.session_asn ||
        novelty.Contains(ScopeOf(NoveltyScope::kAs, account),
                         AsKey(where.asn))));
  s.Add(0, Evidence{Feature::kIpSwitchWithoutLogin, 1, 0, 0});
  if (known) {
    // The same provider (dual stack, carrier NAT, renumbering) or a
    // network the account works from: weak; the session follows it.
    s.Add(10, Evidence{Feature::kSessionMovedKnown, 1, 0, 0});
    a.login_ip = e.ip;
    if (where.asn != 0) a.session_asn = where.asn;
    return s;
  }
  // A provider the account never used: a phone's first use of its mobile
  // data, or a stolen session; weak on its own (the low tier). What is
  // true of the place (how common among the portal's users, abroad, a
  // data centre) tells them apart.
  s.Add(25, Evidence{Feature::kSessionMovedProvider,
                     static_cast<double>(where.asn), 0, 0});
  if (where.asn != 0 && context.population != nullptr) {
    const double share = context.population->FrozenAsShare(AsKey(where.asn));
    const double points =
        RarityPoints(share, context.population->frozen_as_logins());
    if (points > 0) {
      s.Add(points, Evidence{Feature::kSessionMovedRare, share, 0.01, 0});
    }
  }
  // Another country, one the account never logged in from: the way out
  // (a traveller's phone coming home through its French carrier is not),
  // and impossible when it is further than anyone travels since the
  // session's login.
  if (where.country != 0 && a.login_country != 0 &&
      where.country != a.login_country &&
      !novelty.Contains(ScopeOf(NoveltyScope::kCountry, account),
                        CountryKey(where.country))) {
    s.Add(30, Evidence{Feature::kSessionMovedCountry,
                       static_cast<double>(where.country), 0, 0});
    AddImpossibleTravel(a.login_country, where.country,
                        e.time_ms - a.login_ms, context.max_travel_kmh, &s);
  }
  if (where.anonymous ||
      (where.asn != 0 && context.hosting_asns != nullptr &&
       IsHostingAs(where.asn, *context.hosting_asns))) {
    s.Add(25, Evidence{Feature::kHostingNetwork,
                       static_cast<double>(where.asn), 0, 0});
  }
  if (new_ip) s.Add(0, Evidence{Feature::kNewIpForAccount, 1, 0, 0});
  return s;
}

SignalScore RiskySession(const engine::AccountState& a,
                         bool above_export_floor) {
  SignalScore s;
  if (a.login_risk < kRiskyLogin) return s;
  s.Add(above_export_floor ? std::min(100, a.login_risk + 20) : a.login_risk,
        Evidence{Feature::kRiskySession, static_cast<double>(a.login_risk),
                 kRiskyLogin, 0});
  return s;
}

}  // namespace vigie
