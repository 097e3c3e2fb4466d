// LoginRisk (signal family 2): how unusual a session's origin is for this
// account, after Freeman et al. (NDSS 2016), and sessions that move.
//
// On each successful login of an account with at least
// `logins_before_novelty` earlier logins:
//  - novelty, nested (a new country is also a new AS, network and
//    address: one fact, scored by how deep it goes): 10 for an address
//    the account never used, + 10 for a new network (/24 or /48), + 10 for
//    a new autonomous system and + 10 for a new country (with a location
//    database), + 10 for a new user agent; a traveller abroad on a new
//    laptop, 50, stays below the default incident threshold (so does a
//    user's first login through a commercial VPN: its exits are hosting
//    networks, which weigh only on sessions that move there);
//  - likelihood ratio: log10 LR = sum over the five features k of
//    log10 p(x_k | population) - log10 p(x_k | account), with the paper's
//    smoothing (see engine/login_population.h); p(account | attack) /
//    p(account | legit) is taken as 1 (attackers are not assumed to prefer
//    any account). The account's count of a value it used before is
//    estimated as n / (distinct values it used), since per-value counts
//    per account would cost more memory than the budget allows. The ratio
//    adds 10 points per decade above the 99.9th percentile of the portal's
//    own benign logins (at most 30);
//  - impossible travel: the previous login's country is further than
//    `max_travel_kmh` allows in the time between them (35 points: with a
//    new address abroad, an alert recommending step-up authentication).
// On each lookup or export from an address other than the session's
// (ObserveSessionActivity), judged by how far it moved:
//  - within the session's /24 (IPv4) or /64 (IPv6): nothing; the session
//    follows it (a NAT pool's neighbour, a new temporary IPv6 address);
//  - to an address, network or autonomous system the account has used, or
//    the session's own AS (dual stack, carrier NAT, renumbering, a
//    second site): 10, and the session follows it;
//  - to a provider the account never used: 25, a weak anomaly (a phone's
//    first use of its mobile data looks like this), and more for what is
//    true of the place:
//      + up to 30 the rarer that AS is among the portal's logins (10 a
//        decade below 1%; a share below 1/n of n logins counts as 1/n, so
//        a network nobody logs in from gets the 30 once the portal has
//        seen 100,000 logins);
//      + 30 when it is in a country the account never logged in from
//        (rarer within a session than a new provider at home), and 35
//        more when it is too far to have travelled there since the
//        session's login, at `max_travel_kmh` (a traveller's phone coming
//        home through its own carrier is neither);
//      + 25 when it is a hosting provider's network or an anonymous proxy
//        (detector/geo/hosting_networks.h, libloc's flag): a data centre
//        is a second fact as strong as the first.
//    The session does not follow, so every later event from there is
//    judged the same way.
// Without a location database the AS and country are unknown: a move to a
// network the account never used scores 25.
// Before the damage (RiskySession): a login's score, + 10 at an hour the
// account almost never works around (HourProfile::SurpriseAround), stays
// with its session. From
// kRiskyLogin up (a new provider on a new device, a new country, an
// unlikely origin), each export of the session carries it: as the
// login's score (a medium risk that Observe returns on the export itself,
// for the portal to ask for a second factor), and + 20 once the day's
// exported records pass `min_exported_records_per_day` (a new country's
// bulk export: 60, an incident before its records are served).
//
// Cost: up to five novelty probes per login, no allocation; a session
// check costs nothing while the address stays the session's, and up to
// four novelty probes, a location lookup (under a mutex) and a count-min
// read when it moves.
// Thread-compatible.
#ifndef VIGIE_DETECTOR_SIGNALS_LOGIN_RISK_H_
#define VIGIE_DETECTOR_SIGNALS_LOGIN_RISK_H_

#include <cstdint>
#include <vector>

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
#include "detector/engine/login_population.h"
#include "detector/event.h"
#include "detector/signals/evidence.h"
#include "detector/stats/novelty_filter.h"

namespace vigie {

class LocationDatabase;

// Novelty scopes: which kind of value is paired with the account.
enum class NoveltyScope : uint64_t {
  kSubject = 1,
  kAddress = 2,
  kNetwork = 3,
  kUserAgent = 4,
  kAs = 5,
  kCountry = 6,
};
uint64_t ScopeOf(NoveltyScope scope, uint32_t account);
// An AS number as a login feature key (LoginKeys[kLoginAs]); 0 for 0.
uint64_t AsKey(uint32_t asn);
// A country code as a login feature key (LoginKeys[kLoginCountry]).
uint64_t CountryKey(uint16_t country);

// Hints the novelty blocks and population counters a successful login of
// `e` will read for the features its event alone names (address, network,
// user agent; the AS and country need the address's location), so that
// their cache misses overlap with the address side's work. Changes
// nothing.
void PrefetchLogin(const Event& e, const NoveltyFilter& novelty,
                   const engine::LoginPopulation& population);

// What the engine knows about a login's origin before the account side
// scores it.
struct LoginOrigin {
  uint16_t country = 0;  // 0: unknown (no location database).
  uint32_t asn = 0;
  engine::LoginKeys keys{};
  engine::PopulationOdds population{};
  double ratio_top = 0;     // Population's p99.9 of log10 LR (frozen).
  double ratio_p99 = 0;     // Its 99th percentile (frozen).
  bool ratio_warm = false;  // Enough benign logins to trust ratio_top.
};

// The login's features as keys (address, network, AS, country, agent).
engine::LoginKeys LoginKeysOf(const Event& event, uint16_t country,
                              uint32_t asn);

// On a successful login. `log10_ratio` receives the login's likelihood
// ratio (NaN when the account has too little history).
SignalScore ObserveSuccessfulLogin(const Event& event,
                                   const DetectorOptions& options,
                                   const LoginOrigin& origin,
                                   NoveltyFilter& novelty,
                                   engine::AccountState& account,
                                   double* log10_ratio);

// What a session check may consult about an address new to the session:
// where it is (null: no location database) and how common its AS is among
// the portal's logins (null: not used).
struct SessionContext {
  const LocationDatabase* locations = nullptr;
  const engine::LoginPopulation* population = nullptr;
  // The operator's hosting ASNs, sorted (DetectorOptions::hosting_asns).
  const std::vector<uint32_t>* hosting_asns = nullptr;
  double max_travel_kmh = 1000;  // DetectorOptions::max_travel_kmh.
};

// On an authenticated action (lookup, export) by the account.
SignalScore ObserveSessionActivity(const Event& event,
                                   const SessionContext& context,
                                   NoveltyFilter& novelty,
                                   engine::AccountState& account);

// A login score from which the session's later actions carry it.
inline constexpr int kRiskyLogin = 40;

// What the session's login risk adds to an export (see the header
// comment); `above_export_floor`: the day's exported records, this one
// included, exceed min_exported_records_per_day.
SignalScore RiskySession(const engine::AccountState& account,
                         bool above_export_floor);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_LOGIN_RISK_H_
