// WindowSpec: the horizons of the event-time sliding windows (default 1 min,
// 10 min, 1 h, 24 h) and the allowed lateness, shared by every windowed
// statistic so that per-entity state holds only numbers, never the spec.
//
// Each horizon H is cut into kBucketsPerHorizon buckets of g = H / 6; a
// window value at time t covers the buckets from floor(t/g) - 6 to
// floor(t/g), that is the last H plus the part of the current bucket
// already elapsed: between H and H + g of event time. Windows never
// undercount the horizon (conservative for detection) and are exact on that
// bucket-aligned span.
//
// Value type; thread-safe to share read-only. Example:
//   absl::StatusOr<WindowSpec> spec = WindowSpec::Create(
//       {absl::Minutes(1), absl::Minutes(10)}, absl::Seconds(5));
#ifndef VIGIE_DETECTOR_STATS_WINDOW_SPEC_H_
#define VIGIE_DETECTOR_STATS_WINDOW_SPEC_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vigie {

class WindowSpec {
 public:
  static constexpr int kMaxHorizons = 4;
  static constexpr int kBucketsPerHorizon = 6;
  // The horizons of the default spec, by index (the engine requires it).
  static constexpr int kMinute = 0;
  static constexpr int kTenMinutes = 1;
  static constexpr int kHour = 2;
  static constexpr int kDay = 3;

  // Default: 1 min, 10 min, 1 h, 24 h; 5 s lateness.
  WindowSpec();

  // InvalidArgument unless 1..4 horizons, strictly increasing, each a whole
  // multiple of 6 ms, and 0 <= lateness < the shortest horizon.
  static absl::StatusOr<WindowSpec> Create(
      const std::vector<absl::Duration>& horizons, absl::Duration lateness);

  int num_horizons() const { return num_horizons_; }
  int64_t horizon_ms(int h) const { return horizon_ms_[h]; }
  int64_t bucket_ms(int h) const { return bucket_ms_[h]; }
  int64_t lateness_ms() const { return lateness_ms_; }
  // The bucket of time t at horizon h (floor division, also for t < 0).
  // Every windowed statistic calls this several times per event, so the
  // quotient comes from a multiplication by the bucket's reciprocal and one
  // exact correction step instead of a 64-bit division (which costs as much
  // as the rest of a window update). Exact for |t| < 2^52 ms (142,000
  // years); beyond that it divides.
  int64_t BucketOf(int h, int64_t time_ms) const {
    const int64_t g = bucket_ms_[h];
    constexpr int64_t kExact = int64_t{1} << 52;
    if (time_ms >= kExact || time_ms <= -kExact) {
      const int64_t q = time_ms / g;
      return time_ms % g < 0 ? q - 1 : q;
    }
    // The product is within one of the true quotient; truncation toward
    // zero then the remainder's sign and size settle the floor.
    int64_t q = static_cast<int64_t>(static_cast<double>(time_ms) *
                                     inverse_bucket_ms_[h]);
    const int64_t r = time_ms - q * g;
    if (r < 0) {
      --q;
    } else if (r >= g) {
      ++q;
    }
    return q;
  }

 private:
  int num_horizons_ = 0;
  std::array<int64_t, kMaxHorizons> horizon_ms_{};
  std::array<int64_t, kMaxHorizons> bucket_ms_{};
  std::array<double, kMaxHorizons> inverse_bucket_ms_{};  // 1 / bucket_ms_.
  int64_t lateness_ms_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_WINDOW_SPEC_H_
