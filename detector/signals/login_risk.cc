#include "detector/signals/login_risk.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "detector/geo/country_positions.h"

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

// Prefetches the novelty blocks of the login's non-zero keys.
void PrefetchNovelty(const engine::LoginKeys& keys, uint32_t account,
                     const NoveltyFilter& novelty) {
  for (int k = 0; k < engine::kLoginFeatureCount; ++k) {
    if (keys[k] == 0) continue;
    novelty.Prefetch(ScopeOf(kScopes[k], account), keys[k]);
  }
}

}  // namespace

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
  keys[engine::kLoginAs] = asn == 0 ? 0 : (uint64_t{1} << 40) | asn;
  keys[engine::kLoginCountry] = country == 0 ? 0 : (uint64_t{2} << 40) | country;
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
  if (experienced && is_new[engine::kLoginAddress]) {
    s.Add(25, Evidence{Feature::kNewIpForAccount, 1, 0, 0});
    if (is_new[engine::kLoginNetwork]) {
      s.Add(15, Evidence{Feature::kNewNetworkForAccount, 1, 0, 0});
    }
    if (is_new[engine::kLoginAs]) {
      s.Add(5, Evidence{Feature::kNewAsForAccount,
                         static_cast<double>(origin.asn), 0, 0});
    }
    if (is_new[engine::kLoginCountry]) {
      s.Add(10, Evidence{Feature::kNewCountryForAccount,
                         static_cast<double>(origin.country), 0, 0});
    }
  }
  if (experienced && is_new[engine::kLoginAddress] &&
      is_new[engine::kLoginAgent]) {
    s.Add(10, Evidence{Feature::kNewUserAgentForAccount, 1, 0, 0});
  }
  if (experienced && origin.ratio_warm && ratio > origin.ratio_top) {
    s.Add(std::min(30.0, 10 * (ratio - origin.ratio_top)),
          Evidence{Feature::kUnusualOrigin, ratio, origin.ratio_top, 0});
  }
  // Impossible travel since the previous login.
  if (a.logins > 0 && origin.country != 0 && a.login_country != 0) {
    const std::optional<double> km =
        TravelDistanceKm(a.login_country, origin.country);
    const double hours =
        std::max<double>(e.time_ms - a.login_ms, 60 * 1000) / 3600000.0;
    if (km && *km > 0 && *km / hours > options.max_travel_kmh) {
      s.Add(35, Evidence{Feature::kImpossibleTravel, *km / hours,
                         options.max_travel_kmh, e.time_ms - a.login_ms});
    }
  }
  if (origin.country != 0) a.login_country = origin.country;
  // A new session: timing regularity is measured within it, not across the
  // night before.
  a.lookup_gaps = GapRegularity();
  a.previous_login_ip = a.login_ip;
  a.login_ip = e.ip;
  a.login_ms = e.time_ms;
  a.login_ip_new = experienced && is_new[engine::kLoginAddress];
  ++a.logins;
  return s;
}

SignalScore ObserveSessionActivity(const Event& e, NoveltyFilter& novelty,
                                   engine::AccountState& a) {
  SignalScore s;
  if (a.logins == 0 || e.ip == a.login_ip || e.ip == a.previous_login_ip) {
    return s;
  }
  const bool new_ip = !novelty.Contains(
      ScopeOf(NoveltyScope::kAddress, e.account), OriginKey(e.ip));
  // To an address the account used before (another of its sessions, a
  // hospital's second NAT address): weak. To a new one: a stolen session.
  s.Add(new_ip ? 60 : 25, Evidence{Feature::kIpSwitchWithoutLogin, 1, 0, 0});
  if (new_ip) s.Add(0, Evidence{Feature::kNewIpForAccount, 1, 0, 0});
  return s;
}

}  // namespace vigie
