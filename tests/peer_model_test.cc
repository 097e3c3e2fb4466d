// The peer-group model (signal family 6): its frozen distance matches the
// covariance estimate, learning is robust to outliers, and several moderate
// deviations together score while one alone does not.
#include <random>

#include "detector/engine/peer_model.h"
#include "detector/signals/peer_deviation.h"
#include "detector/stats/quantile_sketch.h"
#include "gtest/gtest.h"

namespace vigie {
namespace engine {
namespace {

// A profession whose accounts' features are independent N(mean_i, 1).
PeerModel TrainedModel(uint64_t seed, int n) {
  std::mt19937_64 random(seed);
  std::normal_distribution<double> normal;
  PeerModel model;
  QuantileSketch distances;
  for (int i = 0; i < n; ++i) {
    PeerFeatures x;
    for (int k = 0; k < kPeerFeatureCount; ++k) x[k] = 3 * k + normal(random);
    const double d2 = model.Distance2(x);
    model.Learn(x, d2);
    if (d2 >= 0) distances.Add(d2);
    if (i % 500 == 499) model.Freeze(distances.Quantile(0.999));
  }
  return model;
}

TEST(PeerModel, NotReadyUntilWarmThenMatchesTheCovariance) {
  PeerModel cold = TrainedModel(1, 400);
  EXPECT_FALSE(cold.ready());
  EXPECT_LT(cold.Distance2(PeerFeatures{}), 0);

  PeerModel model = TrainedModel(1, 20000);
  ASSERT_TRUE(model.ready());
  // For independent unit-variance features, D^2 of the mean is ~0 and of a
  // one-sd step on every feature ~ d.
  PeerFeatures mean;
  for (int k = 0; k < kPeerFeatureCount; ++k) mean[k] = 3 * k;
  EXPECT_NEAR(model.Distance2(mean), 0, 0.05);
  PeerFeatures step = mean;
  for (double& v : step) v += 1;
  EXPECT_NEAR(model.Distance2(step), kPeerFeatureCount, 0.6);
  // The chi-square(6) 99.9th percentile is 22.5.
  EXPECT_NEAR(model.distance2_top(), 22.5, 4);
}

TEST(PeerModel, SeveralModerateDeviationsScoreOneAloneDoesNot) {
  PeerModel model = TrainedModel(2, 20000);
  PeerFeatures x;
  for (int k = 0; k < kPeerFeatureCount; ++k) x[k] = 3 * k;
  // One feature 4 sd away: unusual (p ~ 3e-5) but not alarming here.
  PeerFeatures one = x;
  one[kNotFoundShare] += 4;
  double d2 = 0;
  EXPECT_EQ(ScorePeerDeviation(model, one, &d2).score, 0) << d2;
  // Five features each 3.5 sd away: none alarming alone, together far out.
  PeerFeatures five = x;
  for (int k = 0; k < 5; ++k) five[k] += 3.5;
  five[kSequentialShare] += 1;  // The largest deviation.
  const SignalScore s = ScorePeerDeviation(model, five, &d2);
  EXPECT_GE(s.score, 30) << d2;
  EXPECT_LE(s.score, 55);  // Never alerts alone.
  ASSERT_EQ(s.count, 2);
  EXPECT_EQ(s.evidence[0].feature, Feature::kPeerDistance);
  EXPECT_EQ(s.evidence[1].feature, Feature::kPeerDominantFeature);
  EXPECT_EQ(static_cast<int>(s.evidence[1].observed), kSequentialShare);
}

TEST(PeerModel, OutliersAreNotLearned) {
  PeerModel model = TrainedModel(3, 5000);
  const double before = model.distance2_top();
  PeerFeatures far;
  for (int k = 0; k < kPeerFeatureCount; ++k) far[k] = 3 * k + 50;
  for (int i = 0; i < 5000; ++i) model.Learn(far, model.Distance2(far));
  model.Freeze(before);
  PeerFeatures mean;
  for (int k = 0; k < kPeerFeatureCount; ++k) mean[k] = 3 * k;
  EXPECT_NEAR(model.Distance2(mean), 0, 0.1);
  EXPECT_GT(model.Distance2(far), 1000);
}

// The frozen mean and precision follow the group once it has grown by a
// sixteenth; the distance threshold follows at every freeze.
TEST(PeerModel, RefactorsOnlyAfterTheGroupGrewBySixteenth) {
  // Trained on 16,000 vectors, last re-factored at 15,000 or more.
  PeerModel model = TrainedModel(4, 16000);
  ASSERT_TRUE(model.ready());
  PeerFeatures probe;
  for (int k = 0; k < kPeerFeatureCount; ++k) probe[k] = 3 * k + 1;
  const double before = model.Distance2(probe);
  // 100 vectors far from the old mean (within the outlier bound), then a
  // freeze: well under a sixteenth, so the frozen model stays.
  PeerFeatures shifted;
  for (int k = 0; k < kPeerFeatureCount; ++k) shifted[k] = 3 * k + 1.5;
  for (int i = 0; i < 100; ++i) model.Learn(shifted, 1);
  model.Freeze(42);
  EXPECT_EQ(model.Distance2(probe), before);
  EXPECT_EQ(model.distance2_top(), 42);
  // 2,000 more is over a sixteenth of any count up to 17,000: it follows.
  for (int i = 0; i < 2000; ++i) model.Learn(shifted, 1);
  model.Freeze(43);
  EXPECT_LT(model.Distance2(probe), before);
  EXPECT_EQ(model.distance2_top(), 43);
}

TEST(PeerModel, SnapshotRoundTrip) {
  PeerModel model = TrainedModel(4, 3000);
  StateWriter w;
  model.Encode(w);
  PeerModel copy;
  StateReader r(w.data());
  ASSERT_TRUE(copy.Decode(r));
  PeerFeatures x{1, 2, 3, 4, 5, 6};
  EXPECT_EQ(copy.Distance2(x), model.Distance2(x));
  StateReader cut(absl::string_view(w.data()).substr(0, w.data().size() / 2));
  PeerModel damaged;
  EXPECT_FALSE(damaged.Decode(cut));
}

}  // namespace
}  // namespace engine
}  // namespace vigie
