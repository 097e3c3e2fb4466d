// LoginRisk (signal family 2): how unusual a session's origin is for this
// account, after Freeman et al. (NDSS 2016), and sessions that move.
//
// On each successful login of an account with at least
// `logins_before_novelty` earlier logins:
//  - novelty: an address the account never used scores 25, + 15 for a new
//    network (/24 or /48), + 10 for a new user agent, and with a location
//    database + 5 for a new autonomous system and + 10 for a new country
//    (a traveller abroad, 55, stays below the default alert threshold);
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
// On each lookup or export: lookups from an address other than the
// session's login address without a new login (a stolen session) score 25
// when the account used that address before (concurrent sessions), 60
// when it is new to the account.
//
// Cost: up to five novelty probes per login, no allocation.
// Thread-compatible.
#ifndef VIGIE_DETECTOR_SIGNALS_LOGIN_RISK_H_
#define VIGIE_DETECTOR_SIGNALS_LOGIN_RISK_H_

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
#include "detector/engine/login_population.h"
#include "detector/event.h"
#include "detector/signals/evidence.h"
#include "detector/stats/novelty_filter.h"

namespace vigie {

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

// On an authenticated action (lookup, export) by the account.
SignalScore ObserveSessionActivity(const Event& event, NoveltyFilter& novelty,
                                   engine::AccountState& account);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_LOGIN_RISK_H_
