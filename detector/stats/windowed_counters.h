// WindowedCounters: N counts of one entity's events (lookups, new people,
// sequential NIRs, "not found" answers, ...) over several event-time
// sliding windows at once, sharing one clock, in a fixed-size value with no
// heap allocation.
//
// Why several counters in one value: an account's lookup counters all move
// at the same event times, so one clock, one lateness check and one pass
// over the horizons serve them all, and they share cache lines. Running
// totals per counter and horizon make the common read (the window ending
// at the event just added) O(1) instead of a pass over the buckets.
//
// Semantics (see WindowSpec): Sum(c, h, now) is the total of counter c's
// values added with times in the bucket-aligned span [H, H + H/6) ending at
// `now`. Time only moves forward: the newest event time added is the
// clock. An event older than the clock by no more than the spec's lateness
// lands in its own bucket (if that bucket is still inside a window); an
// older one is rejected (Add returns false, nothing is added) so the
// caller can count it. Counts saturate at the maximum of T instead of
// wrapping: per bucket, and when summed. An empty window returns 0.
//
// Cost: Add O(horizons × N) amortised (buckets are cleared as time
// advances); Sum O(1) when `now` is in the newest bucket, else O(7).
// Size: horizons × (7 × N × sizeof(T) + N × sizeof(Total)) + 16 bytes
// (376 bytes for five uint16_t counters over four horizons).
// Thread-compatible.
//
// Example:
//   WindowSpec spec;                           // 1m, 10m, 1h, 24h
//   WindowedCounters<uint16_t, 2> counts;      // 0: lookups, 1: not found
//   counts.Add(spec, event.time_ms, {1, not_found ? 1 : 0});
//   uint16_t last_10_min = counts.Sum(spec, 0, 1, event.time_ms);
#ifndef VIGIE_DETECTOR_STATS_WINDOWED_COUNTERS_H_
#define VIGIE_DETECTOR_STATS_WINDOWED_COUNTERS_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "absl/status/statusor.h"
#include "detector/stats/state_codec.h"
#include "detector/stats/window_spec.h"

namespace vigie {

template <typename T, int N>
class WindowedCounters {
  static_assert(std::is_integral_v<T> && std::is_unsigned_v<T>,
                "counts are unsigned integers");
  static_assert(N >= 1);

 public:
  static constexpr int kSlots = WindowSpec::kBucketsPerHorizon + 1;
  // Wide enough for kSlots saturated buckets.
  using Total = std::conditional_t<(sizeof(T) < 4), uint32_t, uint64_t>;

  // Adds values[c] to counter c at `time_ms`. Returns false (and adds
  // nothing) for an event later than the allowed lateness.
  bool Add(const WindowSpec& spec, int64_t time_ms,
           const std::array<T, N>& values) {
    if (!started_) {
      started_ = true;
      newest_ms_ = time_ms;
    } else if (time_ms < newest_ms_ - spec.lateness_ms()) {
      return false;
    }
    if (time_ms > newest_ms_) Advance(spec, time_ms);
    for (int h = 0; h < spec.num_horizons(); ++h) {
      const int64_t current = spec.BucketOf(h, newest_ms_);
      const int64_t bucket =
          time_ms == newest_ms_ ? current : spec.BucketOf(h, time_ms);
      if (bucket < current - WindowSpec::kBucketsPerHorizon) continue;
      std::array<T, N>& slot = slots_[h][Slot(bucket)];
      for (int c = 0; c < N; ++c) {
        if (values[c] == 0) continue;
        const T before = slot[c];
        slot[c] = Saturate(before, values[c]);
        totals_[h][c] += slot[c] - before;
      }
    }
    return true;
  }

  // Counter c's total over horizon h as of `now_ms` (>= any time added,
  // else as of the newest time added).
  T Sum(const WindowSpec& spec, int c, int h, int64_t now_ms) const {
    if (!started_) return T{0};
    const int64_t now = std::max(now_ms, newest_ms_);
    const int64_t current = spec.BucketOf(h, now);
    const int64_t newest = spec.BucketOf(h, newest_ms_);
    if (current == newest) return Clamp(totals_[h][c]);
    // Buckets in [current - 6, newest] hold live data.
    Total total = 0;
    for (int64_t b = current - WindowSpec::kBucketsPerHorizon; b <= newest;
         ++b) {
      total += slots_[h][Slot(b)][c];
    }
    return Clamp(total);
  }

  int64_t newest_ms() const { return newest_ms_; }
  bool empty() const { return !started_; }

  // Snapshot support: exact state, restored bit-identically. The layout
  // (version 1, started, newest time, buckets horizon by horizon, counter
  // by counter within a bucket) is that of the single-counter WindowedSum
  // when N = 1; totals are recomputed on decoding.
  void Encode(StateWriter& w) const {
    w.Put<uint8_t>(1);  // Format version.
    w.Put<uint8_t>(started_);
    w.Put<int64_t>(newest_ms_);
    for (const auto& horizon : slots_) {
      for (const std::array<T, N>& slot : horizon) {
        for (T v : slot) w.Put<T>(v);
      }
    }
  }
  static absl::StatusOr<WindowedCounters> Decode(StateReader& r) {
    WindowedCounters counters;
    if (r.Get<uint8_t>() != 1) r.Fail();
    counters.started_ = r.Get<uint8_t>() != 0;
    counters.newest_ms_ = r.Get<int64_t>();
    for (int h = 0; h < WindowSpec::kMaxHorizons; ++h) {
      for (std::array<T, N>& slot : counters.slots_[h]) {
        for (int c = 0; c < N; ++c) {
          slot[c] = r.Get<T>();
          counters.totals_[h][c] += slot[c];
        }
      }
    }
    absl::Status status = r.Check("windowed counters");
    if (!status.ok()) return status;
    return counters;
  }

 private:
  static int Slot(int64_t bucket) {
    const int64_t m = bucket % kSlots;
    return static_cast<int>(m < 0 ? m + kSlots : m);
  }
  static T Saturate(T a, T b) {
    return a > std::numeric_limits<T>::max() - b ? std::numeric_limits<T>::max()
                                                 : static_cast<T>(a + b);
  }
  static T Clamp(Total total) {
    return total > std::numeric_limits<T>::max() ? std::numeric_limits<T>::max()
                                                 : static_cast<T>(total);
  }
  // Moves the clock to time_ms, clearing buckets that leave every window.
  // Most accounts are quiet between events, so this often clears a whole
  // horizon: that case is a plain reset, and a partial one subtracts what
  // it clears from the totals once per counter.
  void Advance(const WindowSpec& spec, int64_t time_ms) {
    for (int h = 0; h < spec.num_horizons(); ++h) {
      const int64_t old_bucket = spec.BucketOf(h, newest_ms_);
      const int64_t new_bucket = spec.BucketOf(h, time_ms);
      const int64_t steps = std::min<int64_t>(new_bucket - old_bucket, kSlots);
      if (steps <= 0) continue;
      if (steps == kSlots) {
        slots_[h] = {};
        totals_[h] = {};
        continue;
      }
      std::array<Total, N> cleared{};
      int slot = Slot(old_bucket + 1);
      for (int64_t i = 0; i < steps; ++i) {
        for (int c = 0; c < N; ++c) cleared[c] += slots_[h][slot][c];
        slots_[h][slot] = {};
        if (++slot == kSlots) slot = 0;
      }
      for (int c = 0; c < N; ++c) totals_[h][c] -= cleared[c];
    }
    newest_ms_ = time_ms;
  }

  std::array<std::array<std::array<T, N>, kSlots>, WindowSpec::kMaxHorizons>
      slots_{};
  std::array<std::array<Total, N>, WindowSpec::kMaxHorizons> totals_{};
  int64_t newest_ms_ = 0;
  bool started_ = false;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_WINDOWED_COUNTERS_H_
