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
// A single WindowedCounters (see there for several counts sharing a clock).
// `kKept` (KeptOver(0, {horizons})) keeps only the horizons read; Sum over
// another is a programming error. Default: all four.
// Cost: Add O(horizons) amortised (buckets are cleared as time advances);
// Sum O(7). Size: horizons kept × 7 × sizeof(T) (its buckets) + 8 bytes,
// rounded up to 8 (120 bytes for uint32_t over four horizons, 40 over
// one). Thread-compatible.
//
// Example:
//   WindowSpec spec;                          // 1m, 10m, 1h, 24h
//   WindowedSum<uint32_t> lookups;
//   lookups.Add(spec, event.time_ms, 1);
//   uint32_t last_10_min = lookups.Sum(spec, 1, event.time_ms);
#ifndef VIGIE_DETECTOR_STATS_WINDOWED_SUM_H_
#define VIGIE_DETECTOR_STATS_WINDOWED_SUM_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "detector/stats/state_codec.h"
#include "detector/stats/window_spec.h"
#include "detector/stats/windowed_counters.h"

namespace vigie {

template <typename T, uint32_t kKept = KeptOverAll(1)>
class WindowedSum {
  using Counters = WindowedCounters<T, 1, kKept>;

 public:
  static constexpr int kSlots = Counters::kSlots;
  static constexpr bool Keeps(int h) { return Counters::Keeps(0, h); }

  // Adds `value` at `time_ms`. Returns false (and adds nothing) for an
  // event later than the allowed lateness.
  bool Add(const WindowSpec& spec, int64_t time_ms, T value) {
    return counter_.Add(spec, time_ms, {value});
  }

  // Total over horizon h as of `now_ms` (>= any time added, else as of the
  // newest time added).
  T Sum(const WindowSpec& spec, int h, int64_t now_ms) const {
    return counter_.Sum(spec, 0, h, now_ms);
  }

  int64_t newest_ms() const { return counter_.newest_ms(); }
  bool empty() const { return counter_.empty(); }

  // Snapshot support: exact state, restored bit-identically.
  void Encode(StateWriter& w) const { counter_.Encode(w); }
  static absl::StatusOr<WindowedSum> Decode(StateReader& r) {
    absl::StatusOr<Counters> counter = Counters::Decode(r);
    if (!counter.ok()) return counter.status();
    WindowedSum sum;
    sum.counter_ = *counter;
    return sum;
  }

 private:
  Counters counter_;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_WINDOWED_SUM_H_
