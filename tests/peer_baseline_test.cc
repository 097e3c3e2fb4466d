// PeerBaseline's sampled learning (DetectorOptions::peer_sample_one_in):
// the bulk of the samples learned one in N with weight N leaves the tops
// that scoring reads where learning everything puts them, warm-up learns
// everything, the hour and day scales wait for a whole day, a generation
// widens the tail by 40% at most, and older snapshots still read.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "detector/engine/entity_state.h"
#include "detector/internal/stable_hash.h"
#include "detector/stats/state_codec.h"
#include "gtest/gtest.h"

namespace vigie {
namespace engine {
namespace {

constexpr int64_t kMinuteMs = 60'000;

// One lookup sample: a heavy-tailed count per minute, a spread-out one per
// hour and a day count concentrated near its top (as batch clients give),
// and features around a fixed mean.
struct Sample {
  double minute, hour, day;
  PeerFeatures features;
};

class SampleStream {
 public:
  explicit SampleStream(uint64_t seed) : random_(seed) {}
  Sample Next() {
    Sample s;
    s.minute = std::floor(minute_(random_));
    s.hour = std::round(hour_(random_));
    s.day = std::round(day_(random_));
    for (int k = 0; k < kPeerFeatureCount; ++k) {
      s.features[k] = 3 * k + normal_(random_);
    }
    return s;
  }

 private:
  std::mt19937_64 random_;
  std::lognormal_distribution<double> minute_{0.3, 0.8};
  std::lognormal_distribution<double> hour_{3, 0.6};
  std::normal_distribution<double> day_{1600, 40};
  std::normal_distribution<double> normal_;
};

// Feeds `n` samples, refreshing every 500 as the engine does at each
// minute of event time, learning the bulk one in `one_in`.
PeerBaseline Learn(int n, uint32_t one_in, uint64_t seed) {
  PeerBaseline peers;
  SampleStream stream(seed);
  for (int i = 0; i < n; ++i) {
    const Sample s = stream.Next();
    const int64_t time_ms = (i / 500) * kMinuteMs;
    if (i % 500 == 0) peers.Refresh();
    const double d2 = peers.model.Distance2(s.features);
    const bool chosen =
        internal::SplitMix64(seed * 1'000'003 + i) % one_in == 0;
    const PeerSampleWeights w = peers.WeighLookup(
        s.minute, s.hour, s.day, d2, /*learns_model=*/true, one_in, chosen);
    peers.AddLookup(time_ms, s.minute, s.hour, s.day, s.features, d2,
                    /*learn_model=*/true, w);
  }
  peers.Refresh();
  return peers;
}

TEST(PeerBaseline, WarmUpLearnsEverySampleWhole) {
  PeerBaseline peers;
  SampleStream stream(1);
  for (int i = 0; i < 1999; ++i) {
    const Sample s = stream.Next();
    if (i % 500 == 0) peers.Refresh();
    const PeerSampleWeights w =
        peers.WeighLookup(s.minute, s.hour, s.day, peers.model.Distance2(
                                                       s.features),
                          /*learns_model=*/true, 4, /*chosen=*/false);
    ASSERT_EQ(w.minute, 1u) << i;
    ASSERT_EQ(w.hour, 1u) << i;
    ASSERT_EQ(w.day, 1u) << i;
    ASSERT_EQ(w.model, 1u) << i;
    peers.AddLookup(0, s.minute, s.hour, s.day, s.features, -1, true, w);
  }
}

// Thousands of samples in a cold start's first hours make the minute
// scale warm; the hour and day scales wait for a whole day of them.
TEST(PeerBaseline, TheHourAndDayScalesWaitForAWholeDay) {
  constexpr int64_t kHourMs = 60 * kMinuteMs;
  PeerBaseline peers;
  SampleStream stream(3);
  const PeerFeatures features{};
  for (int i = 0; i < 5000; ++i) {  // Five hours.
    const Sample s = stream.Next();
    peers.AddLookup(i * kHourMs / 1000, s.minute, s.hour, s.day, features,
                    -1);
  }
  peers.Refresh();
  EXPECT_TRUE(peers.lookups_warm());
  EXPECT_FALSE(peers.knows_a_day());
  // 23 hours after the first sample: still the first day.
  peers.AddLookup(23 * kHourMs, 1, 1, 1, features, -1);
  peers.Refresh();
  EXPECT_FALSE(peers.knows_a_day());
  peers.AddLookup(24 * kHourMs, 1, 1, 1, features, -1);
  peers.Refresh();
  EXPECT_TRUE(peers.knows_a_day());
}

TEST(PeerBaseline, TheBulkWeighsNWhenChosenNothingElseAndTheTailOne) {
  PeerBaseline peers = Learn(20000, 1, 2);
  ASSERT_TRUE(peers.lookups_warm());
  ASSERT_TRUE(peers.model.ready());
  ASSERT_GT(peers.new_per_day_bulk, 0);
  ASSERT_GT(peers.new_per_day_top, peers.new_per_day_bulk);
  const double below = peers.new_per_day_bulk;
  const double above = peers.new_per_day_top;
  const double near = peers.model.distance2_top() / 100;
  PeerSampleWeights w =
      peers.WeighLookup(0, 0, below, near, /*learns_model=*/true, 4, true);
  EXPECT_EQ(w.minute, 4u);
  EXPECT_EQ(w.hour, 4u);
  EXPECT_EQ(w.day, 4u);
  EXPECT_EQ(w.model, 4u);
  w = peers.WeighLookup(0, 0, below, near, /*learns_model=*/true, 4, false);
  EXPECT_FALSE(w.any());
  w = peers.WeighLookup(0, 0, above, near, /*learns_model=*/true, 4, false);
  EXPECT_EQ(w.day, 1u);  // The tail, chosen or not.
  EXPECT_EQ(w.minute, 0u);
  w = peers.WeighLookup(0, 0, below, peers.model.distance2_top(),
                        /*learns_model=*/true, 4, false);
  EXPECT_EQ(w.model, 1u);
  w = peers.WeighLookup(0, 0, below, near, /*learns_model=*/false, 4, true);
  EXPECT_EQ(w.model, 0u);  // A model nobody reads learns nothing.
  w = peers.WeighLookup(0, 0, below, near, /*learns_model=*/true, 1, false);
  EXPECT_EQ(w.minute + w.hour + w.day + w.model, 4u);  // Sampling off.
}

// The bounds follow the sketches once the baseline has taken in 1/16 of
// what its generations hold, not at every refresh (the walk costs
// latency), and keep following in a long steady run.
TEST(PeerBaseline, TheBulkBoundsFollowAfterASixteenthMoreSamples) {
  PeerBaseline peers = Learn(20000, 1, 9);
  const uint64_t at = peers.samples_at_bounds;
  ASSERT_GT(at, 0u);
  const double day_bulk = peers.new_per_day_bulk;
  const PeerFeatures features{};
  for (int i = 0; i < 10; ++i) {  // Much higher days, a few.
    peers.AddLookup(0, 1, 1, 5000, features, -1);
  }
  peers.Refresh();
  EXPECT_EQ(peers.new_per_day_bulk, day_bulk);
  EXPECT_EQ(peers.samples_at_bounds, at);
  EXPECT_EQ(peers.new_per_day_top,  // The tops follow at every refresh.
            QuantileSketch::QuantileOfUnion(peers.current.new_per_day,
                                            peers.previous.new_per_day,
                                            PeerBaseline::kQuantile));
  while (peers.lookup_samples < at + at / 8) {
    peers.AddLookup(0, 1, 1, 5000, features, -1);
  }
  peers.Refresh();
  EXPECT_EQ(peers.samples_at_bounds, peers.lookup_samples);
  EXPECT_EQ(peers.new_per_day_bulk,
            QuantileSketch::QuantileOfUnion(peers.current.new_per_day,
                                            peers.previous.new_per_day,
                                            PeerBaseline::kBulkQuantile));
}

// Two months of a steady group, 20,000 samples a day: the generations
// hold at most two days, so the bounds are recomputed every few hours to
// the end, and a shift of the group's days in the second month is
// followed within a day.
TEST(PeerBaseline, TheBulkBoundsKeepFollowingInALongRun) {
  PeerBaseline peers;
  std::mt19937_64 random(10);
  std::normal_distribution<double> day(1600, 40);
  const PeerFeatures features{};
  constexpr int kPerDay = 20000;
  constexpr int64_t kDayMs = 24 * 3600 * 1000;
  uint64_t computed_on_last_day = 0;
  for (int d = 0; d < 60; ++d) {
    const double shift = d < 30 ? 0 : 800;
    for (int i = 0; i < kPerDay; ++i) {
      const int64_t time_ms = d * kDayMs + int64_t{i} * kDayMs / kPerDay;
      if (i % 14 == 0) {  // About every minute of event time.
        const uint64_t before = peers.samples_at_bounds;
        peers.Refresh();
        if (d == 59 && peers.samples_at_bounds != before) {
          ++computed_on_last_day;
        }
      }
      peers.AddLookup(time_ms, 1, 1, std::round(day(random)) + shift,
                      features, -1);
    }
  }
  EXPECT_GE(computed_on_last_day, 4u);
  EXPECT_LE(computed_on_last_day, 40u);
  EXPECT_NEAR(peers.new_per_day_bulk, 2400 + 1.28 * 40, 0.05 * 2450);
}

// The point of it: on 200,000 samples, the tops scoring reads (and the
// model's mean) stay where learning every sample puts them, within a
// sketch bucket (2%), on four seeds; the learned total stays unbiased.
TEST(PeerBaseline, SampledBulkKeepsTheTopsOfLearningEverything) {
  for (uint64_t seed = 3; seed < 7; ++seed) {
    const PeerBaseline all = Learn(200000, 1, seed);
    const PeerBaseline sampled = Learn(200000, 4, seed);
    EXPECT_NEAR(sampled.new_per_minute_top, all.new_per_minute_top,
                0.021 * all.new_per_minute_top)
        << seed;
    EXPECT_NEAR(sampled.new_per_hour_top, all.new_per_hour_top,
                0.041 * all.new_per_hour_top)
        << seed;
    EXPECT_NEAR(sampled.new_per_day_top, all.new_per_day_top,
                0.021 * all.new_per_day_top)
        << seed;
    EXPECT_NEAR(sampled.model.distance2_top(), all.model.distance2_top(),
                0.06 * all.model.distance2_top())
        << seed;
    const PeerFeatures mean{};
    for (int k = 0; k < kPeerFeatureCount; ++k) {
      PeerFeatures unit = mean;
      unit[k] = 3 * k + 2;  // Two standard deviations out on one feature.
      EXPECT_NEAR(sampled.model.Distance2(unit), all.model.Distance2(unit),
                  0.1 * all.model.Distance2(unit))
          << seed << " " << k;
    }
    const double n_all = static_cast<double>(all.current.new_per_day.count() +
                                             all.previous.new_per_day.count());
    const double n_sampled =
        static_cast<double>(sampled.current.new_per_day.count() +
                            sampled.previous.new_per_day.count());
    EXPECT_NEAR(n_sampled, n_all, 0.01 * n_all) << seed;
  }
}

// A generation may widen the tail by kLearnCap at most: values above
// 1.4 times the top at its start are not learned, so one account reading a
// little more each minute cannot carry its group's tail along with it.
TEST(PeerBaseline, AGenerationWidensTheTailByFortyPercentAtMost) {
  constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;
  PeerBaseline peers = Learn(20000, 1, 5);  // The first generation.
  EXPECT_EQ(peers.learn_cap_hour, HUGE_VAL);
  const PeerFeatures features{};
  peers.AddLookup(kDayMs, 1, 1, 1, features, -1);  // The first rotation.
  peers.Refresh();
  const double hour_top = peers.new_per_hour_top;
  EXPECT_DOUBLE_EQ(peers.learn_cap_hour,
                   std::max(PeerBaseline::kLearnCap * hour_top, hour_top + 1));
  EXPECT_EQ(peers.learn_cap_day, HUGE_VAL);  // Its windows were filling.
  // A reader just under the cap is learned; one above it is not.
  PeerSampleWeights w = peers.WeighLookup(
      0, peers.learn_cap_hour, 0, -1, /*learns_model=*/false, 1, false);
  EXPECT_EQ(w.hour, 1u);
  w = peers.WeighLookup(0, peers.learn_cap_hour + 1, 0, -1,
                        /*learns_model=*/false, 1, false);
  EXPECT_EQ(w.hour, 0u);
  EXPECT_EQ(w.minute, 1u);
  // A reader above the top all day long does not move it past the cap.
  for (int i = 0; i < 5000; ++i) {
    const double hour = 3 * hour_top;
    const PeerSampleWeights weights =
        peers.WeighLookup(0, hour, 0, -1, /*learns_model=*/false, 1, false);
    peers.AddLookup(kDayMs + i, 0, hour, 0, features, -1, false, weights);
  }
  peers.Refresh();
  EXPECT_LE(peers.new_per_hour_top, peers.learn_cap_hour);
  // The second rotation trusts the day windows too.
  peers.AddLookup(2 * kDayMs, 1, 1, 1, features, -1);
  EXPECT_LT(peers.learn_cap_day, HUGE_VAL);
}

// Snapshots before the learning caps (peers format 3) read with none, and
// before the bulk bounds (format 2) with the bounds unknown too, so every
// sample weighs 1 until the next refresh.
TEST(PeerBaseline, AnOlderSnapshotReadsWithTheBulkUnknown) {
  PeerBaseline peers = Learn(20000, 4, 8);
  peers.learn_cap_minute = 7;
  peers.learn_cap_hour = 70;
  peers.learn_cap_day = 700;
  ASSERT_GT(peers.new_per_minute_bulk, 0);
  StateWriter now;
  EncodePeers(now, peers);
  StateWriter model;
  peers.model.Encode(model);
  // Format 3 is format 4 without the three caps just before the model;
  // format 2 is format 3 without the four bounds and their sample count.
  const std::string& v4 = now.data();
  const size_t caps = v4.size() - model.data().size() - 3 * sizeof(double);
  std::string v3 = v4.substr(0, caps) + model.data();
  v3[0] = 3;
  const size_t bounds = caps - 4 * sizeof(double) - sizeof(uint64_t);
  std::string v2 = v4.substr(0, bounds) + model.data();
  v2[0] = 2;
  PeerBaseline restored;
  StateReader r(v2);
  ASSERT_TRUE(DecodePeers(r, &restored));
  EXPECT_EQ(restored.new_per_day_top, peers.new_per_day_top);
  EXPECT_EQ(restored.new_per_minute_bulk, -1);
  EXPECT_EQ(restored.peer_distance_bulk, -1);
  EXPECT_EQ(restored.learn_cap_hour, HUGE_VAL);
  const PeerSampleWeights w = restored.WeighLookup(
      0, 0, 0, 0, /*learns_model=*/true, 4, /*chosen=*/false);
  EXPECT_EQ(w.minute + w.hour + w.day + w.model, 4u);
  restored.lookup_samples += 1;  // Something learned since: it refreshes.
  restored.Refresh();
  EXPECT_GT(restored.new_per_minute_bulk, 0);

  PeerBaseline again;
  StateReader r3(v3);
  ASSERT_TRUE(DecodePeers(r3, &again));
  EXPECT_EQ(again.new_per_day_bulk, peers.new_per_day_bulk);
  EXPECT_EQ(again.samples_at_bounds, peers.samples_at_bounds);
  EXPECT_EQ(again.learn_cap_day, HUGE_VAL);
  StateReader r4(v4);
  ASSERT_TRUE(DecodePeers(r4, &again));
  EXPECT_EQ(again.learn_cap_minute, 7);
  EXPECT_EQ(again.learn_cap_hour, 70);
  EXPECT_EQ(again.learn_cap_day, 700);
  std::string newer = v4;
  newer[0] = 5;  // A format from a newer build.
  StateReader r5(newer);
  EXPECT_FALSE(DecodePeers(r5, &again));
  // A cap below one (or NaN) is damage.
  std::string damaged = v4;
  const double bad = 0.5;
  std::memcpy(&damaged[caps + sizeof(double)], &bad, sizeof(bad));
  StateReader r6(damaged);
  EXPECT_FALSE(DecodePeers(r6, &again));
}

}  // namespace
}  // namespace engine
}  // namespace vigie
