// WindowedCounters: N counts of one entity's events (lookups, new people,
// sequential NIRs, "not found" answers, ...) over several event-time
// sliding windows at once, sharing one clock, in a fixed-size value with no
// heap allocation.
//
// Why several counters in one value: an account's lookup counters all move
// at the same event times, so one clock, one lateness check and one pass
// over the horizons serve them all, and they share cache lines. A read
// sums a pair's 7 buckets: a few adds on lines the event's Add has just
// touched. Running totals made that read O(1) at 2 more bytes per pair,
// which the per-account memory budget cannot spare: an account keeps 8
// pairs.
//
// Why a mask of kept windows: the signals read few of the counter × horizon
// pairs (an account's "not found" answers only over 10 minutes, its new
// people over 1 minute, 1 hour and 1 day). `kKept` names the pairs kept
// (bit 4 × counter + horizon, built with KeptOver); the others take no
// memory and no time. The default keeps every pair. Reading a pair that is
// not kept is a programming error: Keeps() is constexpr, so callers can
// static_assert what they read.
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
// Cost: Add O(kept pairs) amortised (buckets are cleared as time
// advances; given the event's TimeBuckets, it divides nothing); Sum O(7);
// TotalsAtClock, every kept pair at once, O(7 × kept pairs): the buckets
// are kept slot by slot, so it adds seven rows of kept pairs, which the
// compiler vectorises (an account's lookup reads its eight pairs eleven
// times: one pass took 4% of a replay's instructions off). Size:
// kept pairs × 7 × sizeof(T) + 8 bytes, rounded up to 8 (120 bytes for the
// eight uint16_t pairs an account's lookups keep; 288 for all twenty).
// Thread-compatible.
//
// Example:
//   WindowSpec spec;                           // 1m, 10m, 1h, 24h
//   // 0: lookups over 10 min and 1 h; 1: "not found" over 10 min.
//   constexpr uint32_t kKept =
//       KeptOver(0, {WindowSpec::kTenMinutes, WindowSpec::kHour}) |
//       KeptOver(1, {WindowSpec::kTenMinutes});
//   WindowedCounters<uint16_t, 2, kKept> counts;
//   counts.Add(spec, event.time_ms, {1, not_found ? 1 : 0});
//   uint16_t last_10_min = counts.Sum(spec, 0, WindowSpec::kTenMinutes,
//                                     event.time_ms);
#ifndef VIGIE_DETECTOR_STATS_WINDOWED_COUNTERS_H_
#define VIGIE_DETECTOR_STATS_WINDOWED_COUNTERS_H_

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <type_traits>
#include <utility>

#include "absl/status/statusor.h"
#include "detector/stats/bucket_clock.h"
#include "detector/stats/state_codec.h"
#include "detector/stats/window_spec.h"

namespace vigie {

// The kept-pairs bit of counter `counter` over each of `horizons`.
constexpr uint32_t KeptOver(int counter, std::initializer_list<int> horizons) {
  uint32_t mask = 0;
  for (int h : horizons) {
    mask |= uint32_t{1} << (counter * WindowSpec::kMaxHorizons + h);
  }
  return mask;
}
// Every horizon of counters 0..n-1.
constexpr uint32_t KeptOverAll(int n) {
  return n * WindowSpec::kMaxHorizons >= 32
             ? ~uint32_t{0}
             : (uint32_t{1} << (n * WindowSpec::kMaxHorizons)) - 1;
}

namespace windowed_internal {

// Where each kept pair of WindowedCounters lives: horizon by horizon, the
// counters kept over that horizon side by side ("columns").
template <int N>
struct Layout {
  static constexpr int kHorizons = WindowSpec::kMaxHorizons;
  int columns = 0;  // Kept pairs.
  std::array<int, kHorizons> width{};  // Columns of horizon h.
  std::array<int, kHorizons> first_column{};
  std::array<std::array<int, N>, kHorizons> column{};   // -1: not kept.
  std::array<std::array<int, N>, kHorizons> counter{};  // Of column j.
};

constexpr bool IsKept(uint32_t kept, int c, int h) {
  return c >= 0 && c < 8 && h >= 0 && h < WindowSpec::kMaxHorizons &&
         ((kept >> (c * WindowSpec::kMaxHorizons + h)) & 1) != 0;
}

template <int N>
constexpr Layout<N> MakeLayout(uint32_t kept) {
  Layout<N> layout;
  for (int h = 0; h < WindowSpec::kMaxHorizons; ++h) {
    layout.first_column[h] = layout.columns;
    for (int c = 0; c < N; ++c) {
      layout.column[h][c] = -1;
      if (!IsKept(kept, c, h)) continue;
      layout.column[h][c] = layout.width[h];
      layout.counter[h][layout.width[h]] = c;
      ++layout.width[h];
      ++layout.columns;
    }
  }
  return layout;
}

}  // namespace windowed_internal

template <typename T, int N, uint32_t kKept = KeptOverAll(N)>
class WindowedCounters {
  static_assert(std::is_integral_v<T> && std::is_unsigned_v<T>,
                "counts are unsigned integers");
  static_assert(N >= 1 && N * WindowSpec::kMaxHorizons <= 32,
                "at most 8 counters");
  static_assert(kKept != 0 && (kKept & ~KeptOverAll(N)) == 0,
                "kKept names pairs of these N counters");

  static constexpr int kHorizons = WindowSpec::kMaxHorizons;
  static constexpr windowed_internal::Layout<N> kLayout =
      windowed_internal::MakeLayout<N>(kKept);

 public:
  static constexpr int kSlots = WindowSpec::kBucketsPerHorizon + 1;

  static constexpr bool Keeps(int c, int h) {
    return c < N && windowed_internal::IsKept(kKept, c, h);
  }

  // Adds values[c] to counter c at `time_ms` (over the horizons it is kept
  // for). Returns false (and adds nothing) for an event later than the
  // allowed lateness.
  bool Add(const WindowSpec& spec, int64_t time_ms,
           const std::array<T, N>& values) {
    return Add(spec, TimeBuckets::Of(spec, time_ms), values);
  }
  // The same at `at.time_ms`, whose buckets the caller has found (see
  // bucket_clock.h): the form for a statistic updated at every event.
  bool Add(const WindowSpec& spec, const TimeBuckets& at,
           const std::array<T, N>& values) {
    const int64_t time_ms = at.time_ms;
    if (newest_ms_ == kNotStarted) {
      newest_ms_ = time_ms;
    } else if (time_ms < newest_ms_ &&
               static_cast<uint64_t>(newest_ms_) -
                       static_cast<uint64_t>(time_ms) >
                   static_cast<uint64_t>(spec.lateness_ms())) {
      // (The difference of two int64 in unsigned: newest_ms_ - lateness
      // could overflow at the start of time.)
      return false;
    }
    if (time_ms >= newest_ms_) {
      // The common case, an event at or after the clock.
      AddAtClock(spec, at, values,
                 std::make_integer_sequence<int, kHorizons>());
      newest_ms_ = time_ms;
      return true;
    }
    // A late event, within the lateness: its own bucket, if still kept.
    AddLate(spec, at, values, std::make_integer_sequence<int, kHorizons>());
    return true;
  }

  // Counter c's total over horizon h as of `now_ms` (>= any time added,
  // else as of the newest time added). REQUIRES: Keeps(c, h).
  T Sum(const WindowSpec& spec, int c, int h, int64_t now_ms) const {
    assert(Keeps(c, h));
    if (newest_ms_ == kNotStarted) return T{0};
    const int j = kLayout.column[h][c];
    // Read at the newest event (the common case, right after its Add):
    // every bucket is live.
    if (now_ms <= newest_ms_) return SumOfSlots(h, j);
    return SumAfterClock(spec, h, j, now_ms);
  }

  // Every kept pair's total as of the clock: what Sum returns for any
  // now_ms <= newest_ms(), for a caller that reads several pairs at the
  // same event (an account's lookup reads eight, some twice). One pass over
  // the buckets instead of a call per read.
  class Totals {
   public:
    // REQUIRES: Keeps(c, h).
    T Get(int c, int h) const {
      assert(Keeps(c, h));
      return totals_[kLayout.first_column[h] + kLayout.column[h][c]];
    }

   private:
    friend class WindowedCounters;
    std::array<T, kLayout.columns> totals_{};
  };
  Totals TotalsAtClock() const {
    Totals totals;
    if (newest_ms_ == kNotStarted) return totals;
    std::array<Wide, kLayout.columns> wide{};
    AddRows(wide);
    for (int k = 0; k < kLayout.columns; ++k) {
      totals.totals_[k] = Clamp(wide[k]);
    }
    return totals;
  }

  int64_t newest_ms() const {
    return newest_ms_ == kNotStarted ? 0 : newest_ms_;
  }
  bool empty() const { return newest_ms_ == kNotStarted; }

  // Snapshot support: exact state, restored bit-identically. Layout:
  // version, [kKept when not every pair is kept], started, newest time,
  // the kept buckets horizon by horizon, slot by slot, counter by counter.
  // Keeping every pair is version 1, the layout of the single-counter
  // WindowedSum when N = 1; a mask is version 2 and decodes only into the
  // same mask.
  void Encode(StateWriter& w) const {
    if (kKept == KeptOverAll(N)) {
      w.Put<uint8_t>(1);
    } else {
      w.Put<uint8_t>(2);
      w.Put<uint32_t>(kKept);
    }
    w.Put<uint8_t>(!empty());
    w.Put<int64_t>(newest_ms());
    for (int h = 0; h < kHorizons; ++h) {
      for (int slot = 0; slot < kSlots; ++slot) {
        const T* bucket = Bucket(h, slot);
        for (int j = 0; j < kLayout.width[h]; ++j) w.Put<T>(bucket[j]);
      }
    }
  }
  static absl::StatusOr<WindowedCounters> Decode(StateReader& r) {
    WindowedCounters counters;
    if (kKept == KeptOverAll(N)) {
      if (r.Get<uint8_t>() != 1) r.Fail();
    } else if (r.Get<uint8_t>() != 2 || r.Get<uint32_t>() != kKept) {
      r.Fail();
    }
    const bool started = r.Get<uint8_t>() != 0;
    const int64_t newest_ms = r.Get<int64_t>();
    counters.newest_ms_ = started ? newest_ms : kNotStarted;
    for (int h = 0; h < kHorizons; ++h) {
      for (int slot = 0; slot < kSlots; ++slot) {
        T* bucket = counters.Bucket(h, slot);
        for (int j = 0; j < kLayout.width[h]; ++j) bucket[j] = r.Get<T>();
      }
    }
    // A started clock at the sentinel would read as not started.
    if (started && newest_ms == kNotStarted) r.Fail();
    absl::Status status = r.Check("windowed counters");
    if (!status.ok()) return status;
    return counters;
  }

 private:
  static constexpr T kMax = std::numeric_limits<T>::max();
  // The clock before the first event (no event time is this early).
  static constexpr int64_t kNotStarted = std::numeric_limits<int64_t>::min();
  // Wide enough for kSlots saturated buckets.
  using Wide = std::conditional_t<(sizeof(T) < 4), uint32_t, uint64_t>;

  static_assert(kSlots == TimeBuckets::kRingSlots);
  static int Slot(int64_t bucket) { return TimeBuckets::RingSlotOf(bucket); }
  // Horizon h's slot `slot` (its width() counters).
  T* Bucket(int h, int slot) {
    return buckets_.data() + slot * kLayout.columns + kLayout.first_column[h];
  }
  const T* Bucket(int h, int slot) const {
    return buckets_.data() + slot * kLayout.columns + kLayout.first_column[h];
  }
  static T Saturate(T a, T b) {
    return a > kMax - b ? kMax : static_cast<T>(a + b);
  }
  static T Clamp(Wide total) {
    return total > kMax ? kMax : static_cast<T>(total);
  }
  T SumOfSlots(int h, int j) const {
    Wide total = 0;
    for (int slot = 0; slot < kSlots; ++slot) total += Bucket(h, slot)[j];
    return Clamp(total);
  }
  // Every kept pair's total at once: the rows are added as vectors of
  // columns (eight 16-bit counters are one SSE register).
  void AddRows(std::array<Wide, kLayout.columns>& wide) const {
    for (int slot = 0; slot < kSlots; ++slot) {
      const T* row = buckets_.data() + slot * kLayout.columns;
#pragma GCC unroll 16
      for (int k = 0; k < kLayout.columns; ++k) wide[k] += row[k];
    }
  }
  // An add at or after the clock, horizon by horizon (a template argument,
  // so that the kept columns are constants and the loops unroll).
  template <int... h>
  void AddAtClock(const WindowSpec& spec, const TimeBuckets& at,
                  const std::array<T, N>& values,
                  std::integer_sequence<int, h...>) {
    (AddAtClockTo<h>(spec, at, values), ...);
  }
  template <int h>
  void AddAtClockTo(const WindowSpec& spec, const TimeBuckets& at,
                    const std::array<T, N>& values) {
    if constexpr (kLayout.width[h] > 0) {
      if (h >= spec.num_horizons()) return;
      // Most events stay in the newest bucket (the clock is at or after
      // its start): nothing to clear, and the clock's bucket need not be
      // computed.
      if (at.time_ms > newest_ms_ && newest_ms_ < at.start_ms[h]) {
        AdvanceHorizon(h, spec.BucketOf(h, newest_ms_), at.bucket[h]);
      }
      AddToSlot<h>(at.ring_slot[h], values);
    }
  }
  // A late add, within the lateness, horizon by horizon as above: into
  // its own bucket where that is still in the horizon's window.
  template <int... h>
  void AddLate(const WindowSpec& spec, const TimeBuckets& at,
               const std::array<T, N>& values,
               std::integer_sequence<int, h...>) {
    (AddLateTo<h>(spec, at, values), ...);
  }
  template <int h>
  void AddLateTo(const WindowSpec& spec, const TimeBuckets& at,
                 const std::array<T, N>& values) {
    if constexpr (kLayout.width[h] > 0) {
      if (h >= spec.num_horizons()) return;
      const int64_t current = spec.BucketOf(h, newest_ms_);
      if (at.bucket[h] < current - WindowSpec::kBucketsPerHorizon) return;
      AddToSlot<h>(at.ring_slot[h], values);
    }
  }
  // Adds each kept counter of horizon h to its slot `slot_index`.
  template <int h>
  void AddToSlot(int slot_index, const std::array<T, N>& values) {
    constexpr int kWidth = kLayout.width[h];
    T* slot = Bucket(h, slot_index);
#pragma GCC unroll 8
    for (int j = 0; j < kWidth; ++j) {
      const T value = values[kLayout.counter[h][j]];
      if (value != 0) slot[j] = Saturate(slot[j], value);
    }
  }
  // Out of line: a read later than the clock is the rare one.
  __attribute__((noinline)) T SumAfterClock(const WindowSpec& spec, int h,
                                            int j, int64_t now_ms) const {
    const int64_t current = spec.BucketOf(h, now_ms);
    const int64_t newest = spec.BucketOf(h, newest_ms_);
    // Buckets in [current - 6, newest] hold live data (all of them while
    // `now` is in the newest bucket).
    Wide total = 0;
    for (int64_t b = current - WindowSpec::kBucketsPerHorizon; b <= newest;
         ++b) {
      total += Bucket(h, Slot(b))[j];
    }
    return Clamp(total);
  }
  // Moves horizon h from bucket old_bucket to new_bucket, clearing the
  // buckets that leave its window. Most accounts are quiet between events,
  // so this often clears the whole horizon.
  void AdvanceHorizon(int h, int64_t old_bucket, int64_t new_bucket) {
    const int width = kLayout.width[h];
    const int64_t steps = std::min<int64_t>(new_bucket - old_bucket, kSlots);
    if (steps <= 0) return;
    if (steps == kSlots) {
      for (int slot = 0; slot < kSlots; ++slot) {
        std::fill_n(Bucket(h, slot), width, T{0});
      }
      return;
    }
    int slot = Slot(old_bucket + 1);
    for (int64_t i = 0; i < steps; ++i) {
      std::fill_n(Bucket(h, slot), width, T{0});
      if (++slot == kSlots) slot = 0;
    }
  }

  // Slot by slot ("rows"), each row every kept pair's bucket of that slot
  // in its horizon's ring, horizon by horizon: a row is a vector of
  // columns for TotalsAtClock, and a horizon's bucket is its columns of
  // one row.
  std::array<T, kSlots * kLayout.columns> buckets_{};
  int64_t newest_ms_ = kNotStarted;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_WINDOWED_COUNTERS_H_
