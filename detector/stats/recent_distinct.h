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
// Why minutes as 16-bit ages: an address's set is most of its state, and
// the address budget is tight. The set keeps the newest minute it saw
// once and each id's age in minutes behind it, so a minute costs 2 bytes
// instead of 4. An age saturates at kFarMinutes (45 days): such an id is
// outside every window of up to 45 days, which is all a count can ask of
// it. REQUIRES: horizons of at most 44 days (the engine's are 1 day).
//
// Cost: Add and Count O(K), K small. Size: 6 × K + 8 bytes, rounded up to
// 4 (56 bytes for K = 8, 200 for K = 32). Thread-compatible.
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

  static constexpr uint16_t kFarMinutes = UINT16_MAX;

  void Add(int64_t time_ms, uint32_t id) {
    const uint32_t minute = MinuteOf(time_ms);
    if (minute > newest_minute_) {
      const uint32_t step = minute - newest_minute_;
      for (int i = 0; i < size_; ++i) ages_[i] = Older(ages_[i], step);
      pushed_out_age_ = Older(pushed_out_age_, step);
      newest_minute_ = minute;
    }
    const uint16_t age = Older(0, newest_minute_ - minute);
    int oldest = 0;
    for (int i = 0; i < size_; ++i) {
      if (ids_[i] == id) {
        ages_[i] = std::min(ages_[i], age);
        return;
      }
      if (ages_[i] > ages_[oldest]) oldest = i;
    }
    if (size_ < K) {
      ids_[size_] = id;
      ages_[size_] = age;
      ++size_;
      return;
    }
    if (age > ages_[oldest]) {  // Older than all we keep: it is the one out.
      pushed_out_age_ = std::min(pushed_out_age_, age);
      return;
    }
    pushed_out_age_ = std::min(pushed_out_age_, ages_[oldest]);
    ids_[oldest] = id;
    ages_[oldest] = age;
  }

  // Distinct ids in horizon h's window ending at now_ms (see above).
  int Count(const WindowSpec& spec, int h, int64_t now_ms) const {
    const int64_t first = FirstBucket(spec, h, now_ms);
    if (InWindow(spec, h, pushed_out_age_, first)) return K;  // Saturated.
    int n = 0;
    for (int i = 0; i < size_; ++i) n += InWindow(spec, h, ages_[i], first);
    return n;
  }

  // True when an id pushed out was seen within horizon h's window, so
  // that Count is K, a lower bound.
  bool saturated(const WindowSpec& spec, int h, int64_t now_ms) const {
    return InWindow(spec, h, pushed_out_age_, FirstBucket(spec, h, now_ms));
  }

  int size() const { return size_; }

  // Calls f(id) for each kept id last seen within horizon h's window
  // ending at now_ms (an id pushed out is not among them).
  template <typename F>
  void ForEachIn(const WindowSpec& spec, int h, int64_t now_ms, F&& f) const {
    const int64_t first = FirstBucket(spec, h, now_ms);
    for (int i = 0; i < size_; ++i) {
      if (InWindow(spec, h, ages_[i], first)) f(ids_[i]);
    }
  }

  bool Holds(uint32_t id) const {
    for (int i = 0; i < size_; ++i) {
      if (ids_[i] == id) return true;
    }
    return false;
  }
  // Whether Add(_, id) would push an id out: the set is full without id.
  bool WouldPushOut(uint32_t id) const { return size_ == K && !Holds(id); }

  // The same set in a larger one. While nothing was pushed out, the wider
  // set then counts (and goes on counting) exactly as one that had been
  // that wide from the start: a caller can keep K ids in small state and
  // widen it before the first push-out.
  template <int M>
  RecentDistinct<M> Widened() const {
    static_assert(M >= K);
    RecentDistinct<M> wide;
    std::copy_n(ids_.begin(), size_, wide.ids_.begin());
    std::copy_n(ages_.begin(), size_, wide.ages_.begin());
    wide.newest_minute_ = newest_minute_;
    wide.pushed_out_age_ = pushed_out_age_;
    wide.size_ = size_;
    return wide;
  }

  // Minutes since the epoch, 1-based so that 0 means "none"; times before
  // 1970 count as its first minute (the engine sees portal logs). A set
  // keeps its ids' last-seen minutes in these units, and Add(MillisOf(m),
  // id) records id as last seen in minute m exactly.
  static uint32_t MinuteOf(int64_t time_ms) {
    const int64_t minute = time_ms >= 0 ? time_ms / 60000 + 1 : 1;
    return static_cast<uint32_t>(std::min<int64_t>(minute, UINT32_MAX));
  }
  static int64_t MillisOf(uint32_t minute) {
    return (static_cast<int64_t>(minute) - 1) * 60000;
  }

  // What Count(spec, h, now_ms) is for a set that holds one id, last seen
  // in `minute` (0: an empty set). Lets a caller keep a lone id in 8 bytes
  // and widen it to a set only once a second id comes.
  static int CountOne(const WindowSpec& spec, int h, uint32_t minute,
                      int64_t now_ms) {
    return minute != 0 &&
           spec.BucketOf(h, MillisOf(minute)) >= FirstBucket(spec, h, now_ms);
  }

  // Snapshot support: exact state, restored bit-identically. The format
  // (version 1) holds absolute minutes, 1-based; a far age is written as
  // the minute kFarMinutes behind the newest, which reads back as far, and
  // a far id pushed out as none (0), which counts alike.
  void Encode(StateWriter& w) const {
    w.Put<uint8_t>(1);  // Format version.
    w.Put<uint8_t>(static_cast<uint8_t>(K));
    w.Put<uint8_t>(static_cast<uint8_t>(size_));
    w.Put<uint32_t>(pushed_out_age_ == kFarMinutes ? 0
                                                   : MinuteAt(pushed_out_age_));
    for (int i = 0; i < size_; ++i) {
      w.Put(ids_[i]);
      w.Put<uint32_t>(MinuteAt(ages_[i]));
    }
  }
  static absl::StatusOr<RecentDistinct> Decode(StateReader& r) {
    RecentDistinct set;
    if (r.Get<uint8_t>() != 1) r.Fail();
    if (r.Get<uint8_t>() != K) r.Fail();
    const uint8_t size = r.Get<uint8_t>();
    if (size > K) r.Fail();
    const uint32_t pushed_out_minute = r.Get<uint32_t>();
    std::array<uint32_t, K> minutes{};
    for (int i = 0; i < size && r.ok(); ++i) {
      set.ids_[i] = r.Get<uint32_t>();
      minutes[i] = r.Get<uint32_t>();
      if (minutes[i] == 0) r.Fail();  // Minutes are 1-based.
      for (int j = 0; j < i; ++j) {
        if (set.ids_[j] == set.ids_[i]) r.Fail();  // Ids are distinct.
      }
    }
    absl::Status status = r.Check("recent distinct");
    if (!status.ok()) return status;
    // The newest minute added is always some kept id's: an id is pushed
    // out only for a newer one, or when it is older than all kept. (The
    // pushed-out minute counts too, so a damaged one reads as age 0 at
    // worst, never as a negative age.)
    set.newest_minute_ = pushed_out_minute;
    for (int i = 0; i < size; ++i) {
      set.newest_minute_ = std::max(set.newest_minute_, minutes[i]);
    }
    for (int i = 0; i < size; ++i) {
      set.ages_[i] = Older(0, set.newest_minute_ - minutes[i]);
    }
    if (pushed_out_minute != 0) {
      set.pushed_out_age_ = Older(0, set.newest_minute_ - pushed_out_minute);
    }
    set.size_ = size;
    return set;
  }

 private:
  template <int>
  friend class RecentDistinct;

  // `age` minutes more, saturating at kFarMinutes.
  static uint16_t Older(uint16_t age, uint32_t minutes) {
    const uint32_t older =
        uint32_t{age} + std::min<uint32_t>(minutes, kFarMinutes);
    return static_cast<uint16_t>(std::min<uint32_t>(older, kFarMinutes));
  }
  // The absolute minute of an age, at least 1.
  uint32_t MinuteAt(uint16_t age) const {
    return age >= newest_minute_ ? 1 : newest_minute_ - age;
  }
  static int64_t FirstBucket(const WindowSpec& spec, int h, int64_t now_ms) {
    return spec.BucketOf(h, now_ms) - WindowSpec::kBucketsPerHorizon;
  }
  // Whether an id of `age` lies in the window starting at bucket `first`
  // of horizon h (a far age never does).
  bool InWindow(const WindowSpec& spec, int h, uint16_t age,
                int64_t first) const {
    return age < kFarMinutes &&
           spec.BucketOf(h, MillisOf(newest_minute_ - age)) >= first;
  }

  std::array<uint32_t, K> ids_{};
  std::array<uint16_t, K> ages_{};  // Minutes behind newest_minute_.
  uint32_t newest_minute_ = 0;      // 1-based; 0 before the first id.
  // Of the newest id pushed out; kFarMinutes also when none was.
  uint16_t pushed_out_age_ = kFarMinutes;
  uint8_t size_ = 0;
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_RECENT_DISTINCT_H_
