// The per-entity state the detection engine keeps: one AccountState per
// portal account, one AddressState per source address and, for addresses
// that failed a login, an AddressFailures, for young addresses that more
// than one account logged in from, an AddressAccounts, held in
// EntityTables (bounded, LRU-evicted), plus the per-profession peer
// baselines. Plain values; the
// signal families read and update them.
//
// Size, fixed (no heap of their own; see README: over the DESIGN.md
// budget): AccountState 296 bytes (a lookup touches 272), its
// AccountFailuresAndExports 64, AddressState 24, AddressAccounts 56,
// AddressFewFailures 64, AddressFailures 304 (x86-64).
// Windowed counts keep only the windows the signals read (see
// WindowedCounters' kKept), which the signals' code static_asserts. An
// address's sets of accounts are most of what it could hold, but few
// addresses ever fail a login and few have more than one account while
// they are young, when its accounts are read: hence their own tables.
#ifndef VIGIE_DETECTOR_ENGINE_ENTITY_STATE_H_
#define VIGIE_DETECTOR_ENGINE_ENTITY_STATE_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "detector/engine/peer_model.h"
#include "detector/internal/prefetch.h"
#include "detector/internal/stable_hash.h"
#include "detector/ip_address.h"
#include "detector/stats/quantile_sketch.h"
#include "detector/stats/recent_distinct.h"
#include "detector/stats/state_codec.h"
#include "detector/stats/regularity.h"
#include "detector/stats/running_moments.h"
#include "detector/stats/windowed_counters.h"
#include "detector/stats/windowed_distinct.h"
#include "detector/stats/windowed_sum.h"

namespace vigie {
namespace engine {

// The counters of AccountState::lookup_counts.
enum LookupCounter : int {
  kLookups = 0,
  kNewSubjects,   // Never looked up by this account.
  kSequential,    // Next/previous NIR of the last one.
  kNotFound,
  kInvalidKeys,
  kLookupCounterCount,
};

// The lookup windows the signals read: volume and new people at three
// scales (lookup_enumeration, the peer samples), the shares of sequential,
// "not found" and invalid keys over 10 minutes, lookups per hour and per
// 10 minutes for the peer features (peer_deviation).
inline constexpr uint32_t kLookupWindowsRead =
    KeptOver(kLookups, {WindowSpec::kTenMinutes, WindowSpec::kHour}) |
    KeptOver(kNewSubjects,
             {WindowSpec::kMinute, WindowSpec::kHour, WindowSpec::kDay}) |
    KeptOver(kSequential, {WindowSpec::kTenMinutes}) |
    KeptOver(kNotFound, {WindowSpec::kTenMinutes}) |
    KeptOver(kInvalidKeys, {WindowSpec::kTenMinutes});

// A 32-bit digest of an address, for per-account state that must stay
// small (a collision costs at most one missed or one extra session
// check); never 0, which means "none".
inline uint32_t AddressHash(const IpAddress& ip) {
  return static_cast<uint32_t>(
             internal::SplitMix64(internal::SplitMix64(ip.hi()) ^ ip.lo())) |
         1;
}

// What lookups read and write comes first (with the session check's
// login addresses and login count) and what only logins and exports need
// (login features) last, so that scoring a
// lookup touches the first kLookupBytes only: the engine prefetches no
// more than that for a lookup.
struct AccountState {
  // Lookups: the LookupCounter counts, on one clock.
  using LookupCounts =
      WindowedCounters<uint16_t, kLookupCounterCount, kLookupWindowsRead>;
  LookupCounts lookup_counts;
  GapRegularity lookup_gaps;
  HourProfile hours;
  // Small fields next to each other, where HourProfile leaves room.
  uint16_t last_nir_order = 0;
  bool seen = false;
  // The latest login's origin was unlikely for this account: its
  // likelihood ratio (Freeman et al.) above the 99th percentile of the
  // portal's benign logins (ObserveSuccessfulLogin).
  bool login_unlikely = false;
  // The latest successful login's login-risk score (0-100), which the
  // session's later exports carry (RiskySession).
  uint8_t login_risk = 0;
  Ewma new_per_hour;  // Own baseline of kNewSubjects over 1 h.
  uint32_t last_nir_prefix = 0;
  uint32_t profession = 0;
  // Fusion. Floats: both are compared with thresholds, never summed.
  float risk = 0;
  float last_volume_ratio = 0;  // Of the latest lookup; gates learning.
  // A lookup's session check (ObserveSessionActivity) reads the login
  // count and the two latest login addresses.
  uint32_t logins = 0;
  // The AS of login_ip (0: unknown), in what would be padding.
  uint32_t session_asn = 0;
  // The day's new people when a lookup last reached the incident
  // threshold, and that minute (event time / 60 s): see
  // NoteIncidentLookup. 0: none.
  uint16_t day_reported = 0;
  int64_t first_seen_ms = 0;     // Event time the account was first seen.
  // The session's address: that of the latest successful login, or where
  // the session moved since without raising the account's risk.
  IpAddress login_ip;
  // The previous login's address, hashed (AddressHash, never 0; 0: none):
  // a lookup from there is the account's other session.
  uint32_t previous_login_hash = 0;
  // Only logins and exports from here on.
  uint32_t failures_since_success = 0;
  uint16_t login_country = 0;  // Of the latest login, 0 if unknown.
  // Distinct values used at successful logins, per LoginFeature (address,
  // network, AS, country, user agent), saturating.
  std::array<uint16_t, 5> distinct_origins{};
  int32_t reported_minute = 0;  // With day_reported.
  int64_t login_ms = 0;
  // The windows of failed logins and exported records are kept apart, in
  // AccountFailuresAndExports.
};

// Whether the account's hours of activity are a habit to judge an hour
// against: a hundred lookups, over two days at least (one day's profile
// says only which hours that day had; a second day's shift or a long day
// is not a stranger's hour).
inline constexpr int64_t kHabitMs = int64_t{2} * 24 * 3600 * 1000;
inline bool HoursAreAHabit(const AccountState& a, int64_t time_ms) {
  return a.hours.total() >= 100 && time_ms - a.first_seen_ms >= kHabitMs;
}

// Every lookup window's total as of the account's newest lookup, read
// once per lookup by its scorers (see WindowedCounters::TotalsAtClock).
using LookupTotals = AccountState::LookupCounts::Totals;

// The part of an AccountState a lookup touches (see above).
inline constexpr size_t kLookupBytes =
    offsetof(AccountState, failures_since_success);

// An account's failed logins over the hour (credential_attacks) and
// exported records over the day (bulk_export). At any moment most accounts
// have neither, so these live in a table of their own, created at an
// account's first failure or export and dropped once both windows are
// empty again (after DayWindowsIdleMs without either): 64 bytes for the
// few accounts that need them instead of in every AccountState.
struct AccountFailuresAndExports {
  WindowedSum<uint16_t, KeptOver(0, {WindowSpec::kHour})> failures;
  WindowedSum<uint32_t, KeptOver(0, {WindowSpec::kDay})> exported;
};

// How long state whose windows reach back at most over a horizon (the
// day: AccountFailuresAndExports, AddressFailures; the hour:
// AddressAccounts) may stay untouched before it is dropped: longer than that window reaches back (a horizon and a
// bucket, and a bucket more for alignment) plus twice the lateness, so
// that the engine, which drops events later than the lateness, would
// only ever have read the dropped state's windows as empty: dropping it
// loses nothing.
inline int64_t WindowsIdleMs(const WindowSpec& spec, int horizon) {
  return spec.horizon_ms(horizon) + 2 * spec.bucket_ms(horizon) +
         2 * spec.lateness_ms();
}
inline int64_t DayWindowsIdleMs(const WindowSpec& spec) {
  return WindowsIdleMs(spec, WindowSpec::kDay);
}

// An address's accounts are counted exactly up to these many (see
// RecentDistinct): beyond them the address's scores are already at or near
// their top, and a fixed size keeps the address table's memory cap exact.
// The thresholds on them must stay below (checked by Detector::Create).
inline constexpr int kAddressAccountsTracked = 8;
inline constexpr int kAddressFailingAccountsTracked = 32;
inline constexpr int kAddressUnknownAccountsTracked = 16;

struct AddressState {
  // Flags as bits (24 bytes in all, not 32): their initial values here,
  // since C++17 has no default member initializers for bit-fields.
  AddressState()
      : seen(false),
        allowlisted(false),
        allowlist_checked(false),
        located(false),
        accounts_in_table(false) {}

  int64_t first_seen_ms = 0;  // Its first successful login.
  uint32_t asn = 0;
  // Its accounts with a successful login, kept only while the address is
  // young (see ObserveSharedUse): while it has had one, that account and
  // the minute it was last seen (RecentDistinct::MinuteOf; 0: none yet);
  // from the second on, all of them in an AddressAccounts of their own
  // table (accounts_in_table).
  uint32_t lone_account = 0;
  uint32_t lone_account_minute = 0;
  uint16_t country = 0;
  bool seen : 1;  // first_seen_ms is set.
  bool allowlisted : 1;
  bool allowlist_checked : 1;
  bool located : 1;  // country and asn looked up.
  bool accounts_in_table : 1;
};
static_assert(sizeof(AddressState) == 24, "see the address budget");

// The accounts of a young address that more than one account logged in
// from (shared egress, or the few addresses an attack is driven from):
// created at its second account, erased once the address is too old for
// its accounts to be read again, and dropped after
// WindowsIdleMs(spec, kHour) without a login (they are read over the
// hour only).
struct AddressAccounts {
  RecentDistinct<kAddressAccountsTracked> accounts;
};

// An address's failed logins (spray, stuffing): created at its first as
// an AddressFewFailures, widened into an AddressFailures at its
// (kAddressFewFailingAccounts + 1)th distinct failing account, dropped
// after DayWindowsIdleMs without one (its sets are read over the hour and
// the day only). Most addresses that fail a login are a user's typing
// again: the few sets take 64 bytes instead of 304, and widened before
// anything is pushed out of them they count exactly as the wide ones.
inline constexpr int kAddressFewFailingAccounts = 4;
struct AddressFewFailures {
  RecentDistinct<kAddressFewFailingAccounts> failing_accounts;
  RecentDistinct<kAddressFewFailingAccounts> unknown_accounts;
};
struct AddressFailures {
  RecentDistinct<kAddressFailingAccountsTracked> failing_accounts;
  // Failing names never seen to succeed.
  RecentDistinct<kAddressUnknownAccountsTracked> unknown_accounts;
};

// What one lookup sample weighs in each thing a PeerBaseline learns from
// it (see PeerBaseline::WeighLookup): 0 learns nothing.
struct PeerSampleWeights {
  uint32_t minute = 1;
  uint32_t hour = 1;
  uint32_t day = 1;
  uint32_t model = 1;  // The peer model and its distance sketch.
  bool any() const { return (minute | hour | day | model) != 0; }
};

// What a profession's accounts usually do, learned from accounts that are
// not under suspicion: quantiles of values sampled at each lookup / export
// (the bulk of the lookups' one in N, with weight N: see WeighLookup).
//
// Scoring reads only the cached 99.9th percentiles and "warm" flags, which
// change only in Refresh(), called by the engine at each epoch boundary
// (one minute of event time). Within an epoch the baseline is frozen, so
// the order in which shards score their accounts cannot matter: that is
// what makes the sharded detector's output independent of its thread
// count. Samples are added in event order.
//
// Two generations of each sketch (the current and the previous day of event
// time) so the baseline follows how the group behaves now, not forever.
struct PeerBaseline {
  static constexpr uint64_t kWarm = 2000;  // Samples before it is trusted.
  static constexpr double kQuantile = 0.999;
  static constexpr int64_t kGenerationMs = 24 * 3600 * 1000;

  struct Generation {
    QuantileSketch new_per_minute;
    QuantileSketch new_per_hour;
    QuantileSketch new_per_day;
    QuantileSketch exported_per_day;
    QuantileSketch peer_distance;  // Squared Mahalanobis distances.
    void Clear() {
      for (QuantileSketch* s : Sketches()) s->Clear();
    }
    // All five at once, so that a rare kind of sample (an export) does not
    // allocate later on the hot path.
    void Reserve() {
      for (QuantileSketch* s : Sketches()) s->Reserve();
    }
    std::array<QuantileSketch*, 5> Sketches() {
      return {&new_per_minute, &new_per_hour, &new_per_day, &exported_per_day,
              &peer_distance};
    }
  };
  Generation current;
  Generation previous;
  int64_t generation_start_ms = INT64_MIN;
  uint64_t lookup_samples = 0;
  uint64_t export_samples = 0;
  uint64_t samples_at_refresh = 0;  // lookup + export samples.
  // Frozen between refreshes.
  double new_per_minute_top = 0;
  double new_per_hour_top = 0;
  double new_per_day_top = 0;
  double exported_per_day_top = 0;
  // The bulk's bounds (kBulkQuantile of the same; -1 while unknown, so
  // that no sample is in the bulk).
  double new_per_minute_bulk = -1;
  double new_per_hour_bulk = -1;
  double new_per_day_bulk = -1;
  double peer_distance_bulk = -1;
  uint64_t samples_at_bounds = 0;  // lookup_samples when last computed.
  bool lookups_warm_ = false;
  bool knows_a_day_ = false;  // See knows_a_day(); set by Refresh.
  bool exports_warm_ = false;
  PeerModel model;
  // The engine's epoch this was last refreshed for (the engine's
  // bookkeeping; not in snapshots, which hold baselines as refreshed).
  int64_t refreshed_epoch = INT64_MIN;

  // How far a generation may widen the tail: a value above kLearnCap times
  // the top as it stood when the generation began is not learned (see
  // WeighLookup). The tops follow their samples at every refresh, so
  // without it one account reading a little more each minute, always just
  // under an alert, would carry a small profession's tail along with it
  // (a low-and-slow reader is a fifth of a nurse group's lookups); with
  // it, the tail widens by at most 40% a day.
  static constexpr double kLearnCap = 1.4;
  // The caps in force (infinite until the first rotation, a day after the
  // first sample).
  double learn_cap_minute = HUGE_VAL;
  double learn_cap_hour = HUGE_VAL;
  double learn_cap_day = HUGE_VAL;

  void Rotate(int64_t time_ms) {
    if (generation_start_ms == INT64_MIN) {
      // Both generations' memory at the first sample (~40 KiB), so that
      // neither a later rotation nor a rare kind of sample allocates.
      generation_start_ms = time_ms;
      current.Reserve();
      previous.Reserve();
    }
    if (time_ms - generation_start_ms < kGenerationMs) return;
    // The day's top is trusted once a generation ran with the day windows
    // full, i.e. from the second rotation on (the first day's windows were
    // filling); the minute's and hour's from the first.
    const bool day_windows_were_full = HoldsAPreviousDay();
    // The generations trade places, so their memory is reused.
    std::swap(previous, current);
    current.Clear();
    generation_start_ms = time_ms;
    // At least one more than the top: small counts still grow.
    learn_cap_minute = LearnCap(new_per_minute_top);
    learn_cap_hour = LearnCap(new_per_hour_top);
    if (day_windows_were_full) learn_cap_day = LearnCap(new_per_day_top);
  }
  static double LearnCap(double top) {
    return std::max(kLearnCap * top, top + 1);
  }
  static double Top(const QuantileSketch& a, const QuantileSketch& b,
                    double q) {
    return QuantileSketch::QuantileOfUnion(a, b, q);
  }
  // What a lookup sample weighs in each thing the baseline learns from it
  // (the three volume sketches; the peer model with its distance sketch),
  // so that the bulk of the samples can be learned one in N with weight N
  // (DetectorOptions::peer_sample_one_in): a value above the frozen
  // kBulkQuantile of its sketch weighs 1, always; one at or below it
  // weighs N if the lookup is `chosen` (one in N, by the engine) and 0
  // otherwise. Every count above the bulk stays exact, so the 99.9th
  // percentiles that scoring reads move only by the weighted total's
  // sampling error (~1/sqrt of the bulk's samples) in their rank, and the
  // model's mean and covariance stay unbiased. Everything weighs 1 until
  // the baseline is warm (and, for the model, until 2000 distances are
  // known), so warm-up learns all. The bounds change only in Refresh,
  // between batches: the engine weighs a sample while shards score it
  // and applies the weights afterwards.
  static constexpr double kBulkQuantile = 0.9;
  // `learns_model`: as AddLookup's learn_model (false: the model's weight
  // is 0, it learns nothing).
  PeerSampleWeights WeighLookup(double minute, double hour, double day,
                                double distance2, bool learns_model,
                                uint32_t one_in, bool chosen) const {
    PeerSampleWeights w;
    if (!learns_model) w.model = 0;
    if (minute > learn_cap_minute) w.minute = 0;
    if (hour > learn_cap_hour) w.hour = 0;
    if (day > learn_cap_day) w.day = 0;
    if (one_in <= 1) return w;
    const uint32_t bulk = chosen ? one_in : 0;
    if (minute <= new_per_minute_bulk) w.minute = bulk;
    if (hour <= new_per_hour_bulk) w.hour = bulk;
    if (day <= new_per_day_bulk) w.day = bulk;
    if (learns_model && distance2 >= 0 && distance2 <= peer_distance_bulk) {
      w.model = bulk;
    }
    return w;
  }
  // `features` and `distance2` (under the frozen model; < 0 when it had
  // none) describe the account's window for the peer model, which learns
  // them unless `learn_model` is false (a model nobody reads). `weights`:
  // see WeighLookup.
  void AddLookup(int64_t time_ms, double minute, double hour, double day,
                 const PeerFeatures& features, double distance2,
                 bool learn_model = true,
                 const PeerSampleWeights& weights = PeerSampleWeights()) {
    Rotate(time_ms);
    current.new_per_minute.AddWeighted(minute, weights.minute);
    current.new_per_hour.AddWeighted(hour, weights.hour);
    current.new_per_day.AddWeighted(day, weights.day);
    if (learn_model) model.Learn(features, distance2, weights.model);
    if (distance2 >= 0) {
      current.peer_distance.AddWeighted(distance2, weights.model);
    }
    ++lookup_samples;
  }
  void AddExport(int64_t time_ms, double day_total) {
    Rotate(time_ms);
    current.exported_per_day.Add(day_total);
    ++export_samples;
  }
  // Refresh reads cold memory (a minute of other events went by): the
  // sketches first, then their top buckets. Asking for all of them before
  // the walks overlaps those cache misses; the engine calls
  // PrefetchSketches, then PrefetchTops, then Refresh.
  bool WillRefresh() const {
    return lookup_samples + export_samples != samples_at_refresh;
  }
  void PrefetchSketches() const {
    internal::PrefetchLines(&current, sizeof(Generation));
    internal::PrefetchLines(&previous, sizeof(Generation));
  }
  void PrefetchTops() const {
    for (const Generation* g : {&current, &previous}) {
      for (const QuantileSketch* s :
           {&g->new_per_minute, &g->new_per_hour, &g->new_per_day,
            &g->exported_per_day, &g->peer_distance}) {
        s->PrefetchTop();
      }
    }
  }
  // Recomputes what scoring reads; cheap when nothing was learned.
  void Refresh() {
    const uint64_t samples = lookup_samples + export_samples;
    if (samples == samples_at_refresh) return;
    samples_at_refresh = samples;
    lookups_warm_ = lookup_samples >= kWarm;
    knows_a_day_ = lookups_warm_ && HoldsAPreviousDay();
    exports_warm_ = export_samples >= 50;
    // The bulk bounds decide only what is learned whole, never a score, so
    // they follow the tops loosely: recomputed once the baseline has taken
    // in, since their last computation, 1/16 as many samples as its two
    // generations hold (so every few hours in a steady group, more often
    // while it grows, however long the replay). Walking down to every 90th
    // percentile at every minute of event time raised the detector's p99
    // latency from ~0.80 to ~0.96 us.
    const uint64_t held =
        current.new_per_day.count() + previous.new_per_day.count();
    const bool bounds_due =
        lookups_warm_ &&
        lookup_samples - samples_at_bounds >=
            std::max<uint64_t>(1, held / kBoundsGrowthDivisor);
    if (bounds_due) samples_at_bounds = lookup_samples;
    TopAndBulk(current.new_per_minute, previous.new_per_minute, bounds_due,
               &new_per_minute_top, &new_per_minute_bulk);
    TopAndBulk(current.new_per_hour, previous.new_per_hour, bounds_due,
               &new_per_hour_top, &new_per_hour_bulk);
    TopAndBulk(current.new_per_day, previous.new_per_day, bounds_due,
               &new_per_day_top, &new_per_day_bulk);
    exported_per_day_top =
        Top(current.exported_per_day, previous.exported_per_day, 0.99);
    double distance2_top = 0;
    TopAndBulk(current.peer_distance, previous.peer_distance,
               bounds_due && current.peer_distance.count() +
                                     previous.peer_distance.count() >=
                                 kWarm,
               &distance2_top, &peer_distance_bulk);
    model.Freeze(distance2_top);
  }
  static constexpr uint64_t kBoundsGrowthDivisor = 16;
  // The kQuantile of the union of a and b, and when `bounds_due` its
  // kBulkQuantile too (else *bulk is left as it is).
  static void TopAndBulk(const QuantileSketch& a, const QuantileSketch& b,
                         bool bounds_due, double* top, double* bulk) {
    if (bounds_due) {
      QuantileSketch::HighQuantilesOfUnion(a, b, kQuantile, kBulkQuantile,
                                           top, bulk);
    } else {
      *top = Top(a, b, kQuantile);
    }
  }
  bool lookups_warm() const { return lookups_warm_; }
  // Warm, and holding a whole day of samples (the previous generation):
  // what the hour and day scales need, for they must know the group's
  // day and night; the first hours of a cold start hold every account's
  // first reads (all new to it) and none of the night's batch work.
  bool knows_a_day() const { return knows_a_day_; }
  // The previous generation holds samples: a whole day went by since the
  // first (generations rotate lazily, at a sample, so an idle day leaves
  // no empty one).
  bool HoldsAPreviousDay() const { return previous.new_per_day.count() > 0; }
  bool exports_warm() const { return exports_warm_; }
};

// Snapshot support for the state kinds.
void EncodeAccount(StateWriter& w, const AccountState& a);
bool DecodeAccount(StateReader& r, AccountState* a);
void EncodeAccountWindows(StateWriter& w, const AccountFailuresAndExports& a);
bool DecodeAccountWindows(StateReader& r, AccountFailuresAndExports* a);
void EncodeAddress(StateWriter& w, const AddressState& s);
bool DecodeAddress(StateReader& r, AddressState* s);
void EncodeAddressFailures(StateWriter& w, const AddressFailures& f);
bool DecodeAddressFailures(StateReader& r, AddressFailures* f);
void EncodeAddressFewFailures(StateWriter& w, const AddressFewFailures& f);
bool DecodeAddressFewFailures(StateReader& r, AddressFewFailures* f);
void EncodeAddressAccounts(StateWriter& w, const AddressAccounts& a);
bool DecodeAddressAccounts(StateReader& r, AddressAccounts* a);
void EncodePeers(StateWriter& w, const PeerBaseline& p);
bool DecodePeers(StateReader& r, PeerBaseline* p);

}  // namespace engine
}  // namespace vigie

#endif  // VIGIE_DETECTOR_ENGINE_ENTITY_STATE_H_
