// LoginRisk (signal family 2): how unusual a session's origin is for this
// account, after Freeman et al. (NDSS 2016) — here in its novelty form: an
// address, network (/24 or /48) or user agent the account never used
// (remembered by the shared NoveltyFilter), weighted like the paper's
// likelihood ratio for never-seen values, and lookups from an address other
// than the session's login address without a new login (a stolen session).
// Country and autonomous system (libloc) are not used yet.
//
// A new address alone scores 25, + 15 for a new network, + 10 for a new
// user agent (so a traveller with a new laptop does not alert on that
// alone); a session switch to another address without a login scores 25
// (an address the account used before: concurrent sessions), 60 when that
// address is new to the account.
//
// Cost: up to three novelty probes per login, no allocation.
// Thread-compatible.
#ifndef VIGIE_DETECTOR_SIGNALS_LOGIN_RISK_H_
#define VIGIE_DETECTOR_SIGNALS_LOGIN_RISK_H_

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
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
};
uint64_t ScopeOf(NoveltyScope scope, uint32_t account);

// On a successful login.
SignalScore ObserveSuccessfulLogin(const Event& event,
                                   const DetectorOptions& options,
                                   NoveltyFilter& novelty,
                                   engine::AccountState& account);

// On an authenticated action (lookup, export) by the account.
SignalScore ObserveSessionActivity(const Event& event, NoveltyFilter& novelty,
                                   engine::AccountState& account);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_LOGIN_RISK_H_
