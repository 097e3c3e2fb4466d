#include "detector/signals/lookup_enumeration.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstdlib>

#include "absl/time/time.h"

namespace vigie {
namespace {

constexpr int kMinute = WindowSpec::kMinute;
constexpr int kTenMinutes = WindowSpec::kTenMinutes;
constexpr int kHour = WindowSpec::kHour;
constexpr int kDay = WindowSpec::kDay;

// The account keeps only the lookup windows read below.
using LookupCounts = engine::AccountState::LookupCounts;
static_assert(LookupCounts::Keeps(engine::kNewSubjects, kMinute) &&
              LookupCounts::Keeps(engine::kNewSubjects, kHour) &&
              LookupCounts::Keeps(engine::kNewSubjects, kDay) &&
              LookupCounts::Keeps(engine::kLookups, kTenMinutes) &&
              LookupCounts::Keeps(engine::kSequential, kTenMinutes) &&
              LookupCounts::Keeps(engine::kNotFound, kTenMinutes) &&
              LookupCounts::Keeps(engine::kInvalidKeys, kTenMinutes));

// People new to the account in the last day that no earlier incident
// reported (NoteIncidentLookup). A day total stays high for 24 h after a
// burst: once the burst's incident has gone quiet (options.quiet_to_close),
// the day scale counts only what came after it, so the owner's ordinary
// lookups the next morning do not reopen it. While alerts go on, the whole total
// counts. The reported total follows the window down as it slides (those
// still in it may all be reported ones).
double UnreportedDayTotal(double day_total, int64_t time_ms,
                          const DetectorOptions& options,
                          engine::AccountState& a) {
  if (a.day_reported == 0) return day_total;
  if (day_total < a.day_reported) {
    a.day_reported = static_cast<uint16_t>(day_total);
  }
  const int64_t quiet_minutes = absl::ToInt64Minutes(options.quiet_to_close);
  const int64_t since = time_ms / 60000 - a.reported_minute;
  if (since <= quiet_minutes) return day_total;
  return day_total - a.day_reported;
}

// The three scales' baselines (minute, hour, day) for this account.
void VolumeBaselines(bool young, const engine::PeerBaseline& peers,
                     const DetectorOptions& options,
                     const engine::AccountState& a, double base[3]) {
  base[0] = options.min_new_subjects_per_minute;
  base[1] = options.min_new_subjects_per_hour;
  base[2] = options.min_new_subjects_per_day;
  if (!peers.lookups_warm()) {
    // A group without history has no baseline: only blatant enumeration
    // counts.
    base[0] = std::max(base[0], options.cold_start_new_per_minute);
    base[1] = std::max(base[1], options.cold_start_new_per_hour);
    base[2] = std::max(base[2], options.cold_start_new_per_day);
  } else if (young) {
    // Everything is new to a new account: over an hour or a day it reads
    // its own patients for the first time, which its peers did long ago,
    // so only blatant volume counts there. Within a minute what limits a
    // person is how fast anyone can look people up: its peers' minute.
    base[0] = std::max(base[0], peers.new_per_minute_top);
    base[1] = std::max(base[1], options.cold_start_new_per_hour);
    base[2] = std::max(base[2], options.cold_start_new_per_day);
  } else {
    base[0] = std::max(base[0], peers.new_per_minute_top);
    if (peers.knows_a_day()) {
      base[1] = std::max(base[1], peers.new_per_hour_top);
      base[2] = std::max(base[2], peers.new_per_day_top);
    } else {
      base[1] = std::max(base[1], options.cold_start_new_per_hour);
      base[2] = std::max(base[2], options.cold_start_new_per_day);
    }
  }
  // A minute holds few events: its counts are noisy, so its baseline gets
  // a 1.5x margin.
  base[0] *= 1.5;
  if (!young && a.new_per_hour.count() >= 200) {
    base[1] = std::max(base[1], a.new_per_hour.mean() +
                                    4 * std::sqrt(a.new_per_hour.variance()));
  }
}

// The cues that count once the volume is above its baseline.
void AddCues(const Event& e, const engine::LookupTotals& totals,
             const WindowSpec& w, double unusual_around_bits,
             const engine::AccountState& a, SignalScore& s) {
  const double lookups = totals.Get(engine::kLookups, kTenMinutes);
  const int64_t ten = w.horizon_ms(kTenMinutes);
  if (lookups >= 10) {
    const double seq = totals.Get(engine::kSequential, kTenMinutes) / lookups;
    if (seq >= 0.2) {
      s.Add(15, Evidence{Feature::kSequentialNirShare, seq, 0, ten});
    }
    const double nf = totals.Get(engine::kNotFound, kTenMinutes) / lookups;
    if (nf >= 0.2) s.Add(10, Evidence{Feature::kNotFoundShare, nf, 0, ten});
  }
  const double invalid = totals.Get(engine::kInvalidKeys, kTenMinutes);
  if (invalid >= 3) {
    s.Add(15, Evidence{Feature::kInvalidNirKeys, invalid, 0, ten});
  }
  std::optional<double> cv = a.lookup_gaps.CoefficientOfVariation();
  if (cv && *cv < 0.5 && a.lookup_gaps.mean_gap_ms() < 10000) {
    s.Add(15, Evidence{Feature::kMachineRegularity, *cv,
                       a.lookup_gaps.mean_gap_ms() / 1000.0, 0});
  }
  if (unusual_around_bits >= 7) {
    s.Add(10, Evidence{Feature::kUnusualHour, unusual_around_bits, 0, 0});
  }
  if (a.login_unlikely && e.ip == a.login_ip) {
    s.Add(10, Evidence{Feature::kUnlikelySession, 1, 0, 0});
  }
}

}  // namespace

SignalScore ObserveLookup(const Event& e, const TimeBuckets& at,
                          bool subject_is_new, bool mature,
                          const DetectorOptions& options,
                          const engine::PeerBaseline& profession,
                          const engine::PeerBaseline& everyone,
                          engine::AccountState& a,
                          LookupWindows* windows_out) {
  assert(at.time_ms == e.time_ms);
  const engine::PeerBaseline& peers =
      profession.lookups_warm() ? profession : everyone;
  const WindowSpec& w = options.windows;
  const bool is_nir = e.subject_flags & kSubjectIsNir;
  const bool sequential = is_nir && a.last_nir_prefix == e.nir_prefix &&
                          a.last_nir_order != 0 &&
                          std::abs(int{e.nir_order} - int{a.last_nir_order}) == 1;
  const bool invalid_key = is_nir && (e.subject_flags & kNirKeyPresent) &&
                           !(e.subject_flags & kNirKeyValid);
  std::array<uint16_t, engine::kLookupCounterCount> counts{};
  counts[engine::kLookups] = 1;
  counts[engine::kNewSubjects] = subject_is_new;
  counts[engine::kSequential] = sequential;
  counts[engine::kNotFound] = e.outcome == Outcome::kNotFound;
  counts[engine::kInvalidKeys] = invalid_key;
  a.lookup_counts.Add(w, at, counts);
  // Every read below is at the clock the Add has just moved (or kept, for a
  // late lookup): the totals as of the clock.
  const engine::LookupTotals totals = a.lookup_counts.TotalsAtClock();
  if (is_nir) {
    a.last_nir_prefix = e.nir_prefix;
    a.last_nir_order = e.nir_order;
  }
  a.lookup_gaps.Observe(e.time_ms);
  const int hour = HourProfile::HourOf(e.time_ms);
  const bool hours_known = engine::HoursAreAHabit(a, e.time_ms);
  // For the peer model, the hour itself (a stranger working the hours
  // next to the owner's is far from peers who keep theirs); for the cue,
  // the hour and its neighbours (a long day runs an hour late).
  const double unusual_hour_bits = hours_known ? a.hours.Surprise(hour) : 0;
  const double unusual_around_bits =
      hours_known ? a.hours.SurpriseAround(hour) : 0;
  a.hours.ObserveHour(hour);
  if (windows_out != nullptr) {
    windows_out->totals = totals;
    windows_out->unusual_hour_bits = unusual_hour_bits;
  }

  SignalScore s;
  // Volume at three scales: a robot shows in a minute, a patient reader in
  // an hour or a day.
  constexpr int kScales = 3;
  const int horizons[kScales] = {kMinute, kHour, kDay};
  const Feature features[kScales] = {Feature::kNewSubjectsPerMinute,
                                     Feature::kNewSubjectsPerHour,
                                     Feature::kNewSubjectsPerDay};
  double base[kScales];
  const bool young = !mature;
  VolumeBaselines(young, peers, options, a, base);
  double ratio = 0;
  int scale = 0;
  double observed[kScales];
  double raw_ratio = 0;  // Ungated: what the baselines must not learn.
  for (int i = 0; i < kScales; ++i) {
    observed[i] = totals.Get(engine::kNewSubjects, horizons[i]);
    raw_ratio = std::max(raw_ratio, observed[i] / base[i]);
    if (i == 2) {
      observed[i] = UnreportedDayTotal(observed[i], e.time_ms, options, a);
    }
    double r = observed[i] / base[i];
    // The day scale speaks only while the last hour is busy too: a day
    // total stays high for 24 h after a burst, and must not keep alerting
    // on the owner's ordinary lookups afterwards. Busy: a quarter of the
    // hour's baseline, and a pace that, kept up over a ten-hour working
    // day, would reach the day's baseline (one that could not did not
    // make today's total).
    if (i == 2 && observed[1] < std::max(0.25 * base[1], base[2] / 10)) {
      r = 0;
    }
    if (r > ratio) {
      ratio = r;
      scale = i;
    }
  }
  a.last_volume_ratio = raw_ratio;
  if (ratio > 1) {
    s.Add(45 + 30 * std::log2(ratio),
          Evidence{features[scale], observed[scale], base[scale],
                   w.horizon_ms(horizons[scale])});
  }
  if (ratio >= 1.0) AddCues(e, totals, w, unusual_around_bits, a, s);
  return s;
}

void NoteIncidentLookup(const Event& e, engine::AccountState& a) {
  const double day =
      a.lookup_counts.TotalsAtClock().Get(engine::kNewSubjects, kDay);
  a.day_reported = static_cast<uint16_t>(std::min<double>(day, UINT16_MAX));
  a.reported_minute = static_cast<int32_t>(e.time_ms / 60000);
}

}  // namespace vigie
