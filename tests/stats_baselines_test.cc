// Baselines, novelty and regularity against exact or batch computations.
#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <vector>

#include <eigen3/Eigen/Dense>

#include "absl/status/status.h"
#include "detector/stats/novelty_filter.h"
#include "detector/stats/online_covariance.h"
#include "detector/stats/quantile_sketch.h"
#include "detector/stats/regularity.h"
#include "detector/stats/running_moments.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vigie {
namespace {

TEST(RunningMoments, MatchesBatchMeanAndVariance) {
  std::mt19937_64 random(1);
  std::lognormal_distribution<double> dist(3, 1);
  std::vector<double> xs;
  RunningMoments m;
  for (int i = 0; i < 10000; ++i) {
    xs.push_back(dist(random) + 1e6);  // Offset: a stability trap.
    m.Update(xs.back());
  }
  double mean = 0;
  for (double x : xs) mean += x;
  mean /= xs.size();
  double var = 0;
  for (double x : xs) var += (x - mean) * (x - mean);
  var /= xs.size() - 1;
  EXPECT_NEAR(m.mean(), mean, 1e-6);
  EXPECT_NEAR(m.variance() / var, 1.0, 1e-9);
}

TEST(RunningMoments, MergeEqualsOneStreamAndSkipsAnomalies) {
  RunningMoments a, b, all;
  for (int i = 0; i < 1000; ++i) {
    (i % 3 ? a : b).Update(i * 0.5);
    all.Update(i * 0.5);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_NEAR(a.mean(), all.mean(), 1e-9);
  EXPECT_NEAR(a.variance(), all.variance(), 1e-6);
  all.Update(1e9, /*anomalous=*/true);
  EXPECT_EQ(all.skipped(), 1u);
  EXPECT_NEAR(all.mean(), a.mean(), 1e-9);
  RunningMoments empty;
  EXPECT_EQ(empty.variance(), 0);
  EXPECT_EQ(empty.ZScore(5), 0);
}

TEST(Ewma, FollowsAShiftAndRefusesAnomalousValues) {
  Ewma e;
  for (int i = 0; i < 200; ++i) e.Update(10 + (i % 2), false, 0.1);
  EXPECT_NEAR(e.mean(), 10.5, 0.1);
  EXPECT_GT(e.ZScore(20), 10);
  for (int i = 0; i < 100; ++i) e.Update(1000, /*anomalous=*/true, 0.1);
  EXPECT_NEAR(e.mean(), 10.5, 0.1);
  EXPECT_EQ(e.skipped(), 100u);
  for (int i = 0; i < 200; ++i) e.Update(30, false, 0.1);
  EXPECT_NEAR(e.mean(), 30, 0.1);
}

TEST(Ewma, CountsStopAt16BitsAndLearningGoesOn) {
  Ewma e;
  for (int i = 0; i < 70000; ++i) {
    e.Update(i < 69000 ? 5 : 50, false, 0.1);
    e.Update(1e6, /*anomalous=*/true, 0.1);
  }
  EXPECT_EQ(e.count(), 65535u);
  EXPECT_EQ(e.skipped(), 65535u);
  EXPECT_NEAR(e.mean(), 50, 0.1);  // Still follows the values.
}

TEST(QuantileSketch, QuantilesAreWithinTheRelativeAccuracy) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 random(seed);
    std::lognormal_distribution<double> dist(2, 1.5);
    QuantileSketch sketch(0.02);
    std::vector<double> xs;
    for (int i = 0; i < 20000; ++i) {
      xs.push_back(dist(random));
      sketch.Add(xs.back());
    }
    std::sort(xs.begin(), xs.end());
    for (double q : {0.1, 0.5, 0.9, 0.99}) {
      const double exact = xs[static_cast<size_t>(q * (xs.size() - 1))];
      EXPECT_NEAR(sketch.Quantile(q) / exact, 1.0, 0.02 + 1e-9)
          << "seed " << seed << " q " << q;
    }
  }
  QuantileSketch empty;
  EXPECT_EQ(empty.Quantile(0.5), 0);
}

// Small integers take a table instead of a logarithm: each must still land
// in a bucket within the stated accuracy, on both sides of the table's end,
// and agree with a sketch of another accuracy that computes every index.
TEST(QuantileSketch, SmallIntegersKeepTheRelativeAccuracy) {
  for (int i = 1; i < 1500; ++i) {
    QuantileSketch fast;
    fast.Add(i);
    EXPECT_NEAR(fast.Quantile(0.5) / i, 1.0, 0.02 + 1e-9) << i;
    QuantileSketch computed(0.0200000001);
    computed.Add(i);
    EXPECT_NEAR(fast.Quantile(0.5), computed.Quantile(0.5), 1e-6 * i) << i;
  }
}

// Checks that every quantile q = i / steps for i in [first, steps] of the
// union of `a` and `b` (in either order) is the bucket of the exact order
// statistic of `values`: the value at rank q (n - 1) of the sorted values,
// zeros first.
void ExpectExactOrderStatistics(const QuantileSketch& a,
                                const QuantileSketch& b,
                                std::vector<double> values, int first,
                                int steps) {
  std::sort(values.begin(), values.end());
  for (int step = first; step <= steps; ++step) {
    const double q = static_cast<double>(step) / steps;
    const double x = values[static_cast<size_t>(
        q * static_cast<double>(values.size() - 1))];
    QuantileSketch one;
    one.Add(x);
    ASSERT_EQ(QuantileSketch::QuantileOfUnion(a, b, q), one.Quantile(0.5))
        << "q " << q;
    ASSERT_EQ(QuantileSketch::QuantileOfUnion(b, a, q), one.Quantile(0.5))
        << "q " << q;
  }
}

// Quantiles are read walking up from the lowest bucket, or down from the
// top for q > 0.5; both must name the bucket of the exact order statistic.
TEST(QuantileSketch, EveryQuantileIsTheBucketOfTheExactOrderStatistic) {
  std::mt19937_64 random(11);
  std::lognormal_distribution<double> dist(2, 1.5);
  QuantileSketch a, b;
  std::vector<double> all;
  for (int i = 0; i < 3000; ++i) {
    const double x = i % 10 == 0 ? 0.0 : std::round(dist(random) * 4) / 4;
    (i % 3 == 0 ? b : a).Add(x);
    all.push_back(x);
  }
  ExpectExactOrderStatistics(a, b, all, 0, 1000);
}

// The same on heavy tails, whose top is mostly empty buckets (the walk
// down skips runs of them), with the two sketches' ranges overlapping only
// in part (their widest spans fold below the 5th percentile).
TEST(QuantileSketch, HeavyTailsWithSparseTopsGiveTheExactOrderStatistic) {
  std::mt19937_64 random(12);
  std::lognormal_distribution<double> dist(1, 3);
  QuantileSketch a, b;
  std::vector<double> all;
  for (int i = 0; i < 4000; ++i) {
    const bool to_b = i % 4 == 0;
    const double x = to_b ? dist(random) * 1000 : dist(random);
    (to_b ? b : a).Add(x);
    all.push_back(x);
  }
  ExpectExactOrderStatistics(a, b, all, 500, 10000);
}

TEST(QuantileSketch, CountsZerosAndRefusesAnomalies) {
  QuantileSketch s;
  for (int i = 0; i < 60; ++i) s.Add(0);
  for (int i = 0; i < 40; ++i) s.Add(100);
  s.Add(1e9, /*anomalous=*/true);
  EXPECT_EQ(s.Quantile(0.5), 0);
  EXPECT_NEAR(s.Quantile(0.9), 100, 2);
  EXPECT_EQ(s.count(), 100u);
}

TEST(QuantileSketch, UnionEqualsMergeAndWideRangesFold) {
  std::mt19937_64 random(9);
  std::lognormal_distribution<double> dist(3, 2);
  QuantileSketch a, b;
  for (int i = 0; i < 5000; ++i) a.Add(dist(random));
  for (int i = 0; i < 3000; ++i) b.Add(dist(random) * 10);
  for (int i = 0; i < 100; ++i) b.Add(0);
  QuantileSketch merged = a;
  merged.Merge(b);
  for (double q : {0.0, 0.01, 0.5, 0.9, 0.999, 1.0}) {
    EXPECT_EQ(QuantileSketch::QuantileOfUnion(a, b, q), merged.Quantile(q))
        << q;
  }
  // A span of 16 buckets: values far below the span land in its lowest
  // bucket, which only the lowest quantiles see.
  QuantileSketch narrow(0.02, 16);
  for (int i = 0; i < 99; ++i) narrow.Add(1000);
  narrow.Add(1e-6);
  EXPECT_EQ(narrow.count(), 100u);
  EXPECT_NEAR(narrow.Quantile(0.5), 1000, 20);
  EXPECT_LT(narrow.Quantile(0.0), 1000);
  narrow.Add(1e9);  // Far above: the span moves up, the rest folds.
  EXPECT_NEAR(narrow.Quantile(1.0), 1e9, 2e7);
  EXPECT_EQ(narrow.count(), 101u);
}

// The engine learns the bulk of its samples one in N with weight N: a
// weighted add must be exactly N adds, zeros included, and weight 0 none.
TEST(QuantileSketch, AWeightedAddIsThatManyAdds) {
  std::mt19937_64 random(21);
  std::lognormal_distribution<double> dist(2, 1.2);
  std::uniform_int_distribution<int> weight(0, 5);
  QuantileSketch weighted, repeated;
  for (int i = 0; i < 4000; ++i) {
    const double x = i % 7 == 0 ? 0.0 : std::round(dist(random));
    const int w = weight(random);
    weighted.AddWeighted(x, static_cast<uint64_t>(w));
    for (int k = 0; k < w; ++k) repeated.Add(x);
  }
  ASSERT_EQ(weighted.count(), repeated.count());
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    EXPECT_EQ(weighted.Quantile(q), repeated.Quantile(q)) << q;
  }
}

// One walk for the 99.9th and the 90th gives what two walks give, also
// where the lower rank falls among the zeros or both in one bucket.
TEST(QuantileSketch, TwoHighQuantilesInOneWalkEqualTwoWalks) {
  std::mt19937_64 random(22);
  std::lognormal_distribution<double> dist(1, 2.5);
  for (int zeros : {0, 50, 3500}) {
    QuantileSketch a, b;
    for (int i = 0; i < zeros; ++i) (i % 2 ? a : b).Add(0);
    for (int i = 0; i < 4000; ++i) (i % 3 ? a : b).Add(dist(random));
    for (auto [upper, lower] : std::vector<std::pair<double, double>>{
             {0.999, 0.9}, {0.99, 0.95}, {1.0, 0.51}, {0.9, 0.9}}) {
      double top = -1, bulk = -1;
      QuantileSketch::HighQuantilesOfUnion(a, b, upper, lower, &top, &bulk);
      EXPECT_EQ(top, QuantileSketch::QuantileOfUnion(a, b, upper))
          << zeros << " " << upper;
      EXPECT_EQ(bulk, QuantileSketch::QuantileOfUnion(a, b, lower))
          << zeros << " " << lower;
    }
  }
  QuantileSketch empty;
  double top = -1, bulk = -1;
  QuantileSketch::HighQuantilesOfUnion(empty, empty, 0.999, 0.9, &top, &bulk);
  EXPECT_EQ(top, 0);
  EXPECT_EQ(bulk, 0);
}

TEST(OnlineCovariance, MatchesABatchComputation) {
  const int d = 5;
  std::mt19937_64 random(7);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd mix = Eigen::MatrixXd::Random(d, d);
  const int n = 3000;
  Eigen::MatrixXd data(n, d);
  OnlineCovariance cov(d);
  for (int i = 0; i < n; ++i) {
    Eigen::VectorXd z(d);
    for (int j = 0; j < d; ++j) z(j) = normal(random);
    Eigen::VectorXd x = mix * z + Eigen::VectorXd::Constant(d, 100.0);
    data.row(i) = x.transpose();
    cov.Update(absl::MakeConstSpan(x.data(), d));
  }
  Eigen::VectorXd mean = data.colwise().mean();
  Eigen::MatrixXd centered = data.rowwise() - mean.transpose();
  Eigen::MatrixXd batch = centered.transpose() * centered / (n - 1);
  std::vector<double> online = cov.Covariance();
  for (int i = 0; i < d; ++i) {
    EXPECT_NEAR(cov.mean()[i], mean(i), 1e-9);
    for (int j = 0; j < d; ++j) {
      EXPECT_NEAR(online[i * d + j], batch(i, j), 1e-8);
    }
  }
  // Mahalanobis distance with the same shrinkage, computed directly.
  Eigen::VectorXd x = mean + mix.col(0) * 3.0;
  Eigen::MatrixXd s = batch;
  s.diagonal().array() += 1e-3 * batch.trace() / d;
  const double expected =
      std::sqrt((x - mean).dot(s.inverse() * (x - mean)));
  EXPECT_NEAR(*cov.Distance(absl::MakeConstSpan(x.data(), d)), expected,
              1e-6 * expected);
}

// A vector of weight w is w copies of it, up to rounding; weight 1 is
// bit for bit one Update (the engine's output with sampling off depends on
// it) and weight 0 learns nothing.
TEST(OnlineCovariance, AWeightedUpdateIsThatManyUpdates) {
  const int d = 6;
  std::mt19937_64 random(23);
  std::normal_distribution<double> normal(5, 2);
  std::uniform_int_distribution<int> weight(0, 6);
  OnlineCovariance weighted(d), repeated(d), plain(d), weight_one(d);
  for (int i = 0; i < 2000; ++i) {
    double x[d];
    for (double& v : x) v = normal(random);
    const int w = weight(random);
    weighted.UpdateWeighted(x, static_cast<uint64_t>(w));
    for (int k = 0; k < w; ++k) repeated.Update(x);
    plain.Update(x);
    weight_one.UpdateWeighted(x, 1);
  }
  ASSERT_EQ(weighted.count(), repeated.count());
  const std::vector<double> a = weighted.Covariance();
  const std::vector<double> b = repeated.Covariance();
  for (int i = 0; i < d; ++i) {
    EXPECT_NEAR(weighted.mean()[i], repeated.mean()[i], 1e-9);
    for (int j = 0; j < d; ++j) {
      EXPECT_NEAR(a[i * d + j], b[i * d + j], 1e-9) << i << " " << j;
    }
  }
  EXPECT_EQ(weight_one.mean(), plain.mean());
  EXPECT_EQ(weight_one.Covariance(), plain.Covariance());
}

TEST(OnlineCovariance, MergeWarmUpAndCollinearFeatures) {
  OnlineCovariance a(2), b(2), all(2);
  for (int i = 0; i < 100; ++i) {
    const double x[2] = {static_cast<double>(i), 2.0 * i};  // Collinear.
    (i % 2 ? a : b).Update(x);
    all.Update(x);
  }
  ASSERT_TRUE(a.Merge(b).ok());
  EXPECT_NEAR(a.Covariance()[1], all.Covariance()[1], 1e-6);
  const double far[2] = {50, -100};
  std::optional<double> d = all.Distance(far);
  ASSERT_TRUE(d.has_value());
  EXPECT_TRUE(std::isfinite(*d));
  EXPECT_GT(*d, 10);  // Off the line the data lives on.
  OnlineCovariance young(3);
  const double x[3] = {1, 2, 3};
  young.Update(x);
  EXPECT_FALSE(young.Distance(x).has_value());
  OnlineCovariance other(3);
  EXPECT_EQ(a.Merge(other).code(), absl::StatusCode::kInvalidArgument);
}

TEST(NoveltyFilter, NeverForgetsRecentPairsAndKeepsItsFalsePositiveRate) {
  NoveltyFilter::Options options;
  options.capacity = 100000;
  options.false_positive_rate = 0.01;
  auto filter = NoveltyFilter::Create(options).value();
  // Every pair is new; a few look seen already (false positives, rising
  // to 1% as the generation fills).
  int seen_at_insert = 0;
  for (uint64_t i = 0; i < 100000; ++i) {
    seen_at_insert += !filter->TestAndInsert(i % 97, i);
  }
  EXPECT_LT(seen_at_insert, 1000);
  for (uint64_t i = 0; i < 100000; ++i) {
    ASSERT_FALSE(filter->TestAndInsert(i % 97, i));  // All remembered.
  }
  // Pairs never inserted: the measured rate is close to the formula's
  // one-generation rate (the previous generation is empty).
  int false_positives = 0;
  for (uint64_t i = 0; i < 100000; ++i) {
    false_positives += filter->Contains(1000 + i % 13, uint64_t{1} << 40 | i);
  }
  EXPECT_LT(false_positives / 100000.0, 0.015);
  EXPECT_NEAR(filter->expected_false_positive_rate(), 0.02, 0.002);
}

TEST(NoveltyFilter, ForgetsPairsOlderThanTwoGenerations) {
  NoveltyFilter::Options options;
  options.capacity = 1000;
  auto filter = NoveltyFilter::Create(options).value();
  filter->TestAndInsert(1, 42);
  for (uint64_t i = 0; i < 2500; ++i) filter->TestAndInsert(2, i);
  EXPECT_EQ(filter->rotations(), 2u);
  EXPECT_FALSE(filter->Contains(1, 42));
  EXPECT_TRUE(filter->Contains(2, 2499));
}

TEST(NoveltyFilter, RejectsBadOptionsAndMalformedSnapshots) {
  NoveltyFilter::Options bad;
  bad.false_positive_rate = 0.7;
  EXPECT_EQ(NoveltyFilter::Create(bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  NoveltyFilter::Options options;
  options.capacity = 5000;
  auto filter = NoveltyFilter::Create(options).value();
  for (uint64_t i = 0; i < 3000; ++i) filter->TestAndInsert(i, i);
  std::string bytes = filter->Serialize();
  auto back = NoveltyFilter::Deserialize(bytes);
  ASSERT_TRUE(back.ok());
  for (uint64_t i = 0; i < 3000; ++i) ASSERT_TRUE((*back)->Contains(i, i));
  EXPECT_EQ(NoveltyFilter::Deserialize(bytes.substr(0, 20)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(NoveltyFilter::Deserialize(bytes + "x").status().code(),
            absl::StatusCode::kDataLoss);
  std::string bad_bits = bytes;
  bad_bits[13] = 0x7f;
  EXPECT_EQ(NoveltyFilter::Deserialize(bad_bits).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(NoveltyFilter, SnapshotAfterARotationKeepsWhichGenerationIsCurrent) {
  NoveltyFilter::Options options;
  options.capacity = 1000;
  auto filter = NoveltyFilter::Create(options).value();
  // One rotation: the generations share each line, so the snapshot must
  // say which half is current.
  for (uint64_t i = 0; i < 1500; ++i) filter->TestAndInsert(7, i);
  ASSERT_EQ(filter->rotations(), 1u);
  auto back = NoveltyFilter::Deserialize(filter->Serialize()).value();
  // Both go on identically: the next rotation forgets the same pairs.
  for (uint64_t i = 1500; i < 2200; ++i) {
    ASSERT_EQ(filter->TestAndInsert(8, i), back->TestAndInsert(8, i)) << i;
  }
  ASSERT_EQ(back->rotations(), 2u);
  for (uint64_t i = 0; i < 2200; ++i) {
    ASSERT_EQ(filter->Contains(7, i), back->Contains(7, i)) << i;
    ASSERT_EQ(filter->Contains(8, i), back->Contains(8, i)) << i;
  }
  EXPECT_TRUE(back->Contains(8, 2199));
  EXPECT_FALSE(back->Contains(7, 3));  // Two generations ago.
}

TEST(NoveltyFilter, RefusesTheOlderSnapshotLayout) {
  NoveltyFilter::Options options;
  options.capacity = 1000;
  std::string bytes =
      NoveltyFilter::Create(options).value()->Serialize();
  bytes[4] = 2;  // One block per generation, before both shared a line.
  absl::Status status = NoveltyFilter::Deserialize(bytes).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("older build"));
}

TEST(GapRegularity, TellsScriptsFromPeople) {
  std::mt19937_64 random(3);
  GapRegularity script, person;
  std::uniform_int_distribution<int> jitter(-200, 200);
  std::exponential_distribution<double> human(1.0 / 90000);
  int64_t t1 = 0, t2 = 0;
  EXPECT_FALSE(script.CoefficientOfVariation().has_value());
  for (int i = 0; i < 200; ++i) {
    t1 += 2000 + jitter(random);
    t2 += static_cast<int64_t>(human(random)) + 1000;
    script.Observe(t1);
    person.Observe(t2);
  }
  EXPECT_LT(*script.CoefficientOfVariation(), 0.2);
  EXPECT_GT(*person.CoefficientOfVariation(), 0.6);
}

TEST(HourProfile, NightActivityIsSurprisingForADayWorker) {
  HourProfile profile;
  for (int day = 0; day < 30; ++day) {
    for (int hour = 8; hour < 18; ++hour) {
      profile.Observe(int64_t{day} * 86400000 + hour * 3600000);
    }
  }
  EXPECT_GT(profile.Surprise(3), profile.Surprise(10) + 4);
  EXPECT_GE(profile.Surprise(18), 7);
  // An hour past the usual end is a long day, not a stranger's hour.
  EXPECT_GE(profile.SurpriseAround(3), 7);  // The unusual-hour cue's level.
  EXPECT_LT(profile.SurpriseAround(18), 7);
  EXPECT_GT(profile.SurpriseAround(18), profile.SurpriseAround(12));
  EXPECT_GE(profile.SurpriseAround(20), 7);
  HourProfile empty;
  EXPECT_NEAR(empty.Probability(5), 1.0 / 24, 1e-12);
  EXPECT_EQ(HourProfile::HourOf(-1), 23);
  EXPECT_EQ(HourProfile::HourOf(3600000 * 25), 1);
}

}  // namespace
}  // namespace vigie
