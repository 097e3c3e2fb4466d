// TimeBuckets and BucketClock: where one event time falls at every horizon
// of a WindowSpec, computed once per event instead of once per windowed
// statistic.
//
// Why: an account's lookup updates windows over four horizons, and each
// update used to find the event's bucket (a reciprocal multiplication and a
// correction), its start and its place in the ring of buckets (a remainder
// by 7) for itself: ~160 instructions a lookup, about a sixth of scoring
// it. These depend on the event time alone, and consecutive events of a
// stream mostly fall in the same buckets: BucketClock keeps the last time's
// answer and recomputes only when a time leaves the span in which every
// horizon's bucket stays the same (10 s at the finest default horizon).
//
// TimeBuckets is a plain value; BucketClock is thread-compatible (one per
// thread). Cost: two comparisons while the time stays in the span, ~4
// BucketOf calls when it leaves it.
//
// Example:
//   BucketClock clock(&spec);
//   const TimeBuckets& at = clock.At(event.time_ms);
//   counters.Add(spec, at, {1});
#ifndef VIGIE_DETECTOR_STATS_BUCKET_CLOCK_H_
#define VIGIE_DETECTOR_STATS_BUCKET_CLOCK_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

#include "detector/stats/window_spec.h"

namespace vigie {

struct TimeBuckets {
  // The ring of buckets a windowed statistic keeps per horizon: the
  // horizon's buckets and the current one.
  static constexpr int kRingSlots = WindowSpec::kBucketsPerHorizon + 1;

  int64_t time_ms = 0;
  // Per horizon (below spec.num_horizons()): the bucket of time_ms
  // (WindowSpec::BucketOf)...
  std::array<int64_t, WindowSpec::kMaxHorizons> bucket{};
  // ...its first millisecond (INT64_MAX when bucket * bucket_ms is below
  // the int64 range, at the very start of time: every clock then reads as
  // older, as WindowedCounters has always treated such a bucket)...
  std::array<int64_t, WindowSpec::kMaxHorizons> start_ms{};
  // ...and its slot in a ring of kRingSlots (bucket mod kRingSlots, in
  // 0..kRingSlots-1 also for negative buckets).
  std::array<int, WindowSpec::kMaxHorizons> ring_slot{};

  static int RingSlotOf(int64_t bucket) {
    // Buckets of times after 1970 are not negative: an unsigned remainder
    // by a constant is a multiply and a shift.
    if (bucket >= 0) {
      return static_cast<int>(static_cast<uint64_t>(bucket) % kRingSlots);
    }
    const int64_t m = bucket % kRingSlots;
    return static_cast<int>(m < 0 ? m + kRingSlots : m);
  }

  // Computed from scratch.
  static TimeBuckets Of(const WindowSpec& spec, int64_t time_ms) {
    TimeBuckets at;
    at.time_ms = time_ms;
    for (int h = 0; h < spec.num_horizons(); ++h) {
      at.bucket[h] = spec.BucketOf(h, time_ms);
      if (__builtin_mul_overflow(at.bucket[h], spec.bucket_ms(h),
                                 &at.start_ms[h])) {
        at.start_ms[h] = std::numeric_limits<int64_t>::max();
      }
      at.ring_slot[h] = RingSlotOf(at.bucket[h]);
    }
    return at;
  }
};

class BucketClock {
 public:
  // `spec` must outlive the clock.
  explicit BucketClock(const WindowSpec* spec) : spec_(spec) {}

  // The buckets of `time_ms`; valid until the next call.
  const TimeBuckets& At(int64_t time_ms) {
    if (time_ms < same_from_ms_ || time_ms >= same_until_ms_) {
      Recompute(time_ms);
    }
    buckets_.time_ms = time_ms;
    return buckets_;
  }

 private:
  void Recompute(int64_t time_ms) {
    buckets_ = TimeBuckets::Of(*spec_, time_ms);
    // Every horizon keeps its bucket from the latest start to the earliest
    // end; an empty or overflowing span is left empty (always recompute).
    int64_t from = std::numeric_limits<int64_t>::min();
    int64_t until = std::numeric_limits<int64_t>::max();
    for (int h = 0; h < spec_->num_horizons(); ++h) {
      int64_t end;
      if (buckets_.start_ms[h] == std::numeric_limits<int64_t>::max() ||
          __builtin_add_overflow(buckets_.start_ms[h], spec_->bucket_ms(h),
                                 &end)) {
        from = 0;
        until = 0;
        break;
      }
      from = std::max(from, buckets_.start_ms[h]);
      until = std::min(until, end);
    }
    same_from_ms_ = from;
    same_until_ms_ = until;
  }

  const WindowSpec* spec_;
  TimeBuckets buckets_;
  // Times in [same_from_ms_, same_until_ms_) share buckets_; empty at first.
  int64_t same_from_ms_ = 0;
  int64_t same_until_ms_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_BUCKET_CLOCK_H_
