// Event-time windows, windowed sums and windowed distinct counts against
// exact computations on the same bucket-aligned spans; HyperLogLog accuracy
// and hardening.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "detector/internal/stable_hash.h"
#include "detector/stats/bucket_clock.h"
#include "detector/stats/hyperloglog.h"
#include "detector/stats/window_spec.h"
#include "detector/stats/windowed_counters.h"
#include "detector/stats/windowed_distinct.h"
#include "detector/stats/windowed_sum.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

uint64_t Mix(uint64_t x) { return internal::SplitMix64(x); }

bool InSpan(const WindowSpec& spec, int h, int64_t t, int64_t now) {
  return spec.BucketOf(h, t) >= spec.BucketOf(h, now) - 6 &&
         spec.BucketOf(h, t) <= spec.BucketOf(h, now);
}

TEST(WindowSpec, RejectsBadHorizonsAndLateness) {
  EXPECT_EQ(WindowSpec::Create({}, absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WindowSpec::Create({absl::Minutes(10), absl::Minutes(1)},
                               absl::Seconds(1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WindowSpec::Create({absl::Minutes(1)}, absl::Minutes(1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WindowSpec::Create({absl::Milliseconds(7)}, absl::ZeroDuration())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  WindowSpec spec;
  EXPECT_EQ(spec.num_horizons(), 4);
  EXPECT_EQ(spec.horizon_ms(3), 86400000);
  EXPECT_EQ(spec.lateness_ms(), 5000);
}


// The reciprocal shortcut must agree with floor division everywhere: at
// bucket edges, for negative times, near its exactness limit and beyond.
// The default spec, and one whose horizons do not divide one another.
std::vector<WindowSpec> TestSpecs() {
  std::vector<WindowSpec> specs = {WindowSpec()};
  specs.push_back(WindowSpec::Create({absl::Milliseconds(6), absl::Seconds(42),
                                      absl::Milliseconds(600006)},
                                     absl::ZeroDuration())
                      .value());
  return specs;
}

// The clock's cached answer is what TimeBuckets::Of computes, for times
// that stay in a span, cross a bucket edge at any horizon, go back, jump,
// and sit at the ends of time (where a bucket's start leaves the int64
// range), with horizons that do not divide one another.
TEST(BucketClock, AnswersAsComputingFromScratch) {
  const std::vector<WindowSpec> specs = TestSpecs();
  std::mt19937_64 random(11);
  for (const WindowSpec& spec : specs) {
    BucketClock clock(&spec);
    std::vector<int64_t> times = {INT64_MIN, INT64_MIN + 1, INT64_MAX, 0, -1};
    int64_t t = 1646900102123;
    for (int i = 0; i < 200000; ++i) {
      switch (random() % 8) {
        case 0: t -= static_cast<int64_t>(random() % 5000); break;
        case 1: t += static_cast<int64_t>(random() % 100000000); break;
        case 2: {  // To either side of a bucket edge.
          const int h = static_cast<int>(random() % spec.num_horizons());
          const int64_t edge = (spec.BucketOf(h, t) + 1) * spec.bucket_ms(h);
          t = edge - 1 + static_cast<int64_t>(random() % 3);
          break;
        }
        case 3: t = -t; break;
        default: t += static_cast<int64_t>(random() % 200); break;
      }
      times.push_back(t);
    }
    for (int64_t time : times) {
      const TimeBuckets& got = clock.At(time);
      const TimeBuckets want = TimeBuckets::Of(spec, time);
      ASSERT_EQ(got.time_ms, time);
      for (int h = 0; h < spec.num_horizons(); ++h) {
        ASSERT_EQ(got.bucket[h], want.bucket[h]) << time << " horizon " << h;
        ASSERT_EQ(got.start_ms[h], want.start_ms[h]) << time << " " << h;
        ASSERT_EQ(got.ring_slot[h], want.ring_slot[h]) << time << " " << h;
        ASSERT_EQ(got.bucket[h], spec.BucketOf(h, time));
        ASSERT_GE(got.ring_slot[h], 0);
        ASSERT_LT(got.ring_slot[h], TimeBuckets::kRingSlots);
      }
    }
  }
}

TEST(WindowSpec, BucketOfIsExactFloorDivision) {
  auto floor_div = [](int64_t t, int64_t g) {
    const int64_t q = t / g;
    return (t % g != 0 && (t < 0) != (g < 0)) ? q - 1 : q;
  };
  const std::vector<WindowSpec> specs = TestSpecs();
  std::mt19937_64 random(7);
  for (const WindowSpec& spec : specs) {
    for (int h = 0; h < spec.num_horizons(); ++h) {
      const int64_t g = spec.bucket_ms(h);
      std::vector<int64_t> times = {0,  1,  -1, g - 1, g, g + 1, -g, -g - 1,
                                    -g + 1, (int64_t{1} << 52) - 1,
                                    int64_t{1} << 52, -(int64_t{1} << 52) + 1,
                                    INT64_MAX, INT64_MIN + 1};
      for (int i = 0; i < 20000; ++i) {
        const int64_t t = static_cast<int64_t>(random() >> (i % 40));
        const int64_t k = t / g;
        for (int64_t edge : {k * g - 1, k * g, k * g + 1, t, -t}) {
          times.push_back(edge);
        }
      }
      for (int64_t t : times) {
        ASSERT_EQ(spec.BucketOf(h, t), floor_div(t, g))
            << "t=" << t << " g=" << g;
      }
    }
  }
}
TEST(WindowedSum, MatchesAnExactSumOverTheBucketAlignedSpan) {
  WindowSpec spec;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 random(seed);
    WindowedSum<uint32_t> sum;
    std::vector<std::pair<int64_t, uint32_t>> accepted;
    int64_t clock = 1646900000000;
    for (int i = 0; i < 3000; ++i) {
      // Mostly forward, sometimes a burst, sometimes a jump of hours, and
      // a few events slightly out of order.
      const int kind = random() % 100;
      if (kind < 80) clock += random() % 20000;
      else if (kind < 85) clock += random() % (3 * 3600000);
      const int64_t t = kind >= 95 ? clock - static_cast<int64_t>(random() % 8000)
                                   : clock;
      const uint32_t value = 1 + random() % 5;
      const bool late = t < sum.newest_ms() - spec.lateness_ms() && !sum.empty();
      EXPECT_EQ(sum.Add(spec, t, value), !late);
      if (!late) accepted.emplace_back(t, value);
      if (i % 37 == 0) {
        const int64_t now = std::max(clock, sum.newest_ms()) + random() % 600000;
        for (int h = 0; h < spec.num_horizons(); ++h) {
          uint64_t exact = 0;
          for (const auto& [time, v] : accepted) {
            if (InSpan(spec, h, time, now)) exact += v;
          }
          ASSERT_EQ(sum.Sum(spec, h, now), exact)
              << "seed " << seed << " event " << i << " horizon " << h;
        }
      }
    }
  }
}

// Three counters on one clock, most adds touching only some of them, read
// both at the newest event (every bucket) and later (the live ones).
TEST(WindowedCounters, EachCounterMatchesAnExactSumOnTheSharedClock) {
  WindowSpec spec;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    std::mt19937_64 random(seed);
    WindowedCounters<uint16_t, 3> counters;
    std::vector<std::pair<int64_t, std::array<uint16_t, 3>>> accepted;
    int64_t clock = 1646900000000;
    for (int i = 0; i < 3000; ++i) {
      const int kind = random() % 100;
      if (kind < 80) clock += random() % 20000;
      else if (kind < 85) clock += random() % (3 * 3600000);
      const int64_t t = kind >= 95 ? clock - static_cast<int64_t>(random() % 8000)
                                   : clock;
      std::array<uint16_t, 3> values = {1, static_cast<uint16_t>(random() % 2),
                                        static_cast<uint16_t>(random() % 4 == 0
                                                                  ? 3
                                                                  : 0)};
      const bool late =
          !counters.empty() && t < counters.newest_ms() - spec.lateness_ms();
      EXPECT_EQ(counters.Add(spec, t, values), !late);
      if (!late) accepted.emplace_back(t, values);
      if (i % 23 == 0) {
        for (const int64_t now :
             {counters.newest_ms(),
              counters.newest_ms() + static_cast<int64_t>(random() % 600000)}) {
          for (int c = 0; c < 3; ++c) {
            for (int h = 0; h < spec.num_horizons(); ++h) {
              uint64_t exact = 0;
              for (const auto& [time, v] : accepted) {
                if (InSpan(spec, h, time, now)) exact += v[c];
              }
              ASSERT_EQ(counters.Sum(spec, c, h, now), exact)
                  << "seed " << seed << " event " << i << " counter " << c
                  << " horizon " << h;
              if (now == counters.newest_ms()) {
                ASSERT_EQ(counters.TotalsAtClock().Get(c, h), exact)
                    << "seed " << seed << " event " << i << " counter " << c
                    << " horizon " << h;
              }
            }
          }
        }
      }
    }
    // The snapshot restores the counts.
    StateWriter w;
    counters.Encode(w);
    StateReader r(w.data());
    absl::StatusOr<WindowedCounters<uint16_t, 3>> back =
        WindowedCounters<uint16_t, 3>::Decode(r);
    ASSERT_TRUE(back.ok());
    for (int c = 0; c < 3; ++c) {
      for (int h = 0; h < spec.num_horizons(); ++h) {
        EXPECT_EQ(back->Sum(spec, c, h, clock), counters.Sum(spec, c, h, clock));
      }
    }
  }
}

// Keeping only some counter × horizon pairs changes neither what they count
// nor how they saturate: every kept pair reads as the full counters' pair.
TEST(WindowedCounters, KeptPairsMatchTheFullCounters) {
  WindowSpec spec;
  constexpr uint32_t kKept =
      KeptOver(0, {WindowSpec::kTenMinutes, WindowSpec::kHour}) |
      KeptOver(1, {WindowSpec::kMinute, WindowSpec::kDay}) |
      KeptOver(2, {WindowSpec::kTenMinutes});
  using Kept = WindowedCounters<uint16_t, 3, kKept>;
  static_assert(Kept::Keeps(0, WindowSpec::kHour));
  static_assert(!Kept::Keeps(0, WindowSpec::kMinute));
  static_assert(!Kept::Keeps(2, WindowSpec::kDay));
  static_assert(sizeof(Kept) < sizeof(WindowedCounters<uint16_t, 3>) / 2);
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    std::mt19937_64 random(seed);
    WindowedCounters<uint16_t, 3> full;
    Kept kept;
    int64_t clock = 1646900000000;
    for (int i = 0; i < 4000; ++i) {
      const int kind = random() % 100;
      if (kind < 80) clock += random() % 20000;
      else if (kind < 85) clock += random() % (3 * 3600000);
      const int64_t t =
          kind >= 95 ? clock - static_cast<int64_t>(random() % 8000) : clock;
      // Now and then a value large enough to saturate a bucket.
      const uint16_t big = random() % 50 == 0 ? 30000 : 1;
      const std::array<uint16_t, 3> values = {
          big, static_cast<uint16_t>(random() % 2),
          static_cast<uint16_t>(random() % 4 == 0 ? 3 : 0)};
      ASSERT_EQ(kept.Add(spec, t, values), full.Add(spec, t, values));
      if (i % 7 != 0) continue;
      for (const int64_t now :
           {full.newest_ms(),
            full.newest_ms() + static_cast<int64_t>(random() % 600000)}) {
        for (int c = 0; c < 3; ++c) {
          for (int h = 0; h < spec.num_horizons(); ++h) {
            if (!Kept::Keeps(c, h)) continue;
            ASSERT_EQ(kept.Sum(spec, c, h, now), full.Sum(spec, c, h, now))
                << "seed " << seed << " event " << i << " counter " << c
                << " horizon " << h;
            if (now == full.newest_ms()) {
              ASSERT_EQ(kept.TotalsAtClock().Get(c, h),
                        full.Sum(spec, c, h, now))
                  << "seed " << seed << " event " << i << " counter " << c
                  << " horizon " << h;
            }
          }
        }
      }
    }
    // The snapshot carries the mask: it restores into the same mask only.
    StateWriter w;
    kept.Encode(w);
    {
      StateReader r(w.data());
      absl::StatusOr<Kept> back = Kept::Decode(r);
      ASSERT_TRUE(back.ok()) << back.status();
      for (int c = 0; c < 3; ++c) {
        for (int h = 0; h < spec.num_horizons(); ++h) {
          if (!Kept::Keeps(c, h)) continue;
          EXPECT_EQ(back->Sum(spec, c, h, clock), kept.Sum(spec, c, h, clock));
        }
      }
    }
    {
      StateReader r(w.data());
      using Other = WindowedCounters<uint16_t, 3, kKept | KeptOver(2, {0})>;
      EXPECT_FALSE(Other::Decode(r).ok());
    }
    {
      StateReader r(w.data());
      EXPECT_FALSE((WindowedCounters<uint16_t, 3>::Decode(r).ok()));
    }
  }
}

TEST(WindowedCounters, TotalsAtClockOfNothingAreZero) {
  constexpr uint32_t kKept =
      KeptOver(0, {WindowSpec::kMinute}) |
      KeptOver(1, {WindowSpec::kMinute, WindowSpec::kDay});
  WindowedCounters<uint16_t, 2, kKept> counters;
  EXPECT_EQ(counters.TotalsAtClock().Get(0, WindowSpec::kMinute), 0);
  EXPECT_EQ(counters.TotalsAtClock().Get(1, WindowSpec::kDay), 0);
  WindowSpec spec;
  counters.Add(spec, 5000, {3, 4});
  EXPECT_EQ(counters.TotalsAtClock().Get(0, WindowSpec::kMinute), 3);
  EXPECT_EQ(counters.TotalsAtClock().Get(1, WindowSpec::kMinute), 4);
  EXPECT_EQ(counters.TotalsAtClock().Get(1, WindowSpec::kDay), 4);
}

// Event times from a binary log are any non-zero int64: at the ends of
// the range the clock's arithmetic must neither overflow (UBSan checks it
// under --config=asan) nor lose a count.
TEST(WindowedCounters, CountsAtTheEndsOfTime) {
  WindowSpec spec;
  for (const int64_t first :
       {std::numeric_limits<int64_t>::min() + 1,
        std::numeric_limits<int64_t>::max() - 3 * 3600 * 1000}) {
    WindowedCounters<uint16_t, 2> counters;
    counters.Add(spec, first, {1, 0});
    counters.Add(spec, first + 1, {1, 1});
    counters.Add(spec, first + 20000, {1, 0});
    counters.Add(spec, first + 7200000, {1, 1});
    EXPECT_EQ(counters.Sum(spec, 0, WindowSpec::kDay, first + 7200000), 4);
    EXPECT_EQ(counters.TotalsAtClock().Get(1, WindowSpec::kDay), 2);
    EXPECT_EQ(counters.Sum(spec, 0, WindowSpec::kMinute, first + 7200000), 1);
  }
}

TEST(WindowedCounters, TotalsSaturateAcrossBuckets) {
  WindowSpec spec;
  WindowedCounters<uint16_t, 2> counters;
  // Seven 10 s buckets of 40,000 each: the 1-minute window holds 280,000.
  for (int b = 0; b < 7; ++b) {
    counters.Add(spec, b * 10000, {40000, 1});
  }
  EXPECT_EQ(counters.Sum(spec, 0, 0, 60000), UINT16_MAX);
  EXPECT_EQ(counters.Sum(spec, 1, 0, 60000), 7);
  EXPECT_EQ(counters.TotalsAtClock().Get(0, 0), UINT16_MAX);
  EXPECT_EQ(counters.TotalsAtClock().Get(1, 0), 7);
  // Once old buckets leave, the total comes back below the cap, exactly.
  counters.Add(spec, 120000, {0, 0});  // Buckets 6..12: only 6 holds data.
  EXPECT_EQ(counters.Sum(spec, 0, 0, 120000), 40000);
  EXPECT_EQ(counters.Sum(spec, 1, 0, 120000), 1);
}

// 8-bit counts saturate all the time: a sum at the cap means "at least the
// cap" and must come back to the exact count once buckets leave,
// through every path (adds at and after the clock, late adds, partial and
// whole advances, reads at and after the clock, a snapshot).
TEST(WindowedCounters, SaturatedTotalsComeBackExactly) {
  WindowSpec spec;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 random(seed);
    WindowedCounters<uint8_t, 2> counters;
    std::vector<std::pair<int64_t, std::array<uint8_t, 2>>> accepted;
    int64_t clock = 1646900000000;
    int saturated_reads = 0;
    for (int i = 0; i < 4000; ++i) {
      const int kind = random() % 100;
      if (kind < 70) clock += random() % 4000;
      else if (kind < 90) clock += random() % 40000;
      else if (kind < 93) clock += random() % (2 * 3600000);
      const int64_t t =
          kind >= 96 ? clock - static_cast<int64_t>(random() % 6000) : clock;
      const std::array<uint8_t, 2> values = {
          static_cast<uint8_t>(random() % 40),
          static_cast<uint8_t>(random() % 8 == 0 ? 200 : random() % 3)};
      const bool late =
          !counters.empty() && t < counters.newest_ms() - spec.lateness_ms();
      ASSERT_EQ(counters.Add(spec, t, values), !late);
      if (!late) accepted.emplace_back(t, values);
      const int64_t newest = counters.newest_ms();
      for (const int64_t now :
           {newest, newest + static_cast<int64_t>(random() % 90000)}) {
        for (int c = 0; c < 2; ++c) {
          for (int h = 0; h < spec.num_horizons(); ++h) {
            // Newest first, down to where no window reaches: an event
            // appended earlier is at most the 6 s lateness newer than one
            // appended later, so 10 s of margin keep the sum exact.
            const int64_t oldest =
                now - spec.horizon_ms(h) - spec.bucket_ms(h) - 10000;
            uint64_t exact = 0;
            for (auto it = accepted.rbegin();
                 it != accepted.rend() && it->first >= oldest; ++it) {
              if (InSpan(spec, h, it->first, now)) exact += it->second[c];
            }
            const uint64_t expected = std::min<uint64_t>(exact, UINT8_MAX);
            saturated_reads += expected == UINT8_MAX;
            ASSERT_EQ(counters.Sum(spec, c, h, now), expected)
                << "seed " << seed << " event " << i << " counter " << c
                << " horizon " << h;
            if (now == newest) {
              ASSERT_EQ(counters.TotalsAtClock().Get(c, h), expected)
                  << "seed " << seed << " event " << i << " counter " << c
                  << " horizon " << h;
            }
          }
        }
      }
    }
    // The run saturated often and came back often.
    EXPECT_GT(saturated_reads, 1000) << seed;
    StateWriter w;
    counters.Encode(w);
    StateReader r(w.data());
    absl::StatusOr<WindowedCounters<uint8_t, 2>> back =
        WindowedCounters<uint8_t, 2>::Decode(r);
    ASSERT_TRUE(back.ok());
    for (const int64_t later : {int64_t{0}, int64_t{30000}, int64_t{700000}}) {
      back->Add(spec, clock + later, {1, 1});
      counters.Add(spec, clock + later, {1, 1});
      for (int c = 0; c < 2; ++c) {
        for (int h = 0; h < spec.num_horizons(); ++h) {
          EXPECT_EQ(back->Sum(spec, c, h, clock + later),
                    counters.Sum(spec, c, h, clock + later));
        }
      }
    }
  }
}

TEST(WindowedSum, EmptyWindowsAreZeroAndOldEventsLeave) {
  WindowSpec spec;
  WindowedSum<uint32_t> sum;
  EXPECT_EQ(sum.Sum(spec, 0, 123), 0u);
  sum.Add(spec, 0, 7);
  EXPECT_EQ(sum.Sum(spec, 0, 0), 7u);
  EXPECT_EQ(sum.Sum(spec, 0, 59999), 7u);
  // 1-minute horizon, 10 s buckets: the event's bucket leaves after 70 s.
  EXPECT_EQ(sum.Sum(spec, 0, 70000), 0u);
  EXPECT_EQ(sum.Sum(spec, 1, 70000), 7u);
  EXPECT_EQ(sum.Sum(spec, 3, 86400000), 7u);
  EXPECT_EQ(sum.Sum(spec, 3, 86400000 + 4 * 3600000), 0u);
}

TEST(WindowedSum, RejectsEventsLaterThanTheLateness) {
  WindowSpec spec;
  WindowedSum<uint32_t> sum;
  EXPECT_TRUE(sum.Add(spec, 100000, 1));
  EXPECT_TRUE(sum.Add(spec, 95000, 1));   // 5 s late: accepted.
  EXPECT_FALSE(sum.Add(spec, 94999, 1));  // Later than that: rejected.
  EXPECT_EQ(sum.Sum(spec, 0, 100000), 2u);
}

TEST(WindowedSum, SaturatesInsteadOfWrapping) {
  WindowSpec spec;
  WindowedSum<uint32_t> sum;
  sum.Add(spec, 0, 4000000000u);
  sum.Add(spec, 1, 4000000000u);
  EXPECT_EQ(sum.Sum(spec, 0, 1), UINT32_MAX);
}

TEST(WindowedDistinct, ExactModeMatchesAnExactCount) {
  WindowSpec spec;
  WindowedDistinct::Options options;
  options.exact_limit = 1 << 20;  // Stay exact.
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    std::mt19937_64 random(seed);
    WindowedDistinct distinct;
    std::map<uint64_t, int64_t> last_seen;
    int64_t clock = 1646900000000;
    for (int i = 0; i < 4000; ++i) {
      clock += random() % 30000;
      if (random() % 200 == 0) clock += random() % (6 * 3600000);
      const int64_t t = random() % 20 == 0 ? clock - random() % 4000 : clock;
      const uint64_t item = Mix(random() % 300);
      ASSERT_TRUE(distinct.Add(spec, options, t, item));
      int64_t& seen = last_seen[item];
      seen = std::max(seen, t);
      if (i % 29 == 0) {
        const int64_t now = clock + random() % 1000000;
        for (int h = 0; h < spec.num_horizons(); ++h) {
          int exact = 0;
          for (const auto& [it, time] : last_seen) {
            exact += InSpan(spec, h, time, now);
          }
          ASSERT_EQ(distinct.Count(spec, h, now), exact)
              << "seed " << seed << " event " << i << " horizon " << h;
        }
      }
    }
    EXPECT_TRUE(distinct.exact());
  }
}

TEST(WindowedDistinct, SwitchesToTheSketchAndStaysWithinTwoPercent) {
  auto spec = WindowSpec::Create({absl::Minutes(10), absl::Hours(1)},
                                 absl::Seconds(5))
                  .value();
  WindowedDistinct::Options options;
  options.exact_limit = 1000;
  WindowedDistinct distinct;
  // 200,000 distinct items over 2 hours, then a window query per horizon.
  const int n = 200000;
  const int64_t start = 1646900000000;
  std::vector<int64_t> times(n);
  for (int i = 0; i < n; ++i) {
    times[i] = start + static_cast<int64_t>(i) * 7200000 / n;
    ASSERT_TRUE(distinct.Add(spec, options, times[i], Mix(i + 1)));
  }
  EXPECT_FALSE(distinct.exact());
  const int64_t now = times.back();
  for (int h = 0; h < 2; ++h) {
    int exact = 0;
    for (int64_t t : times) exact += InSpan(spec, h, t, now);
    const double estimate = distinct.Count(spec, h, now);
    EXPECT_NEAR(estimate / exact, 1.0, 0.02) << "horizon " << h;
  }
  // Re-seeing items does not inflate the count.
  const double before = distinct.Count(spec, 0, now);
  for (int i = n - 1000; i < n; ++i) distinct.Add(spec, options, now, Mix(i + 1));
  EXPECT_NEAR(distinct.Count(spec, 0, now) / before, 1.0, 0.005);
}

TEST(HyperLogLog, IsWithinTwoPercentAtAMillionOverManySeeds) {
  int within = 0;
  const int seeds = 10;
  for (int seed = 0; seed < seeds; ++seed) {
    HyperLogLog hll;
    for (uint64_t i = 0; i < 1000000; ++i) hll.Add(Mix(i * 1000003 + seed * 7919 + 1));
    const double error = std::fabs(hll.Estimate() / 1e6 - 1.0);
    within += error <= 0.02;
    EXPECT_LT(error, 0.03) << "seed " << seed;  // 3.7 sigma.
  }
  EXPECT_GE(within, seeds - 1);
}

TEST(HyperLogLog, IsNearlyExactForSmallCountsAndZeroWhenEmpty) {
  HyperLogLog hll;
  EXPECT_EQ(hll.Estimate(), 0.0);
  for (uint64_t i = 0; i < 100; ++i) hll.Add(Mix(i));
  EXPECT_NEAR(hll.Estimate(), 100, 2);
}

TEST(HyperLogLog, MergeEqualsTheSketchOfTheUnion) {
  HyperLogLog a, b, both;
  for (uint64_t i = 0; i < 50000; ++i) {
    (i % 2 ? a : b).Add(Mix(i));
    both.Add(Mix(i));
  }
  ASSERT_TRUE(a.Merge(b).ok());
  EXPECT_EQ(a.Estimate(), both.Estimate());
  HyperLogLog other(10);
  EXPECT_EQ(a.Merge(other).code(), absl::StatusCode::kInvalidArgument);
}

TEST(HyperLogLog, SerialisationRoundTripsAndRejectsMalformedBytes) {
  HyperLogLog hll(12);
  for (uint64_t i = 0; i < 10000; ++i) hll.Add(Mix(i));
  const std::string bytes = hll.Serialize();
  absl::StatusOr<HyperLogLog> back = HyperLogLog::Deserialize(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Estimate(), hll.Estimate());
  EXPECT_EQ(HyperLogLog::Deserialize("").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(HyperLogLog::Deserialize("XHLL\x01\x0c").status().code(),
            absl::StatusCode::kDataLoss);
  std::string wrong_version = bytes;
  wrong_version[4] = 9;
  EXPECT_EQ(HyperLogLog::Deserialize(wrong_version).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(HyperLogLog::Deserialize(bytes.substr(0, bytes.size() - 1))
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  std::string bad_register = bytes;
  bad_register[10] = static_cast<char>(200);
  EXPECT_EQ(HyperLogLog::Deserialize(bad_register).status().code(),
            absl::StatusCode::kDataLoss);
  std::string bad_precision = bytes;
  bad_precision[5] = 30;
  EXPECT_EQ(HyperLogLog::Deserialize(bad_precision).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace vigie
