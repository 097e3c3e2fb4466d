// LookupEnumeration (signal family 1): an account reading far more people
// than it, or its peers, ever do — the chained-lookup robot of 2022 and the
// patient low-and-slow reader.
//
// On each lookup it updates the account's windows and scores:
//  - volume: people new to the account in the last minute, hour and day,
//    against the larger of the peer group's 99.9th percentile (once it has
//    2,000 samples, and for the hour and day a whole day of them: the
//    first hours of a cold start hold every account's first reads and none
//    of the night's; until then, and for the hour and day while the
//    account is young, a high floor: a new account reads its own patients
//    for the first time, but within a minute what limits it is how fast
//    anyone looks people up), the account's own mean + 4 sd (after 200
//    lookups) and a
//    floor. At the baseline the score is 45; each doubling adds 30 (alert
//    at 60 by default, i.e. 1.4 × the baseline);
//    The minute baseline gets a 1.5x margin (short windows are noisy);
//    the day scale counts only while the last hour is busy (a quarter of
//    the hour's baseline, and a tenth of the day's: a pace that would
//    reach it in a working day), so a day total that stays high for 24 h
//    after a burst does not alert on the owner's ordinary lookups;
//  - cues that only count when the volume is already above its baseline:
//    sequential NIR sweeps, invalid control keys, "not found" answers,
//    machine-regular timing, an hour the account is never active around
//    (HourProfile::SurpriseAround: an hour past its usual end is a long
//    day, not a stranger's hour; once its hours are a habit, two days
//    and a hundred lookups: engine::HoursAreAHabit), a session whose
//    login was unlikely for
//    the account (its origin's likelihood ratio above the 99th percentile
//    of the portal's logins: a new network is not that for an account
//    behind a carrier's NAT).
// Novelty of (account, subject) comes from the shared NoveltyFilter.
//
// Cost: O(1) per lookup, no allocation. Thread-compatible.
#ifndef VIGIE_DETECTOR_SIGNALS_LOOKUP_ENUMERATION_H_
#define VIGIE_DETECTOR_SIGNALS_LOOKUP_ENUMERATION_H_

#include "detector/detector_options.h"
#include "detector/engine/entity_state.h"
#include "detector/event.h"
#include "detector/signals/evidence.h"
#include "detector/stats/bucket_clock.h"

namespace vigie {

// What ObserveLookup leaves for the lookup's other scorers (the peer
// features, the peer samples), so that they read the account's windows
// once: their totals with this lookup counted, and how surprising its hour
// is for the account (in bits).
struct LookupWindows {
  engine::LookupTotals totals;
  double unusual_hour_bits = 0;
};

// REQUIRES: event.action == kLookup.
// `peers` is the account's profession; `everyone` the whole population,
// used while the profession has too little history. `mature`: the account
// was first seen at least options.account_learning_period ago (the engine
// knows it already). `at`: the buckets of event.time_ms under
// options.windows (the engine's BucketClock finds them once per event).
// `windows` (optional) receives the account's windows after the lookup.
SignalScore ObserveLookup(const Event& event, const TimeBuckets& at,
                          bool subject_is_new, bool mature,
                          const DetectorOptions& options,
                          const engine::PeerBaseline& peers,
                          const engine::PeerBaseline& everyone,
                          engine::AccountState& account,
                          LookupWindows* windows = nullptr);

// After a lookup whose fused risk reached the incident threshold: the
// day's new people so far are what that incident reports, which the day
// scale does not count again once the account has been quiet for
// options.quiet_to_close (the time an incident takes to close), so the
// owner's ordinary lookups the next morning do not reopen it.
void NoteIncidentLookup(const Event& event, engine::AccountState& account);

}  // namespace vigie

#endif  // VIGIE_DETECTOR_SIGNALS_LOOKUP_ENUMERATION_H_
