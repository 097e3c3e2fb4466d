// WindowedDistinct: how many distinct items (subject pseudonyms per account,
// account ids per address) one entity saw in each sliding window: exact
// while small, then a sliding HyperLogLog.
//
// Exact mode keeps each item's last sighting and, per window bucket, how
// many items were last seen in it; Count is then O(7) and exact on the
// bucket-aligned span of WindowSpec. When more than `exact_limit` items are
// alive in the longest window, the entity switches for good to a sliding
// HyperLogLog (Chabchoub & Hébrail 2010): each register keeps the list of
// (time, rank) pairs not dominated by a later, higher rank, so one sketch
// answers every horizon. Its error is the HyperLogLog's: relative standard
// error 1.04/sqrt(2^precision), 0.81% at the default precision 14, within
// 2% at 10^6 items (tested against exact counts).
//
// Lateness: as WindowedSum; a late item is rejected (Add returns false).
// An empty window counts 0.
//
// Cost: exact mode Add O(horizons) amortised (expired items are purged once
// per bucket of the longest horizon), ~40 bytes per live item; sketch mode
// Add O(1) amortised, Count O(2^precision), ~(24 + 16 × ln(n/m)) bytes per
// register. bytes() reports the footprint for memory accounting.
// Thread-compatible.
//
// Example:
//   WindowedDistinct subjects;
//   subjects.Add(spec, WindowedDistinct::Options(), e.time_ms, e.subject);
//   double last_10_min = subjects.Count(spec, 1, e.time_ms);
#ifndef VIGIE_DETECTOR_STATS_WINDOWED_DISTINCT_H_
#define VIGIE_DETECTOR_STATS_WINDOWED_DISTINCT_H_

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "detector/stats/bucket_clock.h"
#include "detector/stats/state_codec.h"
#include "detector/stats/window_spec.h"

namespace vigie {

class WindowedDistinct {
 public:
  struct Options {
    // Items kept exactly before switching to the sketch. Default: 1024.
    int exact_limit = 1024;
    // Sketch precision (4..18). Default: 14.
    int precision = 14;
  };

  bool Add(const WindowSpec& spec, const Options& options, int64_t time_ms,
           uint64_t item);
  double Count(const WindowSpec& spec, int h, int64_t now_ms) const;

  bool exact() const { return sketch_ == nullptr; }

  // Exact state, restored bit-identically (items in a canonical order).
  void Encode(StateWriter& w) const;
  static absl::StatusOr<WindowedDistinct> Decode(StateReader& r);
  size_t bytes() const;
  int64_t newest_ms() const { return newest_ms_; }

 private:
  static constexpr int kSlots = WindowSpec::kBucketsPerHorizon + 1;
  struct Entry {
    int64_t time_ms;
    uint8_t rank;
  };
  struct Sketch {
    int precision;
    std::vector<std::vector<Entry>> registers;
  };

  static_assert(kSlots == TimeBuckets::kRingSlots);
  static int Slot(int64_t bucket) { return TimeBuckets::RingSlotOf(bucket); }
  void Advance(const WindowSpec& spec, int64_t time_ms);
  void Adjust(const WindowSpec& spec, int64_t time_ms, int32_t delta);
  void Purge(const WindowSpec& spec);
  void Promote(const WindowSpec& spec, const Options& options);
  void SketchAdd(const WindowSpec& spec, int64_t time_ms, uint64_t item);

  // Exact mode.
  absl::flat_hash_map<uint64_t, int64_t> last_seen_;
  std::array<std::array<int32_t, kSlots>, WindowSpec::kMaxHorizons> last_{};
  int64_t live_ = 0;  // Items last seen within the longest window span.
  int64_t purged_bucket_ = INT64_MIN;
  // Sketch mode.
  std::unique_ptr<Sketch> sketch_;
  int64_t newest_ms_ = 0;
  bool started_ = false;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_WINDOWED_DISTINCT_H_
