// RecentDistinct: how many distinct ids (accounts) one entity (an address)
// saw in each sliding window, exactly up to K of them, in a fixed-size
// value with no heap.
//
// Why: an address's accounts decide spray, stuffing and shared-
// infrastructure alerts, whose thresholds are a handful of accounts (3 a
// minute-scale hour, 8 an hour, 20 a day). A hash set or a sketch per
// address lets a botnet of stuffing addresses, each failing hundreds of
// names, grow the detector's heap past its memory cap (measured: 20,000
// addresses × 300 names took a 64 MiB detector to 423 MB). A fixed-size
// set keeps the address state the same size for every address, so the
// entity table's cap is exact.
//
// Semantics: keeps the K most recently seen distinct ids with the minute
// each was last seen. Count(h, now) is the number of ids last seen within
// the bucket-aligned span of horizon h (see WindowSpec) ending at `now`.
// It is exact while no id seen within that span has been pushed out; past
// that it saturates at K, a lower bound, and saturated() says so (an id is
// pushed out only by a more recent one, so the kept K are the newest).
// Times are kept to the minute: exact for horizons whose buckets are
// whole minutes (the engine's 10-minute and 4-hour buckets), not for the
// 1-minute horizon. REQUIRES for exact thresholds: K > the threshold.
//
// Cost: Add and Count O(K), K small. Size: 8 × K + 8 bytes (200 bytes for
// K = 24). Thread-compatible.
//
// Example:
//   RecentDistinct<24> failing;
//   failing.Add(event.time_ms, event.account);
//   int last_hour = failing.Count(spec, kHour, event.time_ms);
#ifndef VIGIE_DETECTOR_STATS_RECENT_DISTINCT_H_
#define VIGIE_DETECTOR_STATS_RECENT_DISTINCT_H_

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "detector/stats/state_codec.h"
#include "detector/stats/window_spec.h"

namespace vigie {

template <int K>
class RecentDistinct {
  static_assert(K >= 1 && K <= 255);

 public:
  static constexpr int kCapacity = K;

  void Add(int64_t time_ms, uint32_t id) {
    const uint32_t minute = MinuteOf(time_ms);
    int oldest = 0;
    for (int i = 0; i < size_; ++i) {
      if (ids_[i] == id) {
        minutes_[i] = std::max(minutes_[i], minute);
        return;
      }
      if (minutes_[i] < minutes_[oldest]) oldest = i;
    }
    if (size_ < K) {
      ids_[size_] = id;
      minutes_[size_] = minute;
      ++size_;
      return;
    }
    if (minute < minutes_[oldest]) {  // Older than all we keep: it is the
      pushed_out_minute_ = std::max(pushed_out_minute_, minute);  // one out.
      return;
    }
    pushed_out_minute_ = std::max(pushed_out_minute_, minutes_[oldest]);
    ids_[oldest] = id;
    minutes_[oldest] = minute;
  }

  // Distinct ids in horizon h's window ending at now_ms (see above).
  int Count(const WindowSpec& spec, int h, int64_t now_ms) const {
    const int64_t first = FirstBucket(spec, h, now_ms);
    if (InWindow(spec, h, pushed_out_minute_, first)) return K;  // Saturated.
    int n = 0;
    for (int i = 0; i < size_; ++i) n += InWindow(spec, h, minutes_[i], first);
    return n;
  }

  // True when an id pushed out was seen within horizon h's window, so
  // that Count is K, a lower bound.
  bool saturated(const WindowSpec& spec, int h, int64_t now_ms) const {
    return InWindow(spec, h, pushed_out_minute_, FirstBucket(spec, h, now_ms));
  }

  int size() const { return size_; }

  // Snapshot support: exact state, restored bit-identically.
  void Encode(StateWriter& w) const {
    w.Put<uint8_t>(1);  // Format version.
    w.Put<uint8_t>(static_cast<uint8_t>(K));
    w.Put<uint8_t>(static_cast<uint8_t>(size_));
    w.Put(pushed_out_minute_);
    for (int i = 0; i < size_; ++i) {
      w.Put(ids_[i]);
      w.Put(minutes_[i]);
    }
  }
  static absl::StatusOr<RecentDistinct> Decode(StateReader& r) {
    RecentDistinct set;
    if (r.Get<uint8_t>() != 1) r.Fail();
    if (r.Get<uint8_t>() != K) r.Fail();
    const uint8_t size = r.Get<uint8_t>();
    if (size > K) r.Fail();
    set.pushed_out_minute_ = r.Get<uint32_t>();
    for (int i = 0; i < size && r.ok(); ++i) {
      set.ids_[i] = r.Get<uint32_t>();
      set.minutes_[i] = r.Get<uint32_t>();
      for (int j = 0; j < i; ++j) {
        if (set.ids_[j] == set.ids_[i]) r.Fail();  // Ids are distinct.
      }
    }
    absl::Status status = r.Check("recent distinct");
    if (!status.ok()) return status;
    set.size_ = size;
    return set;
  }

 private:
  // Minutes since the epoch, 1-based so that 0 means "none"; times before
  // 1970 count as its first minute (the engine sees portal logs).
  static uint32_t MinuteOf(int64_t time_ms) {
    const int64_t minute = time_ms >= 0 ? time_ms / 60000 + 1 : 1;
    return static_cast<uint32_t>(std::min<int64_t>(minute, UINT32_MAX));
  }
  static int64_t MillisOf(uint32_t minute) {
    return (static_cast<int64_t>(minute) - 1) * 60000;
  }
  static int64_t FirstBucket(const WindowSpec& spec, int h, int64_t now_ms) {
    return spec.BucketOf(h, now_ms) - WindowSpec::kBucketsPerHorizon;
  }
  // Whether `minute` (0: none) lies in the window starting at bucket
  // `first` of horizon h.
  static bool InWindow(const WindowSpec& spec, int h, uint32_t minute,
                       int64_t first) {
    return minute != 0 && spec.BucketOf(h, MillisOf(minute)) >= first;
  }

  std::array<uint32_t, K> ids_{};
  std::array<uint32_t, K> minutes_{};
  uint32_t pushed_out_minute_ = 0;  // Newest minute of an id pushed out.
  uint8_t size_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_RECENT_DISTINCT_H_
