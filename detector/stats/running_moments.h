// RunningMoments and Ewma: per-entity baselines of a numeric feature (daily
// lookups, distinct people per hour, exported records), learned online.
//
// RunningMoments is Welford's algorithm: numerically stable mean and
// variance of everything seen, mergeable (Chan et al.) so shards combine.
// Ewma follows recent behaviour: mean and variance with weight `alpha` on
// the newest value (West 1979), so a doctor who changes practice is
// re-learned in about 1/alpha updates.
//
// Both can refuse to learn: Update(x, /*anomalous=*/true) only counts the
// skipped value, so a long attack never becomes the account's normal.
//
// Warm-up: with fewer than 2 values the variance is 0 and ZScore returns 0
// (no evidence yet); callers fall back to the peer group.
//
// Ewma computes in double but keeps its mean and variance as float, and
// its two counts as 16 bits that stop at 65,535 (its readers ask for a few
// hundred values at most), since every account has one: 12 bytes
// (RunningMoments, 32). A float's 24 bits are far finer than the noise of
// a learned baseline. Thread-compatible.
//
// Example:
//   Ewma daily_lookups;
//   double z = daily_lookups.ZScore(today);   // before learning today
//   daily_lookups.Update(today, /*anomalous=*/z > 6, /*alpha=*/0.1);
#ifndef VIGIE_DETECTOR_STATS_RUNNING_MOMENTS_H_
#define VIGIE_DETECTOR_STATS_RUNNING_MOMENTS_H_

#include <cmath>
#include <cstdint>

#include "absl/status/statusor.h"
#include "detector/stats/state_codec.h"

namespace vigie {

class RunningMoments {
 public:
  void Update(double x, bool anomalous = false) {
    if (anomalous) {
      ++skipped_;
      return;
    }
    ++count_;
    const double delta = x - mean_;
    mean_ += delta / static_cast<double>(count_);
    m2_ += delta * (x - mean_);
  }
  void Merge(const RunningMoments& other) {
    if (other.count_ == 0) return;
    const double n = static_cast<double>(count_ + other.count_);
    const double delta = other.mean_ - mean_;
    mean_ += delta * static_cast<double>(other.count_) / n;
    m2_ += other.m2_ + delta * delta * static_cast<double>(count_) *
                           static_cast<double>(other.count_) / n;
    count_ += other.count_;
    skipped_ += other.skipped_;
  }
  uint64_t count() const { return count_; }
  uint64_t skipped() const { return skipped_; }
  double mean() const { return mean_; }
  // Sample variance (n - 1); 0 with fewer than 2 values.
  double variance() const {
    return count_ < 2 ? 0.0 : m2_ / static_cast<double>(count_ - 1);
  }
  double stddev() const { return std::sqrt(variance()); }
  double ZScore(double x) const {
    const double sd = stddev();
    return sd > 0 ? (x - mean_) / sd : 0.0;
  }

  void Encode(StateWriter& w) const {
    w.Put<uint8_t>(1);
    w.Put(count_);
    w.Put(skipped_);
    w.Put(mean_);
    w.Put(m2_);
  }
  static absl::StatusOr<RunningMoments> Decode(StateReader& r) {
    RunningMoments m;
    if (r.Get<uint8_t>() != 1) r.Fail();
    m.count_ = r.Get<uint64_t>();
    m.skipped_ = r.Get<uint64_t>();
    m.mean_ = r.Get<double>();
    m.m2_ = r.Get<double>();
    if (!(m.m2_ >= 0)) r.Fail();
    absl::Status status = r.Check("running moments");
    if (!status.ok()) return status;
    return m;
  }

 private:
  uint64_t count_ = 0;
  uint64_t skipped_ = 0;
  double mean_ = 0;
  double m2_ = 0;
};

class Ewma {
 public:
  // REQUIRES: 0 < alpha <= 1.
  void Update(double x, bool anomalous, double alpha) {
    if (anomalous) {
      if (skipped_ < UINT16_MAX) ++skipped_;
      return;
    }
    if (count_ == 0) {
      mean_ = static_cast<float>(x);
      variance_ = 0;
    } else {
      const double delta = x - mean_;
      mean_ = static_cast<float>(mean_ + alpha * delta);
      variance_ = static_cast<float>((1 - alpha) *
                                     (variance_ + alpha * delta * delta));
    }
    if (count_ < UINT16_MAX) ++count_;
  }
  uint32_t count() const { return count_; }
  uint32_t skipped() const { return skipped_; }
  double mean() const { return mean_; }
  double variance() const { return variance_; }
  double ZScore(double x) const {
    const double sd = std::sqrt(static_cast<double>(variance_));
    return count_ >= 2 && sd > 0 ? (x - mean_) / sd : 0.0;
  }

  // Version 1 holds the mean and variance as doubles (exact for floats)
  // and the counts as 32 bits.
  void Encode(StateWriter& w) const {
    w.Put<uint8_t>(1);
    w.Put<double>(mean_);
    w.Put<double>(variance_);
    w.Put<uint32_t>(count_);
    w.Put<uint32_t>(skipped_);
  }
  static absl::StatusOr<Ewma> Decode(StateReader& r) {
    Ewma e;
    if (r.Get<uint8_t>() != 1) r.Fail();
    e.mean_ = static_cast<float>(r.Get<double>());
    e.variance_ = static_cast<float>(r.Get<double>());
    const uint32_t count = r.Get<uint32_t>();
    const uint32_t skipped = r.Get<uint32_t>();
    if (!(e.variance_ >= 0) || count > UINT16_MAX || skipped > UINT16_MAX) {
      r.Fail();
    }
    e.count_ = static_cast<uint16_t>(count);
    e.skipped_ = static_cast<uint16_t>(skipped);
    absl::Status status = r.Check("ewma");
    if (!status.ok()) return status;
    return e;
  }

 private:
  float mean_ = 0;
  float variance_ = 0;
  uint16_t count_ = 0;
  uint16_t skipped_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_RUNNING_MOMENTS_H_
