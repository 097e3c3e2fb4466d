// RecentDistinct against an exact count of distinct ids per window: equal
// while nothing within the window was pushed out, saturated (and saying
// so) after; snapshots round-trip and damaged ones are refused.
#include "detector/stats/recent_distinct.h"

#include <map>
#include <random>

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
