// GapRegularity and HourProfile: two behavioural fingerprints of an account.
//
// GapRegularity: the coefficient of variation (stddev / mean) of the gaps
// between an entity's consecutive events. People browse irregularly (CV
// around 1 or more); a script that looks someone up every 2 s ± 10% has a
// CV near 0.1. Gaps are learned as an exponentially weighted mean and
// variance (alpha 0.05: about the last 20 gaps), so the value follows the
// current behaviour. Warm-up: nullopt before 8 gaps. Computes in double
// but keeps the mean and variance as float (every account has one; a
// float's 24 bits are far finer than the spread of human gaps): 24 bytes.
//
// HourProfile: how an account's activity spreads over the 24 UTC hours
// (callers shift to local time), as decayed counts. Surprise(hour) is
// -log2 of the smoothed probability of activity at that hour, high for an
// account active at 3 a.m. that never was; SurpriseAround(hour) the same
// for the hour and its two neighbours, which an hour past the account's
// usual end does not reach (a long day runs late; 3 a.m. stays far from
// a day worker's hours). Counts are halved when the total
// reaches 60,000, which keeps 16-bit counters and forgets old habits.
// Empty profile: every hour has probability 1/24. 50 bytes.
//
// Thread-compatible. Example:
//   GapRegularity gaps;
//   gaps.Observe(event.time_ms);
//   if (auto cv = gaps.CoefficientOfVariation(); cv && *cv < 0.2) { ... }
#ifndef VIGIE_DETECTOR_STATS_REGULARITY_H_
#define VIGIE_DETECTOR_STATS_REGULARITY_H_

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "detector/stats/state_codec.h"

namespace vigie {

class GapRegularity {
 public:
  static constexpr double kAlpha = 0.05;
  static constexpr uint32_t kWarmUpGaps = 8;

  void Observe(int64_t time_ms) {
    if (count_ > 0 && time_ms >= last_ms_) {
      const double gap = static_cast<double>(time_ms - last_ms_);
      if (gaps_ == 0) {
        mean_ = static_cast<float>(gap);
        variance_ = 0;
      } else {
        const double delta = gap - mean_;
        mean_ = static_cast<float>(mean_ + kAlpha * delta);
        variance_ = static_cast<float>(
            (1 - kAlpha) * (variance_ + kAlpha * delta * delta));
      }
      ++gaps_;
    }
    if (count_ == 0 || time_ms > last_ms_) last_ms_ = time_ms;
    ++count_;
  }
  std::optional<double> CoefficientOfVariation() const {
    if (gaps_ < kWarmUpGaps || mean_ <= 0) return std::nullopt;
    return std::sqrt(static_cast<double>(variance_)) / mean_;
  }
  double mean_gap_ms() const { return mean_; }
  uint32_t gaps() const { return gaps_; }

  // Version 2 holds the mean and variance as floats.
  void Encode(StateWriter& w) const {
    w.Put<uint8_t>(2);
    w.Put(last_ms_);
    w.Put(mean_);
    w.Put(variance_);
    w.Put(count_);
    w.Put(gaps_);
  }
  static absl::StatusOr<GapRegularity> Decode(StateReader& r) {
    GapRegularity g;
    if (r.Get<uint8_t>() != 2) r.Fail();
    g.last_ms_ = r.Get<int64_t>();
    g.mean_ = r.Get<float>();
    g.variance_ = r.Get<float>();
    if (!(g.variance_ >= 0)) r.Fail();
    g.count_ = r.Get<uint32_t>();
    g.gaps_ = r.Get<uint32_t>();
    absl::Status status = r.Check("gap regularity");
    if (!status.ok()) return status;
    return g;
  }

 private:
  int64_t last_ms_ = 0;
  float mean_ = 0;
  float variance_ = 0;
  uint32_t count_ = 0;
  uint32_t gaps_ = 0;
};

class HourProfile {
 public:
  void Observe(int64_t time_ms) { ObserveHour(HourOf(time_ms)); }
  // The same for an hour already found with HourOf. REQUIRES: 0 <= hour < 24.
  void ObserveHour(int hour) {
    if (++counts_[hour] == 0) counts_[hour] = UINT16_MAX;  // Never wraps.
    if (++total_ >= kHalvingTotal) {
      total_ = 0;
      for (uint16_t& c : counts_) {
        c /= 2;
        total_ += c;
      }
    }
  }
  // Laplace-smoothed probability of activity at `hour` (0..23).
  double Probability(int hour) const {
    return (counts_[hour] + 1.0) / (total_ + 24.0);
  }
  double Surprise(int hour) const { return -std::log2(Probability(hour)); }
  // -log2 of the Laplace-smoothed mean probability of `hour` and the hours
  // either side of it (0..23, circular).
  double SurpriseAround(int hour) const {
    const double around = (counts_[(hour + 23) % 24] + counts_[hour] +
                           counts_[(hour + 1) % 24]) /
                          3.0;
    return -std::log2((around + 1.0) / (total_ + 24.0));
  }
  static int HourOf(int64_t time_ms) {
    const int64_t hours = time_ms >= 0 ? time_ms / 3600000
                                       : -((-time_ms + 3599999) / 3600000);
    return static_cast<int>(((hours % 24) + 24) % 24);
  }
  uint32_t total() const { return total_; }

  void Encode(StateWriter& w) const {
    w.Put<uint8_t>(1);
    for (uint16_t c : counts_) w.Put(c);
    w.Put<uint32_t>(total_);
  }
  static absl::StatusOr<HourProfile> Decode(StateReader& r) {
    HourProfile p;
    if (r.Get<uint8_t>() != 1) r.Fail();
    uint64_t sum = 0;
    for (uint16_t& c : p.counts_) {
      c = r.Get<uint16_t>();
      sum += c;
    }
    const uint32_t total = r.Get<uint32_t>();
    if (sum != total || total >= kHalvingTotal) r.Fail();
    p.total_ = static_cast<uint16_t>(total);
    absl::Status status = r.Check("hour profile");
    if (!status.ok()) return status;
    return p;
  }

 private:
  // The counts halve when their total reaches this, so it fits 16 bits.
  static constexpr uint16_t kHalvingTotal = 60000;
  std::array<uint16_t, 24> counts_{};
  uint16_t total_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_REGULARITY_H_
