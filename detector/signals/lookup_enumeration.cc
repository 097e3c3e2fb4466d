#include "detector/signals/lookup_enumeration.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace vigie {
namespace {

constexpr int kMinute = 0;  // Horizon indices of the default WindowSpec.
constexpr int kTenMinutes = 1;
constexpr int kHour = 2;

}  // namespace

SignalScore ObserveLookup(const Event& e, bool subject_is_new,
                          const DetectorOptions& options,
                          const engine::PeerBaseline& peers,
                          engine::AccountState& a) {
  const WindowSpec& w = options.windows;
  const bool is_nir = e.subject_flags & kSubjectIsNir;
  const bool sequential = is_nir && a.last_nir_prefix == e.nir_prefix &&
                          a.last_nir_order != 0 &&
                          std::abs(int{e.nir_order} - int{a.last_nir_order}) == 1;
  a.lookups.Add(w, e.time_ms, 1);
  if (subject_is_new) a.new_subjects.Add(w, e.time_ms, 1);
  if (sequential) a.sequential.Add(w, e.time_ms, 1);
  if (e.outcome == Outcome::kNotFound) a.not_found.Add(w, e.time_ms, 1);
  if (is_nir && (e.subject_flags & kNirKeyPresent) &&
      !(e.subject_flags & kNirKeyValid)) {
    a.invalid_keys.Add(w, e.time_ms, 1);
  }
  if (is_nir) {
    a.last_nir_prefix = e.nir_prefix;
    a.last_nir_order = e.nir_order;
  }
  a.lookup_gaps.Observe(e.time_ms);
  const double unusual_hour_bits =
      a.hours.total() >= 100 ? a.hours.Surprise(HourProfile::HourOf(e.time_ms))
                             : 0;
  a.hours.Observe(e.time_ms);

  SignalScore s;
  const double per_minute = a.new_subjects.Sum(w, kMinute, e.time_ms);
  const double per_hour = a.new_subjects.Sum(w, kHour, e.time_ms);
  double minute_base = options.min_new_subjects_per_minute;
  double hour_base = options.min_new_subjects_per_hour;
  if (peers.lookups_warm()) {
    minute_base = std::max(minute_base, peers.new_per_minute_top);
    hour_base = std::max(hour_base, peers.new_per_hour_top);
  } else if (a.new_per_hour.count() < 200) {
    // Cold start, nobody to compare with: only blatant enumeration counts.
    minute_base = std::max(minute_base, options.cold_start_new_per_minute);
    hour_base = std::max(hour_base, options.cold_start_new_per_hour);
  }
  if (a.new_per_hour.count() >= 200) {
    hour_base = std::max(hour_base,
                         a.new_per_hour.mean() +
                             4 * std::sqrt(a.new_per_hour.variance()));
  }
  const double minute_ratio = per_minute / minute_base;
  const double hour_ratio = per_hour / hour_base;
  const double ratio = std::max(minute_ratio, hour_ratio);
  a.last_volume_ratio = ratio;
  if (ratio > 1) {
    const bool by_minute = minute_ratio >= hour_ratio;
    s.Add(45 + 30 * std::log2(ratio),
          Evidence{by_minute ? Feature::kNewSubjectsPerMinute
                             : Feature::kNewSubjectsPerHour,
                   by_minute ? per_minute : per_hour,
                   by_minute ? minute_base : hour_base,
                   w.horizon_ms(by_minute ? kMinute : kHour)});
  }
  if (ratio >= 0.5) {
    const double lookups = a.lookups.Sum(w, kTenMinutes, e.time_ms);
    const int64_t ten = w.horizon_ms(kTenMinutes);
    if (lookups >= 10) {
      const double seq = a.sequential.Sum(w, kTenMinutes, e.time_ms) / lookups;
      if (seq >= 0.2) {
        s.Add(15, Evidence{Feature::kSequentialNirShare, seq, 0, ten});
      }
      const double nf = a.not_found.Sum(w, kTenMinutes, e.time_ms) / lookups;
      if (nf >= 0.2) s.Add(10, Evidence{Feature::kNotFoundShare, nf, 0, ten});
    }
    const double invalid = a.invalid_keys.Sum(w, kTenMinutes, e.time_ms);
    if (invalid >= 3) {
      s.Add(15, Evidence{Feature::kInvalidNirKeys, invalid, 0, ten});
    }
    std::optional<double> cv = a.lookup_gaps.CoefficientOfVariation();
    if (cv && *cv < 0.5 && a.lookup_gaps.mean_gap_ms() < 10000) {
      s.Add(15, Evidence{Feature::kMachineRegularity, *cv,
                         a.lookup_gaps.mean_gap_ms() / 1000.0, 0});
    }
    if (unusual_hour_bits >= 7) {
      s.Add(10, Evidence{Feature::kUnusualHour, unusual_hour_bits, 0, 0});
    }
    if (a.login_ip_new && e.ip == a.login_ip) {
      s.Add(10, Evidence{Feature::kNewIpForAccount, 1, 0, 0});
    }
  }
  return s;
}

}  // namespace vigie
