// RecentDistinct against an exact count of distinct ids per window: equal
// while nothing within the window was pushed out, saturated (and saying
// so) after; against the 32-bit-minute set it replaced, through late ids
// and gaps past its 16-bit ages; snapshots round-trip and damaged ones are
// refused.
#include "detector/stats/recent_distinct.h"

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace vigie {
namespace {

// Distinct ids last seen in horizon h's window ending at now, as
// RecentDistinct defines it (times to the minute).
int ExactCount(const std::map<uint32_t, int64_t>& last_seen,
               const WindowSpec& spec, int h, int64_t now) {
  const int64_t first = spec.BucketOf(h, now) - WindowSpec::kBucketsPerHorizon;
  int n = 0;
  for (const auto& [id, time] : last_seen) {
    if (spec.BucketOf(h, time / 60000 * 60000) >= first) ++n;
  }
  return n;
}

// The set as it was before its minutes became 16-bit ages: absolute
// minutes, 32 bits each. Its counts are what the ages must reproduce.
template <int K>
class AbsoluteMinutesSet {
 public:
  void Add(int64_t time_ms, uint32_t id) {
    const uint32_t minute = static_cast<uint32_t>(time_ms / 60000 + 1);
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
      minutes_[size_++] = minute;
      return;
    }
    if (minute < minutes_[oldest]) {
      pushed_out_ = std::max(pushed_out_, minute);
      return;
    }
    pushed_out_ = std::max(pushed_out_, minutes_[oldest]);
    ids_[oldest] = id;
    minutes_[oldest] = minute;
  }
  int Count(const WindowSpec& spec, int h, int64_t now) const {
    const int64_t first = spec.BucketOf(h, now) - WindowSpec::kBucketsPerHorizon;
    if (In(spec, h, pushed_out_, first)) return K;
    int n = 0;
    for (int i = 0; i < size_; ++i) n += In(spec, h, minutes_[i], first);
    return n;
  }

 private:
  static bool In(const WindowSpec& spec, int h, uint32_t minute,
                 int64_t first) {
    return minute != 0 &&
           spec.BucketOf(h, (int64_t{minute} - 1) * 60000) >= first;
  }
  std::array<uint32_t, K> ids_{};
  std::array<uint32_t, K> minutes_{};
  uint32_t pushed_out_ = 0;
  int size_ = 0;
};

// Late ids (up to an hour), quiet spells of days and of months (past the
// 45 days a 16-bit age holds), and snapshots taken along the way: every
// count at every horizon is the 32-bit set's.
TEST(RecentDistinct, AgesCountLikeAbsoluteMinutes) {
  const WindowSpec spec;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 random(seed);
    RecentDistinct<8> set;
    AbsoluteMinutesSet<8> reference;
    int64_t clock = 1646900000000;
    const int ids = 4 + static_cast<int>(random() % 30);
    for (int i = 0; i < 3000; ++i) {
      const int kind = static_cast<int>(random() % 1000);
      if (kind < 700) {
        clock += static_cast<int64_t>(random() % 120000);
      } else if (kind < 990) {
        clock += static_cast<int64_t>(random() % (3 * 86400000));
      } else {
        clock += int64_t{86400000} * (40 + static_cast<int64_t>(random() % 30));
      }
      const int64_t t =
          random() % 5 == 0 ? clock - static_cast<int64_t>(random() % 3600000)
                            : clock;
      const uint32_t id = 1 + static_cast<uint32_t>(random() % ids);
      set.Add(t, id);
      reference.Add(t, id);
      if (i % 97 == 0) {  // A snapshot must not change any count.
        StateWriter w;
        set.Encode(w);
        StateReader r(w.data());
        absl::StatusOr<RecentDistinct<8>> back = RecentDistinct<8>::Decode(r);
        ASSERT_TRUE(back.ok()) << back.status();
        set = *back;
      }
      for (const int64_t now :
           {clock, clock + static_cast<int64_t>(random() % 7200000)}) {
        for (int h = 0; h < spec.num_horizons(); ++h) {
          ASSERT_EQ(set.Count(spec, h, now), reference.Count(spec, h, now))
              << "seed " << seed << " event " << i << " horizon " << h;
        }
      }
    }
  }
}

TEST(RecentDistinct, IsExactUntilItSaturatesAndThenSaysSo) {
  const WindowSpec spec;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 random(seed);
    RecentDistinct<8> set;
    std::map<uint32_t, int64_t> last_seen;
    int64_t clock = 1646900000000;
    const int ids = 3 + static_cast<int>(random() % 20);
    for (int i = 0; i < 2000; ++i) {
      clock += static_cast<int64_t>(random() % (i % 100 < 90 ? 60000 : 7200000));
      const uint32_t id = 1 + static_cast<uint32_t>(random() % ids);
      set.Add(clock, id);
      last_seen[id] = std::max(last_seen[id], clock);
      for (int h : {2, 3}) {  // The hour and the day.
        const int exact = ExactCount(last_seen, spec, h, clock);
        const int count = set.Count(spec, h, clock);
        if (set.saturated(spec, h, clock)) {
          EXPECT_EQ(count, 8);
          EXPECT_GE(exact, 8) << "saturated below capacity, seed " << seed;
        } else {
          ASSERT_EQ(count, exact) << "seed " << seed << " event " << i;
        }
      }
    }
  }
}

TEST(RecentDistinct, ForgetsWhatLeavesTheWindowAndCountsRepeatsOnce) {
  const WindowSpec spec;
  RecentDistinct<4> set;
  EXPECT_EQ(set.Count(spec, 2, 0), 0);
  const int64_t t = 1646900000000;
  set.Add(t, 7);
  set.Add(t + 1000, 7);
  set.Add(t + 2000, 9);
  EXPECT_EQ(set.Count(spec, 2, t + 2000), 2);
  EXPECT_EQ(set.Count(spec, 2, t + 2 * 3600000), 0);  // Left the hour.
  EXPECT_EQ(set.Count(spec, 3, t + 2 * 3600000), 2);  // Still in the day.
  // Six new ids push out the oldest: the hour saturates at 4.
  for (uint32_t id = 10; id < 16; ++id) set.Add(t + 3000, id);
  EXPECT_TRUE(set.saturated(spec, 2, t + 3000));
  EXPECT_EQ(set.Count(spec, 2, t + 3000), 4);
  EXPECT_EQ(set.size(), 4);
  // A day later they have all left: exact again, and empty.
  EXPECT_FALSE(set.saturated(spec, 3, t + 30 * 3600000));
  EXPECT_EQ(set.Count(spec, 3, t + 30 * 3600000), 0);
}

TEST(RecentDistinct, SnapshotRoundTripsAndDamageIsDataLoss) {
  const WindowSpec spec;
  RecentDistinct<4> set;
  const int64_t t = 1646900000000;
  for (uint32_t id = 1; id <= 6; ++id) set.Add(t + id * 1000, id);
  StateWriter w;
  set.Encode(w);
  StateReader r(w.data());
  absl::StatusOr<RecentDistinct<4>> back = RecentDistinct<4>::Decode(r);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Count(spec, 2, t + 10000), set.Count(spec, 2, t + 10000));
  EXPECT_EQ(back->saturated(spec, 2, t + 10000),
            set.saturated(spec, 2, t + 10000));
  const std::string bytes = w.data();
  for (size_t n = 0; n < bytes.size(); ++n) {
    StateReader cut(absl::string_view(bytes).substr(0, n));
    EXPECT_EQ(RecentDistinct<4>::Decode(cut).status().code(),
              absl::StatusCode::kDataLoss)
        << n;
  }
  std::string other_capacity = bytes;
  other_capacity[1] = 5;
  StateReader wrong(other_capacity);
  EXPECT_EQ(RecentDistinct<4>::Decode(wrong).status().code(),
            absl::StatusCode::kDataLoss);
  std::string repeated = bytes;  // The second id made equal to the first.
  repeated.replace(7 + 8, 4, repeated.substr(7, 4));
  StateReader dup(repeated);
  EXPECT_EQ(RecentDistinct<4>::Decode(dup).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace vigie
