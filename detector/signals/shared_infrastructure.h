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
// Cost: O(1) amortised per successful login. Thread-compatible.
#ifndef VIGIE_DETECTOR_SIGNALS_SHARED_INFRASTRUCTURE_H_
#define VIGIE_DETECTOR_SIGNALS_SHARED_INFRASTRUCTURE_H_

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
#include "detector/event.h"
#include "detector/signals/evidence.h"

namespace vigie {

// REQUIRES: a successful login. `stream_start_ms`: first event time seen.
SignalScore ObserveSharedUse(const Event& event, int64_t stream_start_ms,
                             const DetectorOptions& options,
                             engine::AddressState& address);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_SHARED_INFRASTRUCTURE_H_
