// WindowedSum: counts or sums of one entity's events over several
// event-time sliding windows at once (lookups, login failures, exported
// records per account or per IP), in a fixed-size value with no heap
// allocation.
//
// Semantics (see WindowSpec): Sum(h, now) is the total of the values added
// with times in the bucket-aligned span [H, H + H/6) ending at `now`.
// Time only moves forward: the newest event time seen is the entity's
// clock. An event older than that clock by no more than the spec's
// lateness lands in its own bucket (if that bucket is still inside a
// window); an older one is rejected (Add returns false) so the caller can
// count it, and it is never merged into a wrong bucket. An empty window
// returns 0.
//
// Cost: Add O(horizons) amortised (buckets are cleared as time advances);
// Sum O(7). Size: 4 horizons × 7 buckets × sizeof(T) + 8 bytes
// (120 bytes for uint32_t). Thread-compatible.
//
// Example:
//   WindowSpec spec;                          // 1m, 10m, 1h, 24h
//   WindowedSum<uint32_t> lookups;
//   lookups.Add(spec, event.time_ms, 1);
//   uint32_t last_10_min = lookups.Sum(spec, 1, event.time_ms);
#ifndef VIGIE_DETECTOR_STATS_WINDOWED_SUM_H_
#define VIGIE_DETECTOR_STATS_WINDOWED_SUM_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "absl/status/statusor.h"
#include "detector/stats/state_codec.h"
#include "detector/stats/window_spec.h"

namespace vigie {

template <typename T>
class WindowedSum {
 public:
  static constexpr int kSlots = WindowSpec::kBucketsPerHorizon + 1;

  // Adds `value` at `time_ms`. Returns false (and adds nothing) for an
  // event later than the allowed lateness.
  bool Add(const WindowSpec& spec, int64_t time_ms, T value) {
    if (!started_) {
      started_ = true;
      newest_ms_ = time_ms;
    } else if (time_ms < newest_ms_ - spec.lateness_ms()) {
      return false;
    }
    if (time_ms > newest_ms_) Advance(spec, time_ms);
    for (int h = 0; h < spec.num_horizons(); ++h) {
      const int64_t current = spec.BucketOf(h, newest_ms_);
      const int64_t bucket = spec.BucketOf(h, time_ms);
      if (bucket < current - WindowSpec::kBucketsPerHorizon) continue;
      T& slot = slots_[h][Slot(bucket)];
      slot = Saturate(slot, value);
    }
    return true;
  }

  // Total over horizon h as of `now_ms` (>= any time added, else as of the
  // newest time added).
  T Sum(const WindowSpec& spec, int h, int64_t now_ms) const {
    if (!started_) return T{0};
    const int64_t now = std::max(now_ms, newest_ms_);
    const int64_t current = spec.BucketOf(h, now);
    const int64_t newest = spec.BucketOf(h, newest_ms_);
    T total{0};
    // Buckets in [current - 6, newest] hold live data.
    for (int64_t b = std::max(current - WindowSpec::kBucketsPerHorizon,
                              newest - WindowSpec::kBucketsPerHorizon);
         b <= newest; ++b) {
      if (b < current - WindowSpec::kBucketsPerHorizon) continue;
      total = Saturate(total, slots_[h][Slot(b)]);
    }
    return total;
  }

  int64_t newest_ms() const { return newest_ms_; }
  bool empty() const { return !started_; }

  // Snapshot support: exact state, restored bit-identically.
  void Encode(StateWriter& w) const {
    w.Put<uint8_t>(1);  // Format version.
    w.Put<uint8_t>(started_);
    w.Put<int64_t>(newest_ms_);
    for (const auto& horizon : slots_) {
      for (T v : horizon) w.Put<T>(v);
    }
  }
  static absl::StatusOr<WindowedSum> Decode(StateReader& r) {
    WindowedSum sum;
    if (r.Get<uint8_t>() != 1) r.Fail();
    sum.started_ = r.Get<uint8_t>() != 0;
    sum.newest_ms_ = r.Get<int64_t>();
    for (auto& horizon : sum.slots_) {
      for (T& v : horizon) v = r.Get<T>();
    }
    absl::Status status = r.Check("windowed sum");
    if (!status.ok()) return status;
    return sum;
  }

 private:
  static int Slot(int64_t bucket) {
    const int64_t m = bucket % kSlots;
    return static_cast<int>(m < 0 ? m + kSlots : m);
  }
  static T Saturate(T a, T b) {
    if constexpr (std::numeric_limits<T>::is_integer) {
      return a > std::numeric_limits<T>::max() - b
                 ? std::numeric_limits<T>::max()
                 : static_cast<T>(a + b);
    } else {
      return a + b;
    }
  }
  // Moves the clock to time_ms, clearing buckets that leave every window.
  void Advance(const WindowSpec& spec, int64_t time_ms) {
    for (int h = 0; h < spec.num_horizons(); ++h) {
      const int64_t old_bucket = spec.BucketOf(h, newest_ms_);
      const int64_t new_bucket = spec.BucketOf(h, time_ms);
      const int64_t steps = std::min<int64_t>(new_bucket - old_bucket, kSlots);
      for (int64_t i = 1; i <= steps; ++i) {
        slots_[h][Slot(old_bucket + i)] = T{0};
      }
    }
    newest_ms_ = time_ms;
  }

  std::array<std::array<T, kSlots>, WindowSpec::kMaxHorizons> slots_{};
  int64_t newest_ms_ = 0;
  bool started_ = false;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_WINDOWED_SUM_H_
