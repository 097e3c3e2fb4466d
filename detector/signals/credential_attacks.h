// CredentialAttacks (signal family 3): brute force (many failures on one
// account), password spray and credential stuffing (one address failing on
// many accounts, often names that never log in), and a success after a run
// of failures.
//
// Per account: failures in the last hour against
// `account_failures_per_hour` (score 50 at the threshold, +5 per failure
// beyond); a successful login after at least that many failures scores 85.
// Per address: distinct failing accounts in the last hour and the last day
// against `failing_accounts_per_ip_hour` / `_day` (score 50 at the
// threshold, +4 per account beyond; +10 when most are unknown names).
// Shared egress (hospital NAT, carrier NAT) sees a few typos a day from many
// accounts, far below these counts.
// A successful login from an address at or above those counts (the
// stuffing or spray got in) scores 75 on the account it got into, so that
// every account taken over is named by an incident of its own (the
// recommended action: force a password reset), not only the address.
//
// The two sides are separate so the sharded engine can run the account
// side on the account's shard and the address side serially.
//
// Cost: O(1) amortised per login, no allocation in exact mode.
// Thread-compatible.
#ifndef VIGIE_DETECTOR_SIGNALS_CREDENTIAL_ATTACKS_H_
#define VIGIE_DETECTOR_SIGNALS_CREDENTIAL_ATTACKS_H_

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
#include "detector/event.h"
#include "detector/ip_address.h"
#include "detector/signals/evidence.h"
#include "detector/stats/entity_table.h"

namespace vigie {

// The account's side of a login attempt (brute force, success after
// failures). `windows`: the account's failure window, read and written for
// a failed login only (may be null for any other).
// REQUIRES: event.action == kLogin.
SignalScore ObserveAccountLogin(const Event& event,
                                const DetectorOptions& options,
                                engine::AccountState& account,
                                engine::AccountFailuresAndExports* windows);

// The address's side of a failed login (spray, stuffing).
// `known_account`: the account has logged in successfully before.
// REQUIRES: event.action == kLogin, event.outcome == kFailure.
// The address's sets are its entry in `few_sets` until a failing account
// would push one out of it, then in `wide_sets` (see AddressFewFailures),
// both tables with DayWindowsIdleMs as their TTL; counts and scores are
// those of one AddressFailures per address, the second overload.
SignalScore ObserveAddressFailure(
    const Event& event, bool known_account, const DetectorOptions& options,
    EntityTable<IpAddress, engine::AddressFewFailures>& few_sets,
    EntityTable<IpAddress, engine::AddressFailures>& wide_sets);
SignalScore ObserveAddressFailure(const Event& event, bool known_account,
                                  const DetectorOptions& options,
                                  engine::AddressFailures& address);

// What a successful login from an attacking address scores on the account
// it got into: 75, with the address's failing accounts (`observed`), the
// threshold they reached (`limit`) and over what window as evidence.
SignalScore LoginFromAttackingAddress(double observed, double limit,
                                      int64_t window_ms);

// The address's side of a successful login: 75 when the address is
// attacking (its failing accounts at or above either threshold), else 0.
// Reads the tables only (no expiry, no touch).
// REQUIRES: event.action == kLogin, event.outcome == kSuccess.
SignalScore ObserveLoginFromAddress(
    const Event& event, const DetectorOptions& options,
    EntityTable<IpAddress, engine::AddressFewFailures>& few_sets,
    EntityTable<IpAddress, engine::AddressFailures>& wide_sets);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_CREDENTIAL_ATTACKS_H_
