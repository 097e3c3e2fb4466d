// SharedInfrastructure (signal family 4): one address used by several
// otherwise unrelated accounts within an hour — the 19 compromised doctor
// accounts of 2022 driven from a few hosting addresses.
//
// Shared egress is normal for hospital NAT and carrier-grade NAT, so the
// signal is learned rather than fixed: an address counts as known shared
// egress once it has been seen for a day (such addresses carry many
// accounts every day from the start of their history); only addresses
// younger than a day, after the stream itself has a day of history, are
// scored. Configured allowlisted networks never alert. Score: 50 at
// `accounts_per_new_ip_hour` distinct accounts with a successful login in
// the last hour, +10 per account beyond (alert at threshold + 1 by
// default).
//
// An address's accounts are read only while it is young, so they are kept
// only then: one inline while it has had one, all of them in `sets` (a
// table of AddressAccounts, WindowsIdleMs(windows, kHour) as its TTL)
// from the second on, erased once no event the engine accepts can find
// the address young. Counts are those of one RecentDistinct per address.
//
// Cost: O(1) amortised per successful login; a table lookup only for
// young addresses with several accounts. Thread-compatible.
//
// Example (the engine's phase A):
//   SignalScore shared = ObserveSharedUse(e, stream_start_ms, options,
//                                         address, address_accounts);
#ifndef VIGIE_DETECTOR_SIGNALS_SHARED_INFRASTRUCTURE_H_
#define VIGIE_DETECTOR_SIGNALS_SHARED_INFRASTRUCTURE_H_

#include <array>
#include <cstdint>

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
#include "detector/event.h"
#include "detector/ip_address.h"
#include "detector/signals/evidence.h"
#include "detector/stats/entity_table.h"

namespace vigie {

// How long an address counts as young (and its accounts are read).
inline constexpr int64_t kSharedUseYoungMs = 24 * 3600 * 1000;

// The accounts that logged in successfully from the event's address in
// the last hour, as far as its young-address state keeps them (at most
// kAddressAccountsTracked; none once the address is a day old): when the
// address turns out to be stuffing or spraying, the accounts it already
// got into. Reads only. Returns how many it wrote to `out`.
int RecentLoginsFrom(
    const Event& event, const DetectorOptions& options,
    const engine::AddressState& address,
    EntityTable<IpAddress, engine::AddressAccounts>& sets,
    std::array<uint32_t, engine::kAddressAccountsTracked>* out);

// REQUIRES: a successful login. `stream_start_ms`: first event time seen.
// `sets`: where the address's accounts go once it has two or more.
SignalScore ObserveSharedUse(
    const Event& event, int64_t stream_start_ms,
    const DetectorOptions& options, engine::AddressState& address,
    EntityTable<IpAddress, engine::AddressAccounts>& sets);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_SHARED_INFRASTRUCTURE_H_
