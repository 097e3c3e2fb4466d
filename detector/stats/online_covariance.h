// OnlineCovariance: the running mean and covariance of a peer group's
// feature vectors (distinct people, share of new people, lookup rate,
// regularity, night share, ...), and the Mahalanobis distance of one
// account's vector from it, so that several moderate deviations together
// count even when none is alarming alone.
//
// Updates use the multivariate Welford recurrence (stable, mergeable; no
// allocation). The
// distance solves (S + lambda I) y = x - mean with a robust Cholesky (LDLT)
// factorisation instead of inverting S: lambda = shrinkage × trace(S) / d
// (default 1e-3) keeps the problem well-posed when features are collinear
// or constant. Tested against a batch computation.
//
// Warm-up: Distance returns nullopt with fewer than d + 2 vectors (the
// covariance is not yet defined). Eigen stays inside the .cc: the header
// holds plain vectors. Cost: Update O(d^2); Distance O(d^3) (d <= 32).
// Size 16 + 8 d (d + 1) bytes. Thread-compatible.
//
// Example:
//   OnlineCovariance peers(/*dimension=*/4);
//   peers.Update({12, 0.1, 3.5, 0.0});
//   std::optional<double> d = peers.Distance({410, 0.97, 60, 0.4});
#ifndef VIGIE_DETECTOR_STATS_ONLINE_COVARIANCE_H_
#define VIGIE_DETECTOR_STATS_ONLINE_COVARIANCE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "detector/stats/state_codec.h"

namespace vigie {

class OnlineCovariance {
 public:
  static constexpr int kMaxDimension = 32;

  // REQUIRES: 1 <= dimension <= kMaxDimension.
  explicit OnlineCovariance(int dimension);

  // REQUIRES: x.size() == dimension(). Refuses to learn when anomalous.
  void Update(absl::Span<const double> x, bool anomalous = false);
  // As `weight` calls of Update(x), in one step (the weighted Welford
  // recurrence; equal up to rounding). weight 1 is exactly Update(x).
  void UpdateWeighted(absl::Span<const double> x, uint64_t weight);
  // InvalidArgument when the dimensions differ.
  absl::Status Merge(const OnlineCovariance& other);

  int dimension() const { return dimension_; }
  uint64_t count() const { return count_; }
  const std::vector<double>& mean() const { return mean_; }
  // Sample covariance (n - 1), row-major d × d; zeros before 2 vectors.
  std::vector<double> Covariance() const;
  std::optional<double> Distance(absl::Span<const double> x,
                                 double shrinkage = 1e-3) const;

  // Writes (S + lambda I)^-1, row-major d x d, to `out` (the matrix
  // Distance uses, for callers that score many vectors against a frozen
  // estimate). False before d + 2 vectors or if the factorisation fails.
  bool Precision(double shrinkage, double* out) const;

  void Encode(StateWriter& w) const;
  static absl::StatusOr<OnlineCovariance> Decode(StateReader& r);

 private:
  int dimension_;
  uint64_t count_ = 0;
  std::vector<double> mean_;
  std::vector<double> comoment_;  // Row-major d × d: sum of outer products.
};

}  // namespace vigie

#endif  // VIGIE_DETECTOR_STATS_ONLINE_COVARIANCE_H_
